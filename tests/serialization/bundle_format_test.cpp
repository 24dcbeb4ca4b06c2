// The TensorBundle files themselves: CRC32C, the index against leveldb's own Table reader, and
// the reader's refusal of damaged files (every truncation, every bit flip) with DataLossError
// naming the file and key, never a crash and never wrong values.
#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>

#include <fstream>

#include "tapeflow/serialization/crc32c.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/table_reader.h"
#include "tapeflow/serialization/tensor_bundle.h"
#include "tests/serialization/ckpt_test_util.h"

namespace {
namespace S = tapeflow::serialization;
using tapeflow::testing::AllDTypes;
using tapeflow::testing::expect_error;
using tapeflow::testing::expect_identical;
using tapeflow::testing::TempDir;

TEST(Crc32c, KnownValuesAndMask) {
  // RFC 3720's check value and leveldb's crc32c_test vectors.
  EXPECT_EQ(tf::crc32c::value(std::string_view("123456789")), 0xe3069283u);
  std::string zeros(32, '\0'), ones(32, '\xff');
  EXPECT_EQ(tf::crc32c::value(zeros), 0x8a9136aau);
  EXPECT_EQ(tf::crc32c::value(ones), 0x62a8ab43u);
  std::string ascending(32, 0);
  for (int i = 0; i < 32; ++i) ascending[i] = char(i);
  EXPECT_EQ(tf::crc32c::value(ascending), 0x46dd794eu);
  EXPECT_EQ(tf::crc32c::extend(tf::crc32c::value(std::string_view("hello ")), "world", 5),
            tf::crc32c::value(std::string_view("hello world")));
  std::string noise(100000, '\0');
  uint32_t state = 1;
  for (char& ch : noise) ch = char((state = state * 1103515245u + 12345u) >> 24);
  // The hardware path (three interleaved streams over 3 x 8 KiB blocks, then one) and the
  // table path agree, below, at and beyond the block sizes.
  for (std::size_t n : {0, 1, 7, 8, 9, 63, 1000, 24575, 24576, 24577, 49152 + 13, 100000})
    EXPECT_EQ(tf::crc32c::extend(5, noise.data(), n),
              tf::crc32c::detail::extend_portable(5, reinterpret_cast<const unsigned char*>(noise.data()), n));
  const uint32_t c = tf::crc32c::value(std::string_view("foo"));
  EXPECT_NE(tf::crc32c::mask(c), c);
  EXPECT_EQ(tf::crc32c::unmask(tf::crc32c::mask(c)), c);
}

std::vector<std::pair<std::string, std::string>> read_with_leveldb(const std::string& path) {
  leveldb::RandomAccessFile* file = nullptr;
  EXPECT_TRUE(leveldb::Env::Default()->NewRandomAccessFile(path, &file).ok());
  uint64_t size = 0;
  EXPECT_TRUE(leveldb::Env::Default()->GetFileSize(path, &size).ok());
  leveldb::Table* table = nullptr;
  leveldb::Options options;
  options.paranoid_checks = true;
  EXPECT_TRUE(leveldb::Table::Open(options, file, size, &table).ok());
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  std::unique_ptr<leveldb::Iterator> it(table->NewIterator(ro));
  std::vector<std::pair<std::string, std::string>> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) out.emplace_back(it->key().ToString(), it->value().ToString());
  EXPECT_TRUE(it->status().ok());
  it.reset();
  delete table;
  delete file;
  return out;
}

TEST(TensorBundle, OurIndexReaderAgreesWithLeveldbs) {
  TempDir dir;
  AllDTypes m;
  tf::train::Checkpoint({{"m", m}}).write(dir / "all");
  const auto ours = S::read_table(S::read_file(dir / "all.index"), dir / "all.index");
  EXPECT_EQ(ours, read_with_leveldb(dir / "all.index"));
  ASSERT_EQ(ours.size(), m.vars.size() + 2);  // header, object graph, variables
  EXPECT_EQ(ours[0].first, "");
}

TEST(TensorBundle, ManyEntriesSpanSeveralIndexBlocks) {
  TempDir dir;
  {
    S::BundleWriter w(dir / "many");
    for (int i = 0; i < 3000; ++i)
      w.add("a_rather_long_key_prefix_to_fill_blocks/" + std::to_string(i) + std::string(80, 'k'),
            tf::constant({float(i), float(-i)}));
    w.finish();
  }
  S::BundleReader r(dir / "many");
  EXPECT_EQ(r.entries().size(), 3000u);
  EXPECT_EQ(S::read_table(S::read_file(dir / "many.index"), "many"), read_with_leveldb(dir / "many.index"));
  EXPECT_EQ(r.get_tensor("a_rather_long_key_prefix_to_fill_blocks/2999" + std::string(80, 'k')).to_vector<float>(),
            (std::vector<float>{2999.0f, -2999.0f}));
}

// Reads every tensor of the checkpoint: either all values are exactly the originals, or a
// typed error is raised. Returns whether an error was raised.
bool read_all_or_throw(const std::string& prefix, const std::map<std::string, tf::Tensor>& want) {
  try {
    S::BundleReader r(prefix);
    for (const auto& [key, t] : want) {
      tf::Tensor got = r.get_tensor(key);
      expect_identical(got, t);
    }
    return false;
  } catch (const tf::errors::DataLossError& e) {
    EXPECT_NE(std::string(e.what()).find(prefix), std::string::npos) << e.what();
    return true;
  } catch (const tf::errors::NotFoundError&) {
    return true;  // a flipped key byte: the key is no longer there
  } catch (const tf::errors::UnimplementedError&) {
    return true;  // a flipped dtype/endianness/version
  }
}

std::map<std::string, tf::Tensor> expected_tensors(const std::string& prefix) {
  S::BundleReader r(prefix);
  std::map<std::string, tf::Tensor> out;
  for (const auto& [k, e] : r.entries()) out.emplace(k, r.get_tensor(k));
  return out;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), std::streamsize(bytes.size()));
}

TEST(TensorBundle, EveryTruncationIsDataLoss) {
  TempDir dir;
  AllDTypes m;
  tf::train::Checkpoint({{"m", m}}).write(dir / "t");
  const auto want = expected_tensors(dir / "t");
  for (const char* suffix : {".index", ".data-00000-of-00001"}) {
    const std::string path = dir / (std::string("t") + suffix);
    const std::string good = S::read_file(path);
    for (std::size_t n = 0; n < good.size(); ++n) {
      write_bytes(path, good.substr(0, n));
      EXPECT_TRUE(read_all_or_throw(dir / "t", want)) << suffix << " truncated to " << n << " bytes";
    }
    write_bytes(path, good);
  }
  EXPECT_FALSE(read_all_or_throw(dir / "t", want));
}

TEST(TensorBundle, EveryBitFlipIsDetectedOrHarmless) {
  TempDir dir;
  AllDTypes m;
  tf::train::Checkpoint({{"m", m}}).write(dir / "f");
  const auto want = expected_tensors(dir / "f");
  for (const char* suffix : {".index", ".data-00000-of-00001"}) {
    const std::string path = dir / (std::string("f") + suffix);
    const std::string good = S::read_file(path);
    // Every byte is covered by a CRC but the index footer's handles and padding (48 bytes): a
    // flip there must still give exact values or an error (checked inside read_all_or_throw).
    const bool is_index = std::string(suffix) == ".index";
    const std::size_t covered = is_index ? good.size() - 48 : good.size();
    for (std::size_t i = 0; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = char(bad[i] ^ (1 << (i % 8)));
      write_bytes(path, bad);
      const bool detected = read_all_or_throw(dir / "f", want);
      if (i < covered) EXPECT_TRUE(detected) << suffix << " byte " << i;
    }
    write_bytes(path, good);
  }
}

TEST(TensorBundle, LyingEntriesAreRefusedBeforeAllocating) {
  TempDir dir;
  // An index whose entry claims 2^40 elements of a small data file: refused from the sizes alone.
  {
    S::BundleWriter w(dir / "lie");
    w.add("x", tf::constant({1.0f, 2.0f}));
    w.finish();
  }
  S::BundleReader honest(dir / "lie");
  EXPECT_EQ(honest.get_tensor("x").to_vector<float>(), (std::vector<float>{1.0f, 2.0f}));
  // Rewrite the data file shorter than the entry says: the reader refuses at open.
  write_bytes(dir / "lie.data-00000-of-00001", "abc");
  expect_error<tf::errors::DataLossError>([&] { S::BundleReader r(dir / "lie"); },
                                          {"lie.data-00000-of-00001", "'x'", "outside the data file"});
  std::filesystem::remove(dir / "lie.data-00000-of-00001");
  expect_error<tf::errors::DataLossError>([&] { S::BundleReader r(dir / "lie"); }, {"missing", "'x'"});
}

}  // namespace
