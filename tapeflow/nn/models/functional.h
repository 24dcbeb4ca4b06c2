// The graph of a functional model, K::Model(inputs, outputs): the nodes between the inputs and
// the outputs, ordered as Keras's map_graph orders them, and their execution on real tensors.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tapeflow/nn/layers/layer.h"
#include "tapeflow/nn/models/output_masks.h"

namespace tapeflow::keras::internal {

class FunctionalGraph {
 public:
  /// Walks back from the outputs to the inputs (each an InputLayer's tensor). Raises
  /// InvalidArgumentError naming the model for a graph that needs a tensor it is not given.
  FunctionalGraph(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string model_name);

  /// Runs the nodes in topological order on real inputs (one per model input; the count, ranks
  /// and fixed dimensions are checked, dtypes cast to the inputs' as Keras does).
  /// `input_masks`: the inputs' masks (a model called inside another with a mask), else none.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs, bool training,
                          const std::vector<std::optional<Tensor>>& input_masks = {}) const;
  /// The mask of an output of the last run (Note [Masks]), if it has one.
  std::optional<Tensor> output_mask(const Tensor& output) const { return output_masks_->of(output); }
  /// The mask of the first output of the last run, if it has one.
  std::optional<Tensor> last_output_mask() const { return output_masks_->first(); }

  const std::vector<KerasTensor>& inputs() const { return inputs_; }
  const std::vector<KerasTensor>& outputs() const { return outputs_; }
  /// The layers, InputLayers included, by decreasing depth then first traversal (model.layers).
  const std::vector<std::shared_ptr<layers::Layer>>& layers() const { return layers_; }
  /// Whether summary() shows the model as a chain: one single-input node per depth, no layer
  /// used twice (else it adds the "Connected to" column).
  bool sequential_like() const { return sequential_like_; }
  /// The "Connected to" text of a layer: "dense[0][0], add[1][0]" over its nodes in this graph,
  /// "-" for an InputLayer.
  std::string connections(const layers::Layer& layer) const;

 private:
  std::shared_ptr<OutputMasks> output_masks_ = std::make_shared<OutputMasks>();
  std::string model_name_;
  std::vector<KerasTensor> inputs_, outputs_;
  std::vector<std::shared_ptr<Node>> nodes_;  // inputs to outputs
  std::vector<std::shared_ptr<layers::Layer>> layers_;
  bool sequential_like_ = true;
};

}  // namespace tapeflow::keras::internal
