// RAII owners of cuDNN's descriptors (tensor, filter, convolution) and the mapping from
// Tapeflow dtypes to cuDNN's. Tapeflow images are NHWC; TF's HWIO filters are transposed to
// OHWI (cuDNN's NHWC filter layout, "KRSC") before cuDNN sees them.
// Setting a descriptor checks with TF_CUDNN_CHECK_CONFIG: arguments cuDNN rejects are an
// UnimplementedError, on which the kernels fall back to the CPU kernel.
// Only compiled into builds with cuDNN (TAPEFLOW_HAS_CUDNN).
#pragma once
#include <cudnn.h>

#include <climits>
#include <cstdint>
#include <initializer_list>

#include "tapeflow/core/dtype.h"
#include "tapeflow/cuda/cudnn_check.h"

namespace tapeflow::cuda {

/// cuDNN's data type of a floating dtype (the caller has checked is_floating).
inline cudnnDataType_t cudnn_data_type(DType dt) {
  switch (dt) {
    case DType::kFloat32: return CUDNN_DATA_FLOAT;
    case DType::kFloat64: return CUDNN_DATA_DOUBLE;
    case DType::kFloat16: return CUDNN_DATA_HALF;
    case DType::kBFloat16: return CUDNN_DATA_BFLOAT16;
    default: TF_THROW(UnimplementedError, "", "cuDNN has no data type for ", dtype_name(dt));
  }
}
/// The type cuDNN accumulates a dtype in: float for the halves (pseudo-half configurations,
/// as TF's float accumulation), else the dtype itself.
inline cudnnDataType_t cudnn_compute_type(DType dt) {
  return dt == DType::kFloat64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
}

/// alpha = 1 and beta = 0 in the type cuDNN's scaling factors take: double for double data, else float.
struct CudnnScale {
  explicit CudnnScale(DType dt) : is_double(dt == DType::kFloat64) {}
  const void* one() const { return is_double ? static_cast<const void*>(&one_d) : &one_f; }
  const void* zero() const { return is_double ? static_cast<const void*>(&zero_d) : &zero_f; }
  bool is_double;
  double one_d = 1.0, zero_d = 0.0;
  float one_f = 1.0f, zero_f = 0.0f;
};

/// Checks that every dimension fits cuDNN's int arguments.
inline void check_cudnn_dims(const char* op, std::initializer_list<int64_t> dims) {
  for (int64_t d : dims)
    TF_CHECK_TYPED(d <= INT_MAX, UnimplementedError, op, "dimension ", d, " is too large for cuDNN (int32)");
}

class TensorDescriptor {
 public:
  TensorDescriptor() { TF_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d_)); }
  ~TensorDescriptor() { (void)cudnnDestroyTensorDescriptor(d_); }
  TensorDescriptor(const TensorDescriptor&) = delete;
  TensorDescriptor& operator=(const TensorDescriptor&) = delete;
  /// A dense NHWC image batch.
  void set_nhwc(cudnnDataType_t dt, int64_t n, int64_t h, int64_t w, int64_t c) {
    TF_CUDNN_CHECK_CONFIG(cudnnSetTensor4dDescriptor(d_, CUDNN_TENSOR_NHWC, dt, static_cast<int>(n),
                                                     static_cast<int>(c), static_cast<int>(h), static_cast<int>(w)));
  }
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

class FilterDescriptor {
 public:
  FilterDescriptor() { TF_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d_)); }
  ~FilterDescriptor() { (void)cudnnDestroyFilterDescriptor(d_); }
  FilterDescriptor(const FilterDescriptor&) = delete;
  FilterDescriptor& operator=(const FilterDescriptor&) = delete;
  /// An OHWI filter (out_channels, KH, KW, in_channels).
  void set_ohwi(cudnnDataType_t dt, int64_t o, int64_t kh, int64_t kw, int64_t c) {
    TF_CUDNN_CHECK_CONFIG(cudnnSetFilter4dDescriptor(d_, dt, CUDNN_TENSOR_NHWC, static_cast<int>(o),
                                                     static_cast<int>(c), static_cast<int>(kh), static_cast<int>(kw)));
  }
  cudnnFilterDescriptor_t get() const { return d_; }

 private:
  cudnnFilterDescriptor_t d_ = nullptr;
};

class ConvolutionDescriptor {
 public:
  ConvolutionDescriptor() { TF_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d_)); }
  ~ConvolutionDescriptor() { (void)cudnnDestroyConvolutionDescriptor(d_); }
  ConvolutionDescriptor(const ConvolutionDescriptor&) = delete;
  ConvolutionDescriptor& operator=(const ConvolutionDescriptor&) = delete;
  /// TF's conv2d is a cross-correlation (the filter is not flipped).
  void set_2d(int64_t pad_h, int64_t pad_w, int64_t stride_h, int64_t stride_w, int64_t dilation_h, int64_t dilation_w,
              cudnnDataType_t compute) {
    TF_CUDNN_CHECK_CONFIG(cudnnSetConvolution2dDescriptor(
        d_, static_cast<int>(pad_h), static_cast<int>(pad_w), static_cast<int>(stride_h), static_cast<int>(stride_w),
        static_cast<int>(dilation_h), static_cast<int>(dilation_w), CUDNN_CROSS_CORRELATION, compute));
  }
  void set_math_type(cudnnMathType_t math) { TF_CUDNN_CHECK_CONFIG(cudnnSetConvolutionMathType(d_, math)); }
  cudnnConvolutionDescriptor_t get() const { return d_; }

 private:
  cudnnConvolutionDescriptor_t d_ = nullptr;
};

}  // namespace tapeflow::cuda
