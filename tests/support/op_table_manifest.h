// The op table's manifest: which test checks which ops, on which device, in which dtypes. Every
// op registered with a kernel must be named by a CPU entry (tests/core/op_table_audit_test.cpp
// fails otherwise), each entry is verified whenever its test runs (op_table_coverage.cpp: every
// op it names must have run there in every dtype it names), and docs/ops.md prints its dtype
// columns from it (tools/ops_table.cpp). Plain data, no gtest: the docs tool includes it too.
// To draft a new test's entries, run it with TAPEFLOW_OP_TABLE_DUMP=1 and pipe the output through
// tools/op_table_entry.py (it groups the ops that ran by dtype set, per device).
//
// A row of the table is a check against an independent reference: a long-double formula or an
// index map (tests/support/op_table_*.h), NumPy's or TensorFlow's own outputs (fixtures written by
// the committed generator scripts), or exact values worked out by hand for the string ops.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace tapeflow::testing::op_table {

enum class On { kCpu, kGpu };

struct Coverage {
  On device;
  std::string_view test;    // "Suite.Name": a test of tests/core (kCpu) or tests/gpu (kGpu)
  std::string_view ops;     // TF op names, space-separated
  std::string_view dtypes;  // each op runs there in each of these (an input's or output's dtype)
};

inline std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t j = s.find(' ', i);
    const std::size_t end = j == std::string_view::npos ? s.size() : j;
    if (end > i) out.emplace_back(s.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

inline constexpr Coverage kCoverage[] = {
    // CPU:0 (tests/core)
    {On::kCpu, "OpTableUnary.FloatingRowsMatchExactReferences",
     "Abs Ceil Cos Elu Erf Erfc Exp Expm1 Floor Gelu LeakyRelu Log Log1p Neg Reciprocal Relu Relu6 Round Rsqrt Selu "
     "Sigmoid Sign Silu Sin Softplus Softsign Sqrt Square Tan Tanh",
     "bfloat16 float16 float32 float64"},
    {On::kCpu, "OpTableUnary.IntegerRowsWrapAsTF", "Abs Relu Relu6 Sign Square", "int32 int64 int8 uint8"},
    {On::kCpu, "OpTableUnary.IntegerRowsWrapAsTF", "Neg", "int32 int64 int8"},
    {On::kCpu, "OpTableBinary.FloatingRowsMatchExactReferences",
     "AddV2 FloorDiv FloorMod Maximum Minimum Mul Pow RealDiv SquaredDifference Sub",
     "bfloat16 float16 float32 float64"},
    {On::kCpu, "OpTableBinary.FloatingRowsMatchExactReferences", "Equal Greater GreaterEqual Less LessEqual NotEqual",
     "bfloat16 bool float16 float32 float64"},
    {On::kCpu, "OpTableBinary.IntegerRowsWrapAsTF",
     "AddV2 FloorDiv FloorMod Maximum Minimum Mul Pow SquaredDifference Sub", "int32 int64 int8 uint8"},
    {On::kCpu, "OpTableBinary.IntegerRowsWrapAsTF", "Equal Greater GreaterEqual Less LessEqual NotEqual",
     "bool int32 int64 int8 uint8"},
    {On::kCpu, "OpTableBinary.BoolRows", "Equal LogicalAnd LogicalOr NotEqual", "bool"},
    {On::kCpu, "OpTableReduction.ReductionRows", "Max Mean Min Prod Sum",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableReduction.ArgMaxArgMin", "ArgMax ArgMin",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableReduction.CumsumCumprod", "Cumprod Cumsum",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableReduction.AnyAll", "All Any", "bool"},
    {On::kCpu, "OpTableArrayOps.MoversKeepEveryValueBitForBit",
     "BroadcastTo ConcatV2 ExpandDims GatherNd GatherV2 Identity MirrorPad PadV2 Reshape ReverseV2 Squeeze "
     "StridedSlice Tile Transpose",
     "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableArrayOps.OneHot", "OneHot", "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableArrayOps.UnsortedSegmentSum", "UnsortedSegmentSum",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableFamilies.CastBetweenEveryPairOfDtypes", "Cast",
     "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableFamilies.MatMul", "BatchMatMulV2 MatMul", "bfloat16 float16 float32 float64 int32 int64"},
    {On::kCpu, "OpTableFamilies.SoftmaxLogSoftmax", "LogSoftmax Softmax", "bfloat16 float16 float32 float64"},
    {On::kCpu, "OpTableFamilies.SoftmaxGradients", "_LogSoftmaxGrad _SoftmaxGrad", "bfloat16 float16 float32 float64"},
    {On::kCpu, "OpTableFamilies.SoftmaxCrossEntropies", "SoftmaxCrossEntropyWithLogits",
     "bfloat16 float16 float32 float64"},
    {On::kCpu, "OpTableFamilies.SoftmaxCrossEntropies", "SparseSoftmaxCrossEntropyWithLogits",
     "bfloat16 float16 float32 float64 int32 int64"},
    {On::kCpu, "OpTableFamilies.BiasAddAndItsGradient", "BiasAdd BiasAddGrad",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableFamilies.FillAndRange", "Fill", "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableFamilies.FillAndRange", "Range", "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableFamilies.CopyAndStopGradientKeepEveryBit", "Copy StopGradient _CopyToDevice",
     "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableFamilies.FusedContractions", "_FusedConv2D _FusedMatMul", "float32 float64"},
    {On::kCpu, "OpTableFamilies.FusedElementwiseMatchesTheUnfusedOpsBitForBit", "_FusedElementwise", "float32 float64"},
    {On::kCpu, "OpTableFamilies.GraphAndTapeOps", "CustomGradient", "bfloat16 float16 float32 float64"},
    {On::kCpu, "OpTableFamilies.GraphAndTapeOps", "If", "bfloat16 bool float16 float32 float64 int32 int64"},
    {On::kCpu, "OpTableFamilies.GraphAndTapeOps", "PartitionedCall While",
     "bfloat16 float16 float32 float64 int32 int64"},
    {On::kCpu, "OpTableFamilies.PredicatesAndLogicalNot", "IsFinite IsInf IsNan",
     "bfloat16 bool float16 float32 float64"},
    {On::kCpu, "OpTableFamilies.PredicatesAndLogicalNot", "LogicalNot", "bool"},
    {On::kCpu, "OpTableFamilies.SelectAndWhere", "SelectV2",
     "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableFamilies.SelectAndWhere", "Where", "bool int64"},
    {On::kCpu, "OpTableFamilies.TopK", "TopKV2", "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "OpTableFamilies.StridedSliceGradient", "StridedSliceGrad", "bfloat16 float16 float32 float64"},
    {On::kCpu, "OpTableNn.Conv2DAndItsBackpropOps", "Conv2D Conv2DBackpropFilter Conv2DBackpropInput",
     "bfloat16 float16 float32 float64"},
    {On::kCpu, "OpTableNn.FusedBatchNormAndItsGradient", "FusedBatchNormGradV3 FusedBatchNormV3",
     "bfloat16 float16 float32 float64"},
    {On::kCpu, "OpTableNn.MaxPoolAvgPoolAndTheirGradients", "AvgPool AvgPoolGrad MaxPool MaxPoolGrad MaxPoolGradGrad",
     "bfloat16 float16 float32 float64"},
    {On::kCpu, "CudnnRNNOp.MatchesPerStepCellsInEveryMode", "_CudnnRNN _CudnnRNNGrad", "float32 float64"},
    {On::kCpu, "FusedTrainingOps.AdamAndAdamWMatchTheFormulas", "_FusedApplyAdam", "float32 float64"},
    {On::kCpu, "FusedTrainingOps.SGDVariantsMatchTheFormulas", "_FusedApplyGradientDescent _FusedApplyKerasMomentum",
     "float32 float64"},
    {On::kCpu, "FusedTrainingOps.AdagradAndRMSpropMatchTheFormulas", "_FusedApplyAdagrad _FusedApplyRMSProp",
     "float32 float64"},
    {On::kCpu, "Sparse.FixtureFloat64",
     "SparseAdd SparseFromDense SparseReduceSum SparseReorder SparseTensorDenseAdd SparseTensorDenseMatMul "
     "SparseToDense",
     "float64 int64"},
    {On::kCpu, "Sparse.FixtureFloat32",
     "SparseAdd SparseFromDense SparseReduceSum SparseReorder SparseTensorDenseAdd SparseTensorDenseMatMul "
     "SparseToDense",
     "float32 int64"},
    {On::kCpu, "Sparse.FixtureFloat16",
     "SparseAdd SparseFromDense SparseReduceSum SparseReorder SparseTensorDenseAdd SparseTensorDenseMatMul "
     "SparseToDense",
     "float16 int64"},
    {On::kCpu, "Sparse.FixtureBFloat16",
     "SparseAdd SparseFromDense SparseReduceSum SparseReorder SparseTensorDenseAdd SparseTensorDenseMatMul "
     "SparseToDense",
     "bfloat16 int64"},
    {On::kCpu, "Sparse.FixtureInt8",
     "SparseAdd SparseFromDense SparseReduceSum SparseReorder SparseTensorDenseAdd SparseTensorDenseMatMul "
     "SparseToDense",
     "int64 int8"},
    {On::kCpu, "Sparse.FixtureUInt8",
     "SparseAdd SparseFromDense SparseReduceSum SparseReorder SparseTensorDenseAdd SparseTensorDenseMatMul "
     "SparseToDense",
     "int64 uint8"},
    {On::kCpu, "Sparse.FixtureInt32",
     "SparseAdd SparseFromDense SparseReduceSum SparseReorder SparseTensorDenseAdd SparseTensorDenseMatMul "
     "SparseToDense",
     "int32 int64"},
    {On::kCpu, "Sparse.FixtureInt64",
     "SparseAdd SparseFromDense SparseReduceSum SparseReorder SparseTensorDenseAdd SparseTensorDenseMatMul "
     "SparseToDense",
     "int64"},
    {On::kCpu, "Ragged.NonContiguousValuesAndEveryDtype", "RaggedTensorToTensor",
     "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kCpu, "Ragged.ToTensorPadsWithDefault", "RaggedTensorToTensor", "float32 float64 int32 int64 string"},
    {On::kCpu, "RandomMatchesTF.OpSeedsUnderAGlobalSeed", "RandomStandardNormal RandomUniform TruncatedNormal",
     "bfloat16 float16 float32 float64"},
    {On::kCpu, "RandomMatchesTF.OpSeedsUnderAGlobalSeed", "RandomUniformInt", "int32 int64"},
    {On::kCpu, "RandomMatchesTF.Dropout", "Dropout", "float16 float32 float64"},
    {On::kCpu, "Strings.AsString", "AsString", "bool float16 float32 int32 string"},
    {On::kCpu, "Strings.BytesSplitAndDecodeRaw", "DecodeRaw", "int32 string uint8"},
    {On::kCpu, "Strings.BytesSplitAndDecodeRaw", "StringSplit", "int64 string"},
    {On::kCpu, "Strings.JoinAndReduceJoin", "ReduceJoin StringJoin", "string"},
    {On::kCpu, "Strings.LengthLowerUpperSubstr", "StringLength", "int32 string"},
    {On::kCpu, "Strings.LengthLowerUpperSubstr", "StringLower StringUpper Substr", "string"},
    {On::kCpu, "Strings.SplitSemanticsMatchPythonStrSplit", "StringSplitV2", "int64 string"},
    {On::kCpu, "Strings.ToNumberDtypesAndErrors", "StringToNumber", "float64 int32 int64 string"},
    {On::kCpu, "Strings.UnicodeSplitAndDecode", "UnicodeDecode", "int32 int64 string"},
    {On::kCpu, "Strings.UnicodeSplitAndDecode", "UnicodeSplit", "int64 string"},
    // GPU:0: the same rows in tests/gpu (verified where a GPU runs them)
    {On::kGpu, "GpuTest.OpTableFusedElementwise", "_FusedElementwise", "float32 float64"},
    {On::kGpu, "GpuTest.OpTableFusedContractions", "_FusedConv2D _FusedMatMul", "float32 float64"},
    {On::kGpu, "GpuTest.OpTableUnaryFloatingRows",
     "Abs Ceil Cos Elu Erf Erfc Exp Expm1 Floor Gelu LeakyRelu Log Log1p Neg Reciprocal Relu Relu6 Round Rsqrt Selu "
     "Sigmoid Sign Silu Sin Softplus Softsign Sqrt Square Tan Tanh",
     "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableUnaryIntegerRows", "Abs Relu Relu6 Sign Square", "int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableUnaryIntegerRows", "Neg", "int32 int64 int8"},
    {On::kGpu, "GpuTest.OpTableBinaryFloatingRows",
     "AddV2 FloorDiv FloorMod Maximum Minimum Mul Pow RealDiv SquaredDifference Sub",
     "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableBinaryFloatingRows", "Equal Greater GreaterEqual Less LessEqual NotEqual",
     "bfloat16 bool float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableBinaryIntegerRows",
     "AddV2 FloorDiv FloorMod Maximum Minimum Mul Pow SquaredDifference Sub", "int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableBinaryIntegerRows", "Equal Greater GreaterEqual Less LessEqual NotEqual",
     "bool int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableBinaryBoolRows", "Equal LogicalAnd LogicalOr NotEqual", "bool"},
    {On::kGpu, "GpuTest.OpTableReductionRows", "Max Mean Min Prod Sum",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableArgMaxArgMin", "ArgMax ArgMin",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableCumsumCumprod", "Cumprod Cumsum",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableAnyAll", "All Any", "bool"},
    {On::kGpu, "GpuTest.OpTableArrayOpsMovers",
     "BroadcastTo ConcatV2 ExpandDims GatherNd GatherV2 Identity MirrorPad PadV2 Reshape ReverseV2 Squeeze "
     "StridedSlice Tile Transpose",
     "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableOneHot", "OneHot", "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableUnsortedSegmentSum", "UnsortedSegmentSum",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableCastBetweenEveryPairOfDtypes", "Cast",
     "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableMatMul", "BatchMatMulV2 MatMul", "bfloat16 float16 float32 float64 int32 int64"},
    {On::kGpu, "GpuTest.OpTableSoftmaxLogSoftmax", "LogSoftmax Softmax", "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableSoftmaxGradients", "_LogSoftmaxGrad _SoftmaxGrad", "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableSoftmaxCrossEntropies", "SoftmaxCrossEntropyWithLogits",
     "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableSoftmaxCrossEntropies", "SparseSoftmaxCrossEntropyWithLogits",
     "bfloat16 float16 float32 float64 int32 int64"},
    {On::kGpu, "GpuTest.OpTableBiasAddAndItsGradient", "BiasAdd BiasAddGrad",
     "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableFillAndRange", "Fill", "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableFillAndRange", "Range", "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableCopyAndStopGradientKeepEveryBit", "Copy StopGradient _CopyToDevice",
     "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableGraphAndTapeOps", "CustomGradient", "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableGraphAndTapeOps", "If", "bfloat16 bool float16 float32 float64 int32 int64"},
    {On::kGpu, "GpuTest.OpTableGraphAndTapeOps", "PartitionedCall While",
     "bfloat16 float16 float32 float64 int32 int64"},
    {On::kGpu, "GpuTest.OpTablePredicatesAndLogicalNot", "IsFinite IsInf IsNan",
     "bfloat16 bool float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTablePredicatesAndLogicalNot", "LogicalNot", "bool"},
    {On::kGpu, "GpuTest.OpTableSelectAndWhere", "SelectV2",
     "bfloat16 bool float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableSelectAndWhere", "Where", "bool int64"},
    {On::kGpu, "GpuTest.OpTableTopK", "TopKV2", "bfloat16 float16 float32 float64 int32 int64 int8 uint8"},
    {On::kGpu, "GpuTest.OpTableStridedSliceGradient", "StridedSliceGrad", "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableConv2DAndItsBackpropOps", "Conv2D Conv2DBackpropFilter Conv2DBackpropInput",
     "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableFusedBatchNormAndItsGradient", "FusedBatchNormGradV3 FusedBatchNormV3",
     "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableMaxPoolAvgPoolAndTheirGradients",
     "AvgPool AvgPoolGrad MaxPool MaxPoolGrad MaxPoolGradGrad", "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.CudnnRNNMatchesTheCpuKernel", "_CudnnRNN _CudnnRNNGrad", "float32 float64"},
    {On::kGpu, "GpuTest.CudnnRNNLayersOnGpuMatchCpu", "_CudnnRNN _CudnnRNNGrad", "float32"},
    {On::kGpu, "GpuTest.OpTableFusedAdam", "_FusedApplyAdam", "float32 float64"},
    {On::kGpu, "GpuTest.OpTableFusedSGDVariants", "_FusedApplyGradientDescent _FusedApplyKerasMomentum",
     "float32 float64"},
    {On::kGpu, "GpuTest.OpTableFusedAdagradAndRMSprop", "_FusedApplyAdagrad _FusedApplyRMSProp", "float32 float64"},
    {On::kGpu, "GpuTest.OpTableRandomMatchesTF", "RandomStandardNormal RandomUniform TruncatedNormal",
     "bfloat16 float16 float32 float64"},
    {On::kGpu, "GpuTest.OpTableRandomMatchesTF", "RandomUniformInt", "int32 int64"},
    {On::kGpu, "GpuTest.OpTableDropoutMatchesTF", "Dropout", "float16 float32 float64"},
};

}  // namespace tapeflow::testing::op_table
