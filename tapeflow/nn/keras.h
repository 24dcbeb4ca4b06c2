// Everything of tf.keras (layers, losses, metrics, optimizers, models, datasets) for the
// umbrella header; users write `namespace K = tf::keras;`.
#pragma once
#include "tapeflow/nn/activations.h"
#include "tapeflow/nn/confusion_metrics.h"
#include "tapeflow/nn/data/dataset.h"
#include "tapeflow/nn/datasets/fashion_mnist.h"
#include "tapeflow/nn/initializers.h"
#include "tapeflow/nn/layers/activation.h"
#include "tapeflow/nn/layers/convolutional.h"
#include "tapeflow/nn/layers/dense.h"
#include "tapeflow/nn/layers/dropout.h"
#include "tapeflow/nn/layers/embedding.h"
#include "tapeflow/nn/layers/input_layer.h"
#include "tapeflow/nn/layers/keras_tensor.h"
#include "tapeflow/nn/layers/layer.h"
#include "tapeflow/nn/layers/normalization.h"
#include "tapeflow/nn/layers/pooling.h"
#include "tapeflow/nn/layers/merging.h"
#include "tapeflow/nn/layers/reshaping.h"
#include "tapeflow/nn/losses.h"
#include "tapeflow/nn/metrics.h"
#include "tapeflow/nn/models/backup_and_restore.h"
#include "tapeflow/nn/models/callbacks.h"
#include "tapeflow/nn/models/csv_logger.h"
#include "tapeflow/nn/models/model.h"
#include "tapeflow/nn/models/model_checkpoint.h"
#include "tapeflow/nn/models/sequential.h"
#include "tapeflow/trackable/module.h"
#include "tapeflow/nn/optimizers/adagrad.h"
#include "tapeflow/nn/optimizers/adam.h"
#include "tapeflow/nn/optimizers/adamax.h"
#include "tapeflow/nn/optimizers/nadam.h"
#include "tapeflow/nn/optimizers/optimizer.h"
#include "tapeflow/nn/optimizers/rmsprop.h"
#include "tapeflow/nn/optimizers/schedules.h"
#include "tapeflow/nn/optimizers/sgd.h"
#include "tapeflow/nn/regularizers.h"
#include "tapeflow/nn/utils.h"

namespace tapeflow::keras::backend {
/// Forgets the names handed out so far: the next Dense is "dense" again (Keras's clear_session).
inline void clear_session() { detail::reset_unique_names(); }
}  // namespace tapeflow::keras::backend
