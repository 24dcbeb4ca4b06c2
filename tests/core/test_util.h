// Shared helpers for value tests: compare a tensor with float64 reference values under a
// per-dtype tolerance, and expect a typed error whose message contains given words.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace tapeflow::testing {

/// Relative tolerance of a dtype's arithmetic against a float64 reference.
inline double tolerance(DType dt) {
  switch (dt) {
    case DType::kFloat64: return 1e-12;
    case DType::kFloat32: return 1e-5;
    case DType::kFloat16: return 2e-3;
    case DType::kBFloat16: return 1.6e-2;
    default: return 0.0;
  }
}

/// The tensor's values as doubles (any dtype but string), row-major.
inline std::vector<double> values_as_double(const Tensor& t) {
  Tensor f = t.dtype() == DType::kFloat64 ? t : cast(t, DType::kFloat64);
  return f.to_vector<double>();
}

/// Expects shape equality and |got - want| <= tol * max(1, |want|) elementwise (NaN matches NaN).
inline void expect_values(const Tensor& got, const Shape& shape, const std::vector<double>& want, double tol = -1) {
  ASSERT_EQ(got.shape(), shape);
  if (tol < 0) tol = tolerance(got.dtype());
  std::vector<double> g = values_as_double(got);
  ASSERT_EQ(g.size(), want.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << "element " << i;
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(g[i], want[i]) << "element " << i;
    } else {
      EXPECT_NEAR(g[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << "element " << i;
    }
  }
}

/// EXPECT_TF_ERROR(stmt, tf::errors::InvalidArgumentError, "words in the message")
#define EXPECT_TF_ERROR(stmt, ErrorType, substring)                                                       \
  do {                                                                                                    \
    try {                                                                                                 \
      (void)(stmt);                                                                                       \
      ADD_FAILURE() << "expected " #ErrorType " from " #stmt;                                             \
    } catch (const ErrorType& e) {                                                                        \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos) << "message was: " << e.what(); \
    }                                                                                                     \
  } while (0)

/// Expects `stmt` to throw InvalidArgumentError raised by `op` whose message contains `words`.
template <typename F> void expect_invalid_argument(F&& stmt, const std::string& op, const std::string& words) {
  try {
    (void)stmt();
    ADD_FAILURE() << "expected InvalidArgumentError from " << op;
  } catch (const errors::InvalidArgumentError& e) {
    EXPECT_EQ(e.op(), op) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << "message was: " << e.what();
  }
}

}  // namespace tapeflow::testing
