#include "tapeflow/nn/models/keras_archive.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>

#include "tapeflow/core/errors.h"
#include "tapeflow/nn/models/keras_weights_h5.h"
#include "tapeflow/nn/models/model_config_json.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/zip_archive.h"

namespace tapeflow::keras {

namespace {

constexpr const char* kMetadata = "metadata.json";
constexpr const char* kConfig = "config.json";
constexpr const char* kWeights = "model.weights.h5";
// The Keras release whose `.keras` layout (entries, config keys) this writes; Keras reads the
// version for information only.
constexpr const char* kKerasVersion = "3.15.1";
constexpr uint64_t kMaxJsonBytes = uint64_t{64} << 20;
constexpr uint64_t kMaxWeightsBytes = uint64_t{16} << 30;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A file in the system's temporary directory, removed when this goes out of scope: libhdf5 reads
// and writes files, the weights entry lives in the zip.
struct TempFile {
  std::string path;
  TempFile() {
    static std::atomic<int> counter{0};
    path = (std::filesystem::temp_directory_path() /
            ("tapeflow_keras_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".weights.h5"))
               .string();
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
};

// Keras's date_saved: local time as "%Y-%m-%d@%H:%M:%S".
std::string date_saved() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &tm);
  return buf;
}

// An error of the HDF5 reader names the temporary file; say which archive entry it was.
[[noreturn]] void rethrow_for_entry(const errors::OpError& e, const std::string& temp, const std::string& entry) {
  std::string msg = e.message();
  for (std::size_t at; (at = msg.find(temp)) != std::string::npos;) msg.replace(at, temp.size(), entry);
  switch (e.error_code()) {
    case errors::Code::kInvalidArgument: throw errors::InvalidArgumentError(msg, e.op());
    case errors::Code::kDataLoss: throw errors::DataLossError(msg, e.op());
    case errors::Code::kNotFound: throw errors::NotFoundError(msg, e.op());
    default: throw;
  }
}

}  // namespace

void Model::save(const std::string& filepath) const {
  TF_CHECK_ARG(ends_with(filepath, ".keras"), "",
               "Invalid filepath extension for saving. Please add a `.keras` extension for the native Keras "
               "format (use save_weights for `.weights.h5`). Received: filepath=",
               filepath);
  TF_CHECK_TYPED(built(), FailedPreconditionError, "", "model \"", name(),
                 "\" is not built: call it on data or give it an Input before save()");
  const internal::Json config = internal::serialize_layer(*this);
  const internal::Json metadata = {{"keras_version", kKerasVersion}, {"date_saved", date_saved()}};
  TempFile weights;
  internal::save_weights_h5(*this, weights.path);
  serialization::ZipWriter zip;
  zip.add(kMetadata, metadata.dump());
  zip.add(kConfig, config.dump());
  zip.add(kWeights, serialization::read_file(weights.path));
  serialization::write_file_atomically(filepath, zip.finish(filepath));
}

namespace internal {

std::shared_ptr<Model> model_from_keras_archive(std::string bytes, const std::string& what, bool compile,
                                                bool read_weights) {
  serialization::ZipReader zip(std::move(bytes), what, {.max_entries = 1024, .max_entry_bytes = kMaxWeightsBytes});
  for (const char* entry : {kConfig, kWeights})
    TF_CHECK_ARG(zip.contains(entry), "", what, " is not a Keras model file: it has no ", entry, " entry");
  if (zip.contains(kMetadata)) {
    const Json metadata = parse_json(zip.read(kMetadata, 1 << 20), what + ": " + kMetadata);
    TF_CHECK_ARG(metadata.is_object(), "", what, ": ", kMetadata, " must hold a JSON object");
  }
  ConfigContext ctx{.what = what + ": " + kConfig, .run_initializers = false};
  *ctx.weight_bytes = static_cast<int64_t>(zip.size(kWeights));
  Json config = parse_json(zip.read(kConfig, kMaxJsonBytes), ctx.what);
  if (!compile && config.is_object()) config.erase("compile_config");
  std::shared_ptr<layers::Layer> layer;
  try {
    layer = deserialize_layer(config, ctx, true);
  } catch (const Json::exception& e) { TF_THROW(InvalidArgumentError, "", ctx.what, ": ", e.what()); }
  auto model = std::dynamic_pointer_cast<Model>(layer);
  TF_CHECK_ARG(model, "", ctx.what, " holds a ", layer->class_name(), " layer, not a model");
  TF_CHECK_ARG(model->built(), "", ctx.what, ": model \"", model->name(),
               "\" has no input shape (no InputLayer, no build_input_shape), so its weights cannot be loaded");
  if (!read_weights) return model;
  TempFile weights;
  serialization::write_file_atomically(weights.path, zip.read(kWeights, kMaxWeightsBytes));
  try {
    load_weights_h5(*model, weights.path);
  } catch (const errors::OpError& e) { rethrow_for_entry(e, weights.path, what + ": " + kWeights); }
  return model;
}

}  // namespace internal

namespace models {

std::shared_ptr<Model> load_model(const std::string& filepath, LoadModelOptions options) {
  TF_CHECK_TYPED(serialization::file_exists(filepath), NotFoundError, "", "File not found: filepath=", filepath,
                 ". Please ensure the file is an accessible `.keras` zip file.");
  return internal::model_from_keras_archive(serialization::read_file(filepath), filepath, options.compile, true);
}

}  // namespace models

}  // namespace tapeflow::keras
