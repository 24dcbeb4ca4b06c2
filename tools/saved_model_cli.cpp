// saved_model_cli: TensorFlow's `saved_model_cli show` for SavedModels, in C++ (no TensorFlow
// needed): the tag-sets, each MetaGraphDef's SignatureDefs (inputs and outputs with dtype, shape
// and tensor name) and, with --all, the concrete functions of the root's functions.
//   saved_model_cli show --dir DIR [--all | --tag_set serve [--signature_def NAME]]
// `run` is not written yet (it needs a .npy reader).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "saved_model.pb.h"
#include "tapeflow/serialization/file_io.h"

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
  std::cerr << "usage: saved_model_cli show --dir DIR [--all | --tag_set serve [--signature_def NAME]]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  std::string dir, tag_set, signature;
  bool all = false;
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
    else
      return usage();
  }
  if (command == "run") {
    std::cerr << "saved_model_cli: run is not implemented yet\n";
    return 2;
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
