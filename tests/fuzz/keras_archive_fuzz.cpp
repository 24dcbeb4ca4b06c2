// Fuzz target: the `.keras` model reader up to the HDF5 weights (nn/models/keras_archive.cpp,
// model_config.cpp, serialization/zip_archive.cpp compiled instrumented; libzip, nlohmann's JSON
// and the layers from libtapeflow.so). Input: the bytes of a `.keras` file (tests/fuzz/corpus/
// keras_archive holds small ones Tapeflow and Keras wrote). The harness opens the zip, reads
// metadata.json and config.json, rebuilds and compiles the model (the weights entry only bounds
// the weights' size), then runs it once on zeros. libhdf5 1.10.8 crashes on some damaged files
// (see keras_weights_h5_fuzz.cpp), so the weights entry never reaches it here; in load_model the
// entry's CRC, checked by libzip before libhdf5 sees it, stops damage within the bytes.
// A typed tf::errors::* error is the expected answer to a bad file; anything else (another
// exception, a crash, a sanitizer report, an allocation over -malloc_limit_mb) is a finding.
// Built and run by tools/run_fuzz.sh (Debian's clang, libFuzzer, ASan+UBSan).
#include <cstdint>
#include <string>

#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/nn/models/keras_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    auto model = tapeflow::keras::internal::model_from_keras_archive(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz.keras", /*compile=*/true, /*read_weights=*/false);
    const auto inputs = model->inputs();
    if (inputs.size() == 1) {
      tapeflow::Shape shape = inputs[0].shape();
      for (int k = 0; k < shape.rank(); ++k)
        if (shape[k] < 0) shape[k] = 2;
      (void)(*model)(tapeflow::zeros(shape, inputs[0].dtype()));
    }
  } catch (const tapeflow::errors::OpError&) {}
  return 0;
}
