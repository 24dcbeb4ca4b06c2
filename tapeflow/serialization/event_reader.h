// Reading event files back (what TensorBoard's EventAccumulator does, for tests and tools):
// each record CRC-checked, a torn last record skipped, each Event decoded to plain values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow::serialization {

struct SummaryValueRecord {
  std::string tag, plugin_name, plugin_content, description;
  Tensor tensor;  // the value's TensorProto as a host Tensor (undefined for a simple_value)
  float simple_value = 0;
};

struct EventRecord {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;  // "brain.Event:2" in a file's first record
  std::string graph_def;     // a serialized GraphDef (tf.summary.graph)
  std::vector<SummaryValueRecord> values;
};

/// The Events of the event file `path`. DataLossError on a CRC mismatch or an undecodable Event;
/// a torn last record is skipped (`*torn` says whether one was).
std::vector<EventRecord> read_events(const std::string& path, bool* torn = nullptr);

/// The op names of the nodes of every function graph in a serialized RunMetadata (what
/// trace_export writes), graph by graph.
std::vector<std::vector<std::string>> run_metadata_function_ops(const std::string& serialized);
/// The op names of the nodes of a serialized GraphDef.
std::vector<std::string> graph_def_ops(const std::string& serialized);

}  // namespace tapeflow::serialization
