// The CUDA runtime layer beside the kernels: cuDNN statuses become typed errors naming the call
// (checked here without a GPU), the per-device cuDNN handle is bound to the device's stream, and
// cuda::Event records, waits and times work on that stream (GPU only).
#include "tests/gpu/gpu_test_util.h"
#if TAPEFLOW_HAS_CUDA
#include "tapeflow/cuda/cuda_context.h"
#include "tapeflow/cuda/event.h"
#endif
#if TAPEFLOW_HAS_CUDNN
#include "tapeflow/cuda/cudnn_check.h"
#include "tapeflow/cuda/cudnn_handle.h"
#endif

namespace {
using tapeflow::testing::GpuTest;

#if TAPEFLOW_HAS_CUDNN
namespace tc = tapeflow::cuda;

/// The message of the error TF_CUDNN_CHECK throws for `status`, checking its type.
template <typename Error> std::string cudnn_error_message(cudnnStatus_t status) {
  try {
    TF_CUDNN_CHECK(status);
  } catch (const Error& e) { return e.what(); } catch (const std::exception& e) {
    ADD_FAILURE() << "status " << static_cast<int>(status) << " raised the wrong type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "status " << static_cast<int>(status) << " raised nothing";
  return {};
}

TEST(CudnnCheck, StatusesBecomeTypedErrorsNamingTheCall) {
  EXPECT_NO_THROW(TF_CUDNN_CHECK(CUDNN_STATUS_SUCCESS));
  const std::string bad = cudnn_error_message<tf::errors::InvalidArgumentError>(CUDNN_STATUS_BAD_PARAM_NULL_POINTER);
  EXPECT_EQ(bad.rfind("status failed: ", 0), 0u) << bad;  // the checked call's source text comes first
  EXPECT_NE(bad.find("CUDNN_STATUS_BAD_PARAM"), std::string::npos) << bad;
  EXPECT_NE(bad.find("cuda_runtime_test.cpp"), std::string::npos) << bad;
  const std::string unsupported =
      cudnn_error_message<tf::errors::UnimplementedError>(CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE);
  EXPECT_NE(unsupported.find("CUDNN_STATUS_NOT_SUPPORTED"), std::string::npos) << unsupported;
  cudnn_error_message<tf::errors::ResourceExhaustedError>(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED);
  cudnn_error_message<tf::errors::InternalError>(CUDNN_STATUS_EXECUTION_FAILED);
  EXPECT_TRUE(tc::cudnn_not_supported(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT));
  EXPECT_FALSE(tc::cudnn_not_supported(CUDNN_STATUS_BAD_PARAM));
}

TEST_F(GpuTest, CudnnHandleIsPerDeviceAndOnItsStream) {
  cudnnHandle_t h = tc::cudnn_handle(0);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(tc::cudnn_handle(0), h);  // created once
  cudaStream_t s = nullptr;
  TF_CUDNN_CHECK(cudnnGetStream(h, &s));
  EXPECT_EQ(s, tc::stream(0));
  EXPECT_GE(tc::cudnn_runtime_version(), 90000u);
  EXPECT_THROW(tc::cudnn_handle(tc::device_count()), tf::errors::InvalidArgumentError);
}
#endif  // TAPEFLOW_HAS_CUDNN

#if TAPEFLOW_HAS_CUDA
TEST(CudaEvent, EmptyEventIsDone) {
  tapeflow::cuda::Event e;  // no CUDA call: works without a GPU
  EXPECT_FALSE(e.valid());
  EXPECT_TRUE(e.query());
  EXPECT_NO_THROW(e.synchronize());
  EXPECT_THROW(e.record(nullptr), tf::errors::FailedPreconditionError);
}

TEST_F(GpuTest, EventTimesWorkOnTheDeviceStream) {
  namespace tc = tapeflow::cuda;
  tc::Event start(tc::Event::Timing::kEnabled), end(tc::Event::Timing::kEnabled);
  cudaStream_t s = tc::stream(0);
  start.record(s);
  tf::Tensor x;
  {
    tf::DeviceScope on("GPU:0");
    x = tf::fill({4096, 1024}, 1.0f);
    for (int i = 0; i < 20; ++i) x = x * 1.0001f;  // queued, not waited for
  }
  end.record(s);
  end.synchronize();
  EXPECT_TRUE(end.query());
  EXPECT_GT(end.elapsed_ms_since(start), 0.0f);
  tc::Event moved = std::move(end);
  EXPECT_TRUE(moved.valid());
  EXPECT_FALSE(end.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_NEAR(x.cpu().to_vector<float>()[0], std::pow(1.0001f, 20.0f), 1e-5);
}
#endif  // TAPEFLOW_HAS_CUDA

}  // namespace
