// Event file reading (event_reader.h).
#include "tapeflow/serialization/event_reader.h"

#include <cstring>

#include "graph.pb.h"
#include "summary.pb.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/serialization/record_writer.h"

namespace tapeflow::serialization {
namespace {

template <typename T> std::vector<T> content_values(const std::string& bytes, std::size_t n) {
  TF_CHECK_TYPED(bytes.size() == n * sizeof(T), DataLossError, "", "tensor_content holds ", bytes.size(),
                 " bytes, its shape needs ", n * sizeof(T));
  std::vector<T> out(n);
  if (n) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

Tensor tensor_from_proto(const tensorflow::TensorProto& p) {
  std::vector<int64_t> dims;
  std::size_t n = 1;
  for (const auto& d : p.tensor_shape().dim()) {
    dims.push_back(d.size());
    n *= static_cast<std::size_t>(d.size());
  }
  const Shape shape(dims);
  const std::string& c = p.tensor_content();
  switch (p.dtype()) {
    case tensorflow::DT_STRING:
      return constant(std::vector<std::string>(p.string_val().begin(), p.string_val().end()), shape).cpu();
    case tensorflow::DT_FLOAT: {
      std::vector<float> v =
          c.empty() ? std::vector<float>(p.float_val().begin(), p.float_val().end()) : content_values<float>(c, n);
      return constant(v, shape, DType::kFloat32).cpu();
    }
    case tensorflow::DT_DOUBLE: {
      std::vector<double> v =
          c.empty() ? std::vector<double>(p.double_val().begin(), p.double_val().end()) : content_values<double>(c, n);
      return constant(v, shape, DType::kFloat64).cpu();
    }
    default:
      TF_THROW(UnimplementedError, "", "read_events: tensors of DataType ", static_cast<int>(p.dtype()),
               " are not decoded");
  }
}

}  // namespace

std::vector<EventRecord> read_events(const std::string& path, bool* torn) {
  std::vector<EventRecord> out;
  for (const std::string& record : read_records(path, torn)) {
    tensorflow::Event e;
    TF_CHECK_TYPED(e.ParseFromString(record), DataLossError, "", "'", path, "': record ", out.size(),
                   " is not an Event");
    EventRecord r;
    r.wall_time = e.wall_time();
    r.step = e.step();
    r.file_version = e.file_version();
    r.graph_def = e.graph_def();
    for (const auto& v : e.summary().value()) {
      SummaryValueRecord s;
      s.tag = v.tag();
      s.plugin_name = v.metadata().plugin_data().plugin_name();
      s.plugin_content = v.metadata().plugin_data().content();
      s.description = v.metadata().summary_description();
      if (v.has_tensor()) s.tensor = tensor_from_proto(v.tensor());
      s.simple_value = v.simple_value();
      r.values.push_back(std::move(s));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> graph_def_ops(const std::string& serialized) {
  tensorflow::GraphDef g;
  TF_CHECK_TYPED(g.ParseFromString(serialized), DataLossError, "", "not a serialized GraphDef");
  std::vector<std::string> ops;
  for (const auto& n : g.node()) ops.push_back(n.op());
  return ops;
}

std::vector<std::vector<std::string>> run_metadata_function_ops(const std::string& serialized) {
  tensorflow::RunMetadata m;
  TF_CHECK_TYPED(m.ParseFromString(serialized), DataLossError, "", "not a serialized RunMetadata");
  std::vector<std::vector<std::string>> out;
  for (const auto& f : m.function_graphs())
    out.push_back(graph_def_ops(f.pre_optimization_graph().SerializeAsString()));
  return out;
}

}  // namespace tapeflow::serialization
