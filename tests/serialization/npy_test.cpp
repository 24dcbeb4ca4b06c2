// tf::io::read_npy / write_npy against files NumPy wrote (tests/serialization/fixtures/gen_npy.py):
// every dtype, big-endian, Fortran order, format 2.0; byte-identical writes; damaged files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "tapeflow/serialization/npy_format.h"
#include "tests/core/test_util.h"

namespace {
namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return std::string(TAPEFLOW_TEST_DIR) + "/serialization/fixtures/npy/" + name;
}
std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }
/// gen_npy.py's values: arange(n) * 0.5 - 3 (C order) in float64, before the cast to the file's dtype.
std::vector<double> formula(int64_t n, bool integral = false) {
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(integral ? std::trunc(double(i) * 0.5 - 3) : double(i) * 0.5 - 3);
  return v;
}

class Npy : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tapeflow_npy_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(Npy, ReadsWhatNumPyWroteInEveryDtype) {
  auto f4 = tf::io::read_npy(fixture("f4_2x3.npy"));
  EXPECT_EQ(f4.dtype(), tf::float32);
  tf::testing::expect_values(f4, {2, 3}, formula(6), 0);
  auto f8 = tf::io::read_npy(fixture("f8_scalar.npy"));
  EXPECT_EQ(f8.dtype(), tf::float64);
  tf::testing::expect_values(f8, {}, {-3.0}, 0);
  auto f2 = tf::io::read_npy(fixture("f2_5.npy"));
  EXPECT_EQ(f2.dtype(), tf::float16);
  tf::testing::expect_values(f2, {5}, formula(5), 0);
  auto i1 = tf::io::read_npy(fixture("i1_4.npy"));
  EXPECT_EQ(i1.dtype(), tf::int8);
  tf::testing::expect_values(i1, {4}, formula(4, true), 0);
  auto i4 = tf::io::read_npy(fixture("i4_0x3.npy"));
  EXPECT_EQ(i4.dtype(), tf::int32);
  EXPECT_EQ(i4.shape(), tf::Shape({0, 3}));
  auto u1 = tf::io::read_npy(fixture("u1_2x2.npy"));  // -3, -2, -2, -1 wrapped by NumPy's cast
  EXPECT_EQ(u1.dtype(), tf::uint8);
  tf::testing::expect_values(u1, {2, 2}, {253, 254, 254, 255}, 0);
  auto b1 = tf::io::read_npy(fixture("b1_2x3.npy"));
  EXPECT_EQ(b1.dtype(), tf::DType::kBool);
  tf::testing::expect_values(b1, {2, 3}, {1, 0, 0, 1, 0, 0}, 0);
}

TEST_F(Npy, ReadsBigEndianFortranOrderAndVersion2) {
  auto be = tf::io::read_npy(fixture("i8_be_2x3x4.npy"));
  EXPECT_EQ(be.dtype(), tf::int64);
  tf::testing::expect_values(be, {2, 3, 4}, formula(24, true), 0);
  auto fortran = tf::io::read_npy(fixture("f4_fortran_3x4.npy"));
  EXPECT_TRUE(fortran.is_contiguous());
  tf::testing::expect_values(fortran, {3, 4}, formula(12), 0);
  auto both = tf::io::read_npy(fixture("f8_be_fortran_2x3x2.npy"));
  tf::testing::expect_values(both, {2, 3, 2}, formula(12), 0);
  tf::testing::expect_values(tf::io::read_npy(fixture("f4_v2_2x3.npy")), {2, 3}, formula(6), 0);
}

TEST_F(Npy, WritesTheBytesNumPyWrites) {
  for (const char* name :
       {"f4_2x3.npy", "f8_scalar.npy", "f2_5.npy", "i1_4.npy", "i4_0x3.npy", "u1_2x2.npy", "b1_2x3.npy"}) {
    tf::io::write_npy(path(name), tf::io::read_npy(fixture(name)));
    EXPECT_EQ(bytes_of(path(name)), bytes_of(fixture(name))) << name;
  }
  // A strided view is written in C order; big-endian/Fortran input comes back little-endian C order.
  auto t = tf::transpose(tf::reshape(tf::range(0, 6), {2, 3}));
  tf::io::write_npy(path("t.npy"), t);
  tf::testing::expect_values(tf::io::read_npy(path("t.npy")), {3, 2}, {0, 3, 1, 4, 2, 5}, 0);
  auto be = tf::io::read_npy(fixture("f8_be_fortran_2x3x2.npy"));
  tf::io::write_npy(path("be.npy"), be);
  EXPECT_NE(bytes_of(path("be.npy")).find("'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 2), }"),
            std::string::npos);
  tf::testing::expect_values(tf::io::read_npy(path("be.npy")), {2, 3, 2}, formula(12), 0);
  EXPECT_TF_ERROR(tf::io::write_npy(path("bf.npy"), tf::cast(t, tf::bfloat16)), tf::errors::InvalidArgumentError,
                  "NumPy has no bfloat16");
}

TEST_F(Npy, RejectsDamagedFilesBeforeAllocating) {
  const std::string good = bytes_of(fixture("f4_2x3.npy"));
  auto expect_data_loss = [&](const std::string& bytes, const std::string& words) {
    write_bytes(path("bad.npy"), bytes);
    EXPECT_TF_ERROR(tf::io::read_npy(path("bad.npy")), tf::errors::DataLossError, words);
  };
  expect_data_loss(good.substr(0, good.size() - 1), "truncated data: the shape needs 6 elements of 4 bytes");
  expect_data_loss(good.substr(0, 40), "the header claims 118 bytes");
  expect_data_loss(good.substr(0, 5), "bad magic");
  expect_data_loss("\x92" + good.substr(1), "bad magic");
  std::string version = good;
  version[6] = 9;
  expect_data_loss(version, "unknown format version 9.0");
  auto with_dict = [&](std::string dict) {  // a version 1.0 header around `dict`, then 4 data bytes
    dict.resize(117, ' ');
    return std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict + "\n" + std::string(4, '\0');
  };
  write_bytes(path("control.npy"), with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"));
  tf::testing::expect_values(tf::io::read_npy(path("control.npy")), {1}, {0.0}, 0);
  expect_data_loss(with_dict("{'descr': '<f4', 'fortran_order': False}"), "needs the keys");
  expect_data_loss(with_dict("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}"), "True or False");
  expect_data_loss(with_dict("{'descr': '<f4', 'descr': '<f4', 'shape': (1,)}"), "repeated key 'descr'");
  expect_data_loss(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), "non-negative integers");
  expect_data_loss(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x"), "text after the dict");
  expect_data_loss(with_dict("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}"), "bad header dict");
  // Huge shapes: an overflowing element count, and a count the 4 bytes of data cannot hold.
  expect_data_loss(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16)}"),
                   "element count overflows");
  expect_data_loss(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000)}"),
                   "truncated data");
  expect_data_loss(with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
                   "does not fit in 64 bits");
  EXPECT_TF_ERROR(tf::io::read_npy(fixture("i2_unsupported.npy")), tf::errors::UnimplementedError,
                  "dtype '<i2' is not supported");
  EXPECT_TF_ERROR(tf::io::read_npy(path("missing.npy")), tf::errors::NotFoundError, "missing.npy");
}

}  // namespace
