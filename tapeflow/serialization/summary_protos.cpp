// TensorProto and summary Event construction (summary_protos.h).
#include "tapeflow/serialization/summary_protos.h"

#include <cstring>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/tensor_bundle.h"

namespace tapeflow::serialization {

void tensor_to_proto(const Tensor& t, tensorflow::TensorProto& out) {
  out.Clear();
  out.set_dtype(static_cast<tensorflow::DataType>(tf_datatype(t.dtype())));
  for (int64_t d : t.shape()) out.mutable_tensor_shape()->add_dim()->set_size(d);
  Tensor host = t.cpu().contiguous();
  if (t.dtype() == DType::kString) {
    for (std::string& s : host.to_vector<std::string>()) out.add_string_val(std::move(s));
    return;
  }
  // The host is little-endian (x86-64, aarch64), as tensor_content is.
  const std::size_t bytes = static_cast<std::size_t>(host.size()) * dtype_size(t.dtype());
  out.mutable_tensor_content()->assign(static_cast<const char*>(host.raw_data()), bytes);
}

tensorflow::Summary::Value& init_summary_event(tensorflow::Event& event, std::string_view tag, int64_t step,
                                               double wall_time, std::string_view plugin, std::string_view content,
                                               std::string_view description) {
  event.Clear();
  event.set_wall_time(wall_time);
  event.set_step(step);
  tensorflow::Summary::Value& v = *event.mutable_summary()->add_value();
  v.set_tag(std::string(tag));
  tensorflow::SummaryMetadata& m = *v.mutable_metadata();
  m.mutable_plugin_data()->set_plugin_name(std::string(plugin));
  m.mutable_plugin_data()->set_content(std::string(content));
  if (!description.empty()) m.set_summary_description(std::string(description));
  return v;
}

void fill_scalar_event(tensorflow::Event& event, std::string_view tag, float value, int64_t step, double wall_time) {
  tensorflow::Summary::Value& v = init_summary_event(event, tag, step, wall_time, "scalars", {});
  tensorflow::TensorProto& t = *v.mutable_tensor();
  t.set_dtype(tensorflow::DT_FLOAT);
  t.mutable_tensor_shape();
  char bytes[sizeof(float)];
  std::memcpy(bytes, &value, sizeof value);
  t.set_tensor_content(bytes, sizeof bytes);
}

}  // namespace tapeflow::serialization
