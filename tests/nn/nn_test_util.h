// Helpers of the nn tests: tensors from the Keras fixtures.
#pragma once
#include "tests/core/test_util.h"
#include "tests/nn/fixtures/keras_fixtures.h"

namespace tapeflow::testing {

inline Tensor from_case(const fixtures::keras::Case& c, DType dtype = DType::kFloat32) {
  return constant(c.values, Shape(c.shape), dtype);
}
inline void expect_case(const Tensor& got, const fixtures::keras::Case& want, double tol = -1) {
  expect_values(got, Shape(want.shape), want.values, tol);
}

}  // namespace tapeflow::testing
