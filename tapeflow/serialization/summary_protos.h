// Building the protobuf messages of summaries (internal to serialization/): a Tensor as a
// TensorProto, and the TF2 summary Event (a Summary.Value with its plugin metadata).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "summary.pb.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow::serialization {

/// `t` (host copy taken) as TF's TensorProto: tensor_content for numbers, string_val for strings.
void tensor_to_proto(const Tensor& t, tensorflow::TensorProto& out);

/// An Event holding one Summary.Value: `tag`, plugin `plugin` with `content` (TF leaves
/// data_class unset; TensorBoard infers it from the plugin).
/// The caller sets value.tensor.
tensorflow::Summary::Value& init_summary_event(tensorflow::Event& event, std::string_view tag, int64_t step,
                                               double wall_time, std::string_view plugin, std::string_view content,
                                               std::string_view description = {});

/// The event a TF2 scalar summary writes: DT_FLOAT [] tensor, plugin `scalars`.
void fill_scalar_event(tensorflow::Event& event, std::string_view tag, float value, int64_t step, double wall_time);

}  // namespace tapeflow::serialization
