// The CPU kernel families' registration functions, called once by tapeflow/init.cpp.
#pragma once

namespace tapeflow::kernels::cpu {
void register_binary_kernels();
void register_copy_kernels();      // Copy (strided)
void register_cast_kernels();      // Cast
void register_creation_kernels();  // Fill, Range
void register_reduction_kernels();
void register_array_kernels();
void register_unary_kernels();
void register_string_kernels();             // tf.strings.*, tf.io.decode_raw
void register_ragged_kernels();             // RaggedTensorToTensor
void register_sparse_kernels();             // tf.sparse.*
void register_linalg_kernels();             // MatMul, BatchMatMulV2 (OpenBLAS)
void register_softmax_kernels();            // tf.nn.softmax, log_softmax, softmax cross-entropies
void register_random_kernels();             // tf.random.*, tf.nn.dropout
void register_conv_kernels();               // Conv2D and its backprop ops (im2col + OpenBLAS)
void register_pooling_kernels();            // MaxPool, AvgPool and their gradients
void register_batch_norm_kernels();         // FusedBatchNormV3, FusedBatchNormGradV3
void register_bias_add_kernels();           // BiasAdd, BiasAddGrad
void register_training_kernels();           // the fused optimizer updates (_FusedApplyAdam, ...)
void register_fused_contraction_kernels();  // _FusedMatMul, _FusedConv2D (made by the graph remapper)
void register_fused_elementwise_kernels();  // _FusedElementwise (made by the graph's elementwise fusion)
void register_rnn_kernels();                // _CudnnRNN, _CudnnRNNGrad (the fused recurrent layers)
}  // namespace tapeflow::kernels::cpu
