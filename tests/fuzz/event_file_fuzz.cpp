// Fuzz target: the event-file reader (serialization/record_writer.cpp's TFRecord framing with
// its CRCs, instrumented; serialization/event_reader.cpp's Event decoding, TensorProto to Tensor
// included, from libtapeflow.so).
// Input: the bytes of an event file (tests/fuzz/corpus/event_file holds real ones written by
// tests/serialization/interop/write_summaries.cpp). A typed tf::errors::* error is the expected
// answer to a bad file; anything else (another exception, a crash, a sanitizer report, an
// allocation over -malloc_limit_mb) is a finding. On success it checks what the reader promises:
// a decoded tensor holds exactly shape x dtype elements. Built and run by tools/run_fuzz.sh.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/event_reader.h"
#include "tapeflow/serialization/record_writer.h"

namespace {
namespace S = tapeflow::serialization;

/// Copies every byte of a decoded value (ASan sees a buffer shorter than shape x dtype) and
/// the function graphs a trace holds.
void check_value(const S::SummaryValueRecord& v) {
  if (!v.tensor.defined()) return;
  const bool strings = v.tensor.dtype() == tapeflow::DType::kString;
  if (strings) {
    if (v.tensor.to_vector<std::string>().size() != static_cast<std::size_t>(v.tensor.size())) std::abort();
  } else {
    std::vector<char> copy(static_cast<std::size_t>(v.tensor.size()) * tapeflow::dtype_size(v.tensor.dtype()));
    if (!copy.empty()) std::memcpy(copy.data(), v.tensor.raw_data(), copy.size());
  }
  if (v.plugin_name == "graph_run_metadata_graph" && strings && v.tensor.size() == 1)
    S::run_metadata_function_ops(v.tensor.to_vector<std::string>()[0]);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    S::parse_records(bytes);
  } catch (const tapeflow::errors::OpError&) {}
  static const std::string path = "/dev/shm/tapeflow-event-fuzz-" + std::to_string(::getpid());
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(size));
  }
  std::vector<S::EventRecord> events;
  try {
    events = S::read_events(path);
  } catch (const tapeflow::errors::OpError&) {}
  for (const S::EventRecord& e : events) {
    for (const S::SummaryValueRecord& v : e.values) {
      try {
        check_value(v);
      } catch (const tapeflow::errors::OpError&) {}
    }
    try {
      if (!e.graph_def.empty()) S::graph_def_ops(e.graph_def);
    } catch (const tapeflow::errors::OpError&) {}
  }
  return 0;
}
