// Helpers of the checkpoint tests: a fresh temporary directory per test, byte-exact tensor
// comparison, and a small tf.Module holding one variable of every dtype.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "tapeflow/tapeflow.h"

namespace tapeflow::testing {

/// A directory removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tapeflow_ckpt_XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

/// Same dtype, shape and bytes (strings compared as strings).
inline void expect_identical(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.dtype(), want.dtype());
  ASSERT_EQ(got.shape(), want.shape());
  if (want.dtype() == DType::kString) {
    EXPECT_EQ(got.to_vector<std::string>(), want.to_vector<std::string>());
    return;
  }
  const std::size_t n = static_cast<std::size_t>(want.size()) * dtype_size(want.dtype());
  std::vector<char> a(n), b(n);
  detail::copy_to_host(got, a.data());
  detail::copy_to_host(want, b.data());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), n));
}

/// Expects `f` to throw E whose message contains every one of `words`.
template <typename E, typename F> void expect_error(F&& f, const std::vector<std::string>& words) {
  try {
    f();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& w : words) EXPECT_NE(msg.find(w), std::string::npos) << "'" << w << "' not in: " << msg;
  }
}

/// One variable of every dtype Tapeflow has, tracked under the dtype's name.
struct AllDTypes : Module {
  std::vector<Variable> vars;
  AllDTypes() : Module("all_dtypes") {
    vars.push_back(track("float32", Variable(constant({{1.5f, -2.25f, 3.0f}, {4.0f, 5.5f, -6.0f}}))));
    vars.push_back(track("float64", Variable(constant({1.0 / 3.0, -2.5e300}, DType::kFloat64))));
    vars.push_back(track("float16", Variable(constant({0.5f, -1.25f, 65504.0f}, DType::kFloat16))));
    vars.push_back(track("bfloat16", Variable(constant({0.5f, -3.0f}, DType::kBFloat16))));
    vars.push_back(track("int8", Variable(constant({-128, 0, 127}, DType::kInt8))));
    vars.push_back(track("int32", Variable(constant({{1, -2}, {2147483647, -2147483647}}))));
    vars.push_back(track("int64", Variable(constant({int64_t{-9000000000000}, int64_t{42}}))));
    vars.push_back(track("uint8", Variable(constant({0, 200, 255}, DType::kUInt8))));
    vars.push_back(track("bool", Variable(constant({true, false, true}))));
    vars.push_back(
        track("string", Variable(detail::constant_from_strings({"Gray wolf", "", std::string(300, 'x')}, Shape{3}))));
    vars.push_back(track("scalar", Variable(constant(7.0f))));
  }
};

}  // namespace tapeflow::testing
