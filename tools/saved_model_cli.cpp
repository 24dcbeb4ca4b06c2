// saved_model_cli: TensorFlow's `saved_model_cli show` and `run` for SavedModels, in C++ (no
// TensorFlow needed). show: the tag-sets, each MetaGraphDef's SignatureDefs (inputs and outputs
// with dtype, shape and tensor name) and, with --all, the concrete functions of the root's
// functions. run: one signature of a SavedModel (ours or TF's/Keras's, through
// tf::saved_model::load) on inputs from .npy files, printing each output as TF's does.
//   saved_model_cli show --dir DIR [--all | --tag_set serve [--signature_def NAME]]
//   saved_model_cli run --dir DIR --tag_set serve --signature_def NAME --inputs 'x=x.npy;y=y.npy'
//                       [--outdir OUT [--overwrite]]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "saved_model.pb.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/tapeflow.h"

namespace {

std::string shape_text(const tensorflow::TensorShapeProto& s) {
  if (s.unknown_rank()) return "unknown_rank";
  std::string out = "(";
  for (int i = 0; i < s.dim_size(); ++i) out += (i ? ", " : "") + std::to_string(s.dim(i).size());
  return out + (s.dim_size() == 1 ? ",)" : ")");
}

std::string py_shape(const tensorflow::TensorShapeProto& s) {
  std::string out = "(";
  for (int i = 0; i < s.dim_size(); ++i)
    out += (i ? ", " : "") + (s.dim(i).size() < 0 ? std::string("None") : std::to_string(s.dim(i).size()));
  return out + (s.dim_size() == 1 ? ",)" : ")");
}

std::string py_dtype(tensorflow::DataType dt) {
  std::string n = tensorflow::DataType_Name(dt);  // DT_FLOAT -> tf.float32
  if (n == "DT_FLOAT") return "tf.float32";
  if (n == "DT_DOUBLE") return "tf.float64";
  if (n == "DT_HALF") return "tf.float16";
  std::string low = n.substr(3);
  std::transform(low.begin(), low.end(), low.begin(), ::tolower);
  return "tf." + low;
}

void print_tensor_info(const std::string& kind, const std::string& key, const tensorflow::TensorInfo& t) {
  std::cout << "    " << kind << "['" << key << "'] tensor_info:\n"
            << "        dtype: " << tensorflow::DataType_Name(t.dtype()) << "\n"
            << "        shape: " << shape_text(t.tensor_shape()) << "\n"
            << "        name: " << t.name() << "\n";
}

template <typename M> std::vector<std::string> sorted_keys(const M& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

void print_signature(const std::string& name, const tensorflow::SignatureDef& s) {
  std::cout << "\nsignature_def['" << name << "']:\n"
            << "  The given SavedModel SignatureDef contains the following input(s):\n";
  for (const std::string& k : sorted_keys(s.inputs())) print_tensor_info("inputs", k, s.inputs().at(k));
  std::cout << "  The given SavedModel SignatureDef contains the following output(s):\n";
  for (const std::string& k : sorted_keys(s.outputs())) print_tensor_info("outputs", k, s.outputs().at(k));
  std::cout << "  Method name is: " << s.method_name() << "\n";
}

void print_arg(const tensorflow::StructuredValue& v, const std::string& indent) {
  if (v.has_tensor_spec_value()) {
    const auto& t = v.tensor_spec_value();
    std::cout << indent << t.name() << ": TensorSpec(shape=" << py_shape(t.shape()) << ", dtype=" << py_dtype(t.dtype())
              << ", name='" << t.name() << "')\n";
  } else {
    std::cout << indent << "(a non-Tensor argument)\n";
  }
}

void print_functions(const tensorflow::SavedObjectGraph& g) {
  std::cout << "\nConcrete Functions:";
  if (g.nodes_size() == 0) return;
  for (const auto& child : g.nodes(0).children()) {
    if (child.node_id() < 0 || child.node_id() >= g.nodes_size() || !g.nodes(child.node_id()).has_function()) continue;
    std::cout << "\n  Function Name: '" << child.local_name() << "'\n";
    int option = 0;
    for (const std::string& name : g.nodes(child.node_id()).function().concrete_functions()) {
      auto it = g.concrete_functions().find(name);
      if (it == g.concrete_functions().end()) continue;
      const auto& sig = it->second.canonicalized_input_signature();
      std::cout << "    Option #" << ++option << "\n      Callable with:\n";
      if (!sig.has_tuple_value() || sig.tuple_value().values_size() != 2) continue;
      int arg = 0;
      for (const auto& a : sig.tuple_value().values(0).tuple_value().values()) {
        std::cout << "        Argument #" << ++arg << "\n";
        print_arg(a, "          ");
      }
      for (const std::string& k : sorted_keys(sig.tuple_value().values(1).dict_value().fields())) {
        std::cout << "        Named Argument #" << ++arg << "\n";
        print_arg(sig.tuple_value().values(1).dict_value().fields().at(k), "          ");
      }
    }
  }
}

int usage() {
  std::cerr << "usage: saved_model_cli show --dir DIR [--all | --tag_set serve [--signature_def NAME]]\n"
               "       saved_model_cli run --dir DIR --tag_set serve --signature_def NAME --inputs 'KEY=FILE.npy[;...]'"
               " [--outdir DIR [--overwrite]]\n";
  return 2;
}

// `--inputs 'x=a.npy;y=b.npy'` (TF's syntax) as key -> file. TF also reads .npz and pickle files
// and `file[variable]`; Tapeflow reads .npy only and says so.
std::map<std::string, std::string> parse_inputs(const std::string& text) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(';', start), text.size());
    const std::string item = text.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == item.size())
      throw std::invalid_argument("--inputs \"" + item + "\" is not in the format <input_key>=<filename>");
    const std::string file = item.substr(eq + 1);
    if (file.find('[') != std::string::npos || !file.ends_with(".npy"))
      throw std::invalid_argument("--inputs \"" + item + "\": Tapeflow's saved_model_cli reads .npy files only");
    out[item.substr(0, eq)] = file;
  }
  return out;
}

// TF's run: feeds the inputs (cast to the signature's dtypes, as a feed_dict converts them),
// prints "Result for output key K:" and the values as NumPy prints them, in sorted key order,
// and with --outdir saves each as K.npy.
int run_signature(const std::string& dir, const std::string& signature, const std::string& inputs_text,
                  const std::string& outdir, bool overwrite) {
  namespace fs = std::filesystem;
  const auto loaded = tf::saved_model::load(dir);
  auto it = loaded.signatures().find(signature);
  if (it == loaded.signatures().end()) {
    std::string known;
    for (const auto& [k, v] : loaded.signatures()) known += (known.empty() ? "" : ", ") + k;
    std::cerr << "saved_model_cli: no signature_def '" << signature << "' (there are: " << known << ")\n";
    return 1;
  }
  const auto& sig = it->second;
  std::map<std::string, tf::Tensor> feeds;
  for (const auto& [key, file] : parse_inputs(inputs_text)) {
    auto spec = sig.inputs().find(key);
    if (spec == sig.inputs().end()) {
      std::string known;
      for (const auto& [k, v] : sig.inputs()) known += std::string(known.empty() ? "\"" : ", \"") + k + "\"";
      std::cerr << "saved_model_cli: \"" << key << "\" is not a valid input key. Please choose from " << known
                << ", or use --show option.\n";
      return 1;
    }
    tf::Tensor x = tf::io::read_npy(file);
    feeds[key] = x.dtype() == spec->second.dtype ? x : tf::cast(x, spec->second.dtype);
  }
  const auto outputs = sig(feeds);
  for (const auto& [key, value] : outputs) {  // a std::map: sorted, as TF sorts the keys
    std::cout << "Result for output key " << key << ":\n" << tf::format_values(value) << "\n";
    if (outdir.empty()) continue;
    fs::create_directories(outdir);
    const std::string path = (fs::path(outdir) / (key + ".npy")).string();
    if (!overwrite && fs::exists(path)) {
      std::cerr << "saved_model_cli: Output file " << path
                << " already exists. Add \"--overwrite\" to overwrite the existing output files.\n";
      return 1;
    }
    tf::io::write_npy(path, value);
    std::cout << "Output " << key << " is saved to " << path << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  std::string dir, tag_set, signature, inputs, outdir;
  bool all = false, overwrite = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--all")
      all = true;
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--tag_set" && i + 1 < argc)
      tag_set = argv[++i];
    else if (a == "--signature_def" && i + 1 < argc)
      signature = argv[++i];
    else if (a == "--inputs" && i + 1 < argc)
      inputs = argv[++i];
    else if (a == "--outdir" && i + 1 < argc)
      outdir = argv[++i];
    else if (a == "--overwrite")
      overwrite = true;
    else
      return usage();
  }
  if (command == "run") {
    if (dir.empty() || tag_set.empty() || signature.empty() || inputs.empty()) return usage();
    if (tag_set != "serve") {
      std::cerr << "saved_model_cli: MetaGraphDef associated with tag-set " << tag_set
                << " could not be found in SavedModel (Tapeflow loads the one tagged serve)\n";
      return 1;
    }
    try {
      return run_signature(dir, signature, inputs, outdir, overwrite);
    } catch (const std::exception& e) {
      std::cerr << "saved_model_cli: " << e.what() << "\n";
      return 1;
    }
  }
  if (command != "show" || dir.empty()) return usage();
  tensorflow::SavedModel model;
  try {
    const std::string bytes =
        tapeflow::serialization::read_file((std::filesystem::path(dir) / "saved_model.pb").string());
    if (!model.ParseFromString(bytes)) {
      std::cerr << "saved_model_cli: " << dir << "/saved_model.pb is not a SavedModel\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "saved_model_cli: " << e.what() << "\n";
    return 1;
  }
  for (const auto& meta : model.meta_graphs()) {
    std::string tags;
    for (const auto& t : meta.meta_info_def().tags()) tags += (tags.empty() ? "" : ", ") + t;
    if (!all && tag_set.empty()) {
      std::cout << tags << "\n";
      continue;
    }
    if (!all && tags != tag_set) continue;
    if (!all && !signature.empty()) {
      auto it = meta.signature_def().find(signature);
      if (it == meta.signature_def().end()) {
        std::cerr << "saved_model_cli: no signature_def '" << signature << "'\n";
        return 1;
      }
      print_signature(signature, it->second);
      continue;
    }
    std::cout << "\nMetaGraphDef with tag-set: '" << tags << "' contains the following SignatureDefs:\n";
    for (const std::string& k : sorted_keys(meta.signature_def())) print_signature(k, meta.signature_def().at(k));
    if (all) print_functions(meta.object_graph_def());
    std::cout << "\n";
  }
  return 0;
}
