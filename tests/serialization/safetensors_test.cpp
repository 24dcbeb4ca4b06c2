// tf::io::save_safetensors / load_safetensors: every dtype round-trips bit for bit, the header
// is validated before allocating (damaged files raise DataLossError naming the file).
#include <gtest/gtest.h>

#include <fstream>

#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/safetensors.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
using tapeflow::testing::AllDTypes;
using tapeflow::testing::expect_error;
using tapeflow::testing::expect_identical;
using tapeflow::testing::TempDir;

std::vector<std::pair<std::string, tf::Variable>> numeric_variables(const AllDTypes& m) {
  std::vector<std::pair<std::string, tf::Variable>> out;
  for (auto& [n, v] : m.named_variables())
    if (v.dtype() != tf::string) out.emplace_back(n, v);
  return out;
}

TEST(Safetensors, EveryDTypeRoundTrips) {
  TempDir dir;
  tf::keras::backend::clear_session();  // the module is "all_dtypes" whatever ran before
  AllDTypes m;
  const auto vars = numeric_variables(m);
  tf::io::save_safetensors(dir / "w.safetensors", vars);
  const std::string bytes = tapeflow::serialization::read_file(dir / "w.safetensors");
  uint64_t header_len;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ((8 + header_len) % 8, 0u);
  EXPECT_EQ(bytes.substr(8, 21), "{\"all_dtypes/float32\"");
  auto loaded = tf::io::load_safetensors(dir / "w.safetensors");
  ASSERT_EQ(loaded.size(), vars.size());
  for (const auto& [n, v] : vars) expect_identical(loaded.at(n), v.read_value());
  AllDTypes with_string;
  EXPECT_THROW(tf::io::save_safetensors(dir / "s.safetensors", with_string.named_variables()),
               tf::errors::InvalidArgumentError);
}

TEST(Safetensors, DamagedFilesAreDataLoss) {
  TempDir dir;
  AllDTypes m;
  tf::io::save_safetensors(dir / "w.safetensors", numeric_variables(m));
  const std::string good = tapeflow::serialization::read_file(dir / "w.safetensors");
  auto write = [&](const std::string& b) { std::ofstream(dir / "bad.safetensors", std::ios::binary) << b; };
  int errors = 0;
  for (std::size_t n = 0; n < good.size(); n += 7) {  // truncations
    write(good.substr(0, n));
    try {
      tf::io::load_safetensors(dir / "bad.safetensors");
    } catch (const tf::errors::DataLossError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.safetensors"), std::string::npos);
      ++errors;
    }
  }
  EXPECT_EQ(errors, int((good.size() + 6) / 7));
  std::string lie = good;
  lie[7] = char(0x7f);  // a header length of ~2^63
  write(lie);
  expect_error<tf::errors::DataLossError>([&] { tf::io::load_safetensors(dir / "bad.safetensors"); },
                                          {"header length", "exceeds the file"});
}

}  // namespace
