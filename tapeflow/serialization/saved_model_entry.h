// One plain entry into tf::saved_model::load for callers that cannot include the graph layer's
// headers (the loader's fuzz target: its clang lacks std::source_location, which the op door
// needs). Declares no Tapeflow types.
#pragma once
#include <string>

namespace tapeflow::saved_model {

/// load(export_dir), then one call of every signature on zeros of its input specs (None -> 1;
/// specs over 2^16 elements are not called). Returns the number of functions and signatures
/// loaded. Throws what load() and the calls throw (typed tf::errors::*).
int load_and_call_signatures(const std::string& export_dir);

}  // namespace tapeflow::saved_model
