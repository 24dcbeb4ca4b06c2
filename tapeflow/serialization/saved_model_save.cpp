// tf::saved_model::save (saved_model.h): the object graph walked breadth first from the root
// (objects, variables, tracked Functions and their traces, the signature map), one FunctionDef
// per concrete function, the variables through the checkpoint writer, and the MetaGraphDef
// tagged "serve" with its SignatureDefs and outer graph (saved_model_graph.h).
#include <filesystem>
#include <unordered_map>

#include "graph.pb.h"
#include "saved_model.pb.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/file_io.h"
#include "tapeflow/serialization/function_def.h"
#include "tapeflow/serialization/object_graph.h"
#include "tapeflow/serialization/saved_model.h"
#include "tapeflow/serialization/saved_model_graph.h"
#include "tapeflow/serialization/tensor_bundle.h"

namespace tapeflow::saved_model {
namespace {

using serialization::tf_datatype;

// The GraphDef version TF 2.21 writes (what its loader checks consumers against).
constexpr int kGraphProducer = 2474;
constexpr int kGraphMinConsumer = 12;

void set_version(tensorflow::VersionDef& v) {
  v.set_producer(1);
  v.set_min_consumer(1);
}

void set_shape(const Shape& shape, tensorflow::TensorShapeProto& out) {
  for (int64_t d : shape) out.add_dim()->set_size(d < 0 ? -1 : d);
}

void set_spec(const TensorSpec& s, const std::string& name, tensorflow::StructuredValue& out) {
  auto& t = *out.mutable_tensor_spec_value();
  t.set_name(name);
  set_shape(s.shape, *t.mutable_shape());
  t.set_dtype(static_cast<tensorflow::DataType>(tf_datatype(s.dtype)));
}

// Python's FullArgSpec(args=[...], varargs=None, ...) of a function with these parameters.
void set_function_spec(const std::vector<std::string>& args, tensorflow::FunctionSpec& out) {
  auto& nt = *out.mutable_fullargspec()->mutable_named_tuple_value();
  nt.set_name("FullArgSpec");
  auto pair = [&](const char* key) -> tensorflow::StructuredValue& {
    auto& p = *nt.add_values();
    p.set_key(key);
    return *p.mutable_value();
  };
  auto& list = *pair("args").mutable_list_value();
  for (const std::string& a : args) list.add_values()->set_string_value(a);
  pair("varargs").mutable_none_value();
  pair("varkw").mutable_none_value();
  pair("defaults").mutable_none_value();
  pair("kwonlyargs").mutable_list_value();
  pair("kwonlydefaults").mutable_none_value();
  pair("annotations").mutable_dict_value();
  out.mutable_input_signature()->mutable_none_value();
}

// A returned structure (its Tensor leaves as specs) as TF's output_signature.
void set_structure(const Value& v, tensorflow::StructuredValue& out) {
  if (v.is_none()) {
    out.mutable_none_value();
  } else if (v.is_tensor() || v.is_variable()) {
    Tensor t = v.is_tensor() ? std::get<Tensor>(v.storage()) : Tensor();
    TF_CHECK_TYPED(t.defined(), UnimplementedError, "", "tf::saved_model::save: a function returning a Variable");
    set_spec(TensorSpec(t.shape(), t.dtype()), "unknown", out);
  } else if (v.is_list()) {
    auto& tuple = *out.mutable_tuple_value();
    for (const Value& e : v.list()) set_structure(e, *tuple.add_values());
  } else if (v.is_dict()) {
    auto& dict = *out.mutable_dict_value()->mutable_fields();
    for (const auto& [k, e] : v.dict()) set_structure(e, dict[k]);
  } else {
    TF_THROW(UnimplementedError, "", "tf::saved_model::save: a function returning ", v.repr(),
             " (only Tensors, lists and maps of them are saved)");
  }
}

std::string sanitized(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

struct Saver {
  tensorflow::SavedObjectGraph& graph;
  tensorflow::FunctionDefLibrary& library;
  std::unordered_map<const void*, int> variable_nodes;  // VariableImpl -> node id
  std::vector<Variable> variables;                      // in node order
  int function_count = 0;

  tensorflow::SavedObject& node(int id) { return *graph.mutable_nodes(id); }
  int add_node() {
    graph.add_nodes();
    return graph.nodes_size() - 1;
  }

  // Writes `cf` as FunctionDef `name` and its SavedConcreteFunction (returned); `bound` gets the
  // variables it reads, in resource-argument order.
  tensorflow::SavedConcreteFunction& add_concrete(const ConcreteFunction& cf, const std::string& name,
                                                  const serialization::FunctionDefNames& names,
                                                  std::vector<Variable>* bound_out = nullptr) {
    tensorflow::FunctionDef& fdef = *library.add_function();
    std::vector<Variable> bound = serialization::to_function_def(cf, names, fdef);
    if (bound_out) *bound_out = bound;
    auto& saved = (*graph.mutable_concrete_functions())[name];
    for (const Variable& v : bound) {
      auto it = variable_nodes.find(v.impl().get());
      TF_CHECK_TYPED(it != variable_nodes.end(), FailedPreconditionError, "", "tf::saved_model::save: function '",
                     cf.graph().name(), "' reads variable '", v.name(),
                     "', which the saved object does not track (track it, e.g. as a module attribute)");
      saved.add_bound_inputs(it->second);
    }
    return saved;
  }
};

}  // namespace

void save_trackable(const std::shared_ptr<Trackable>& root, const std::string& export_dir, const SaveOptions& options) {
  TF_CHECK_ARG(root != nullptr, "", "tf::saved_model::save: no object to save");
  tensorflow::SavedModel model;
  model.set_saved_model_schema_version(1);
  tensorflow::MetaGraphDef& meta = *model.add_meta_graphs();
  auto& info = *meta.mutable_meta_info_def();
  info.add_tags("serve");
  info.set_tensorflow_version("2.21.0");
  info.set_tensorflow_git_version("tapeflow");
  info.set_stripped_default_attrs(false);
  meta.mutable_graph_def()->mutable_versions()->set_producer(kGraphProducer);
  meta.mutable_graph_def()->mutable_versions()->set_min_consumer(kGraphMinConsumer);
  Saver s{*meta.mutable_object_graph_def(), *meta.mutable_graph_def()->mutable_library(), {}, {}, 0};

  // The object graph, breadth first: objects and variables by identity (a shared one is one
  // node), then each object's functions; the root also gets "signatures".
  struct Pending {
    std::shared_ptr<Trackable> object;
    std::shared_ptr<const Function> function;
  };
  std::vector<Pending> pending{{root, nullptr}};
  std::unordered_map<const void*, int> seen;
  s.add_node();
  if (root->trackable_id()) seen[root->trackable_id()] = 0;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const int id = static_cast<int>(i);
    if (!pending[i].object) continue;  // a variable, function or signature map: filled elsewhere
    auto* user = s.node(id).mutable_user_object();
    user->set_identifier("_generic_user_object");
    set_version(*user->mutable_version());
    auto add_child = [&](int child, const std::string& name) {
      auto& ref = *s.node(id).add_children();
      ref.set_node_id(child);
      ref.set_local_name(name);
    };
    for (const TrackableReference& ref : pending[i].object->trackable_children()) {
      if (ref.variable.defined()) {
        const void* key = ref.variable.impl().get();
        auto it = seen.find(key);
        int child = it != seen.end() ? it->second : -1;
        if (child < 0) {
          child = s.add_node();
          pending.push_back({nullptr, nullptr});
          seen[key] = child;
          s.variable_nodes[key] = child;
          s.variables.push_back(ref.variable);
          auto& v = *s.node(child).mutable_variable();
          v.set_dtype(static_cast<tensorflow::DataType>(tf_datatype(ref.variable.dtype())));
          set_shape(ref.variable.shape(), *v.mutable_shape());
          v.set_trainable(ref.variable.trainable());
          std::string name = ref.variable.name();
          if (name.size() > 2 && name.compare(name.size() - 2, 2, ":0") == 0) name.resize(name.size() - 2);
          v.set_name(name);
        }
        add_child(child, ref.name);
      } else if (ref.object) {
        const void* key = ref.object->trackable_id();
        auto it = key ? seen.find(key) : seen.end();
        int child = it != seen.end() ? it->second : -1;
        if (child < 0) {
          child = s.add_node();
          pending.push_back({ref.object, nullptr});
          if (key) seen[key] = child;
        }
        add_child(child, ref.name);
      }
    }
    for (const TrackableFunction& f : pending[i].object->trackable_functions()) {
      const int child = s.add_node();
      pending.push_back({nullptr, f.function});
      add_child(child, f.name);
    }
    if (id == 0) {
      const int sig = s.add_node();
      pending.push_back({nullptr, nullptr});
      auto* map = s.node(sig).mutable_user_object();
      map->set_identifier("signature_map");
      set_version(*map->mutable_version());
      add_child(sig, "signatures");
    }
  }
  // The functions, once every variable has its node (their bound inputs name them).
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (!pending[i].function) continue;
    const int id = static_cast<int>(i);
    const Function& fn = *pending[i].function;
    auto& saved = *s.node(id).mutable_function();
    int trace = 0;
    if (fn.concrete_functions().empty() && fn.input_signature()) {  // TF traces it at save time
      const auto& sig = *fn.input_signature();
      fn.get_concrete_function_for(std::vector<Value>(sig.size()),
                                   std::vector<std::optional<TensorSpec>>(sig.begin(), sig.end()));
    }
    for (const ConcreteFunction& cf : fn.concrete_functions()) {
      std::vector<std::string> arg_names;
      for (const ArgSpec& a : cf.structured_input_signature()) {
        TF_CHECK_TYPED(a.spec.has_value(), UnimplementedError, "", "tf::saved_model::save: function '", fn.name(),
                       "' has a non-Tensor argument ", a.value.repr(), ", which Tapeflow cannot yet save");
        arg_names.push_back(a.spec->name);
      }
      const std::string name = "__inference_" + sanitized(fn.name()) + "_" + std::to_string(++s.function_count);
      auto& c = s.add_concrete(cf, name, {name, {}, {}});
      auto& args = *c.mutable_canonicalized_input_signature()->mutable_tuple_value();
      auto& positional = *args.add_values()->mutable_tuple_value();
      for (const ArgSpec& a : cf.structured_input_signature())
        set_spec(*a.spec, a.spec->name, *positional.add_values());
      args.add_values()->mutable_dict_value();
      set_structure(cf.output_structure(), *c.mutable_output_signature());
      saved.add_concrete_functions(name);
      // Each trace is also a bare concrete function child, as TF writes them.
      const int bare = s.add_node();
      pending.push_back({nullptr, nullptr});
      auto& b = *s.node(bare).mutable_bare_concrete_function();
      b.set_concrete_function_name(name);
      for (const std::string& a : arg_names) b.add_argument_keywords(a);
      b.set_allowed_positional_arguments(static_cast<int64_t>(arg_names.size()));
      set_function_spec(arg_names, *b.mutable_function_spec());
      for (auto* list : {s.node(id).mutable_children(), s.node(id).mutable_dependencies()}) {
        auto& ref = *list->Add();
        ref.set_node_id(bare);
        ref.set_local_name("trace_" + std::to_string(trace));
      }
      ++trace;
      if (trace == 1) set_function_spec(arg_names, *saved.mutable_function_spec());
    }
    TF_CHECK_TYPED(trace > 0, FailedPreconditionError, "", "tf::saved_model::save: function '", fn.name(),
                   "' was never traced (call it or get_concrete_function first)");
  }

  // Signatures: a FunctionDef per signature taking its inputs by name, returning output_0, ...
  // Without any, TF's default: the root's one Function with an input_signature is serving_default.
  std::map<std::string, ConcreteFunction> signatures = options.signatures;
  if (signatures.empty()) {
    std::vector<ConcreteFunction> candidates;
    for (const TrackableFunction& f : root->trackable_functions())
      if (f.function->input_signature()) {
        const auto& sig = *f.function->input_signature();
        std::vector<std::optional<TensorSpec>> specs(sig.begin(), sig.end());
        candidates.push_back(f.function->get_concrete_function_for(std::vector<Value>(sig.size()), specs));
      }
    if (candidates.size() == 1) signatures.emplace("serving_default", candidates[0]);
  }
  int signature_map = -1;
  for (const auto& ref : s.node(0).children())
    if (ref.local_name() == "signatures") signature_map = ref.node_id();
  std::vector<serialization::OuterSignature> outer;
  for (const auto& [sig_name, cf] : signatures) {
    std::vector<std::string> inputs, outputs;
    for (const ArgSpec& a : cf.structured_input_signature()) {
      TF_CHECK_ARG(a.spec.has_value(), "", "tf::saved_model::save: signature '", sig_name,
                   "' has a non-Tensor argument ", a.value.repr());
      inputs.push_back(a.spec->name);
    }
    const Value& result = cf.output_structure();
    const auto out_specs = cf.structured_outputs();
    if (result.is_dict())
      for (const auto& [k, v] : result.dict()) outputs.push_back(k);
    else
      for (std::size_t k = 0; k < out_specs.size(); ++k) outputs.push_back("output_" + std::to_string(k));
    TF_CHECK_TYPED(outputs.size() == out_specs.size(), UnimplementedError, "", "tf::saved_model::save: signature '",
                   sig_name, "' returns a nested structure (TF signatures return a flat map)");
    const std::string name =
        "__inference_signature_wrapper_" + sanitized(sig_name) + "_" + std::to_string(++s.function_count);
    serialization::OuterSignature& o = outer.emplace_back();
    o.key = sig_name;
    o.function = name;
    auto& c = s.add_concrete(cf, name, {name, inputs, outputs}, &o.captures);
    const auto in_specs = cf.structured_input_signature();
    auto& args = *c.mutable_canonicalized_input_signature()->mutable_tuple_value();
    args.add_values()->mutable_tuple_value();
    auto& kwargs = *args.add_values()->mutable_dict_value()->mutable_fields();
    tensorflow::SignatureDef& def = (*meta.mutable_signature_def())[sig_name];
    def.set_method_name("tensorflow/serving/predict");
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      set_spec(*in_specs[k].spec, inputs[k], kwargs[inputs[k]]);
      o.inputs.emplace_back(inputs[k], *in_specs[k].spec);
      auto& ti = (*def.mutable_inputs())[inputs[k]];
      ti.set_dtype(static_cast<tensorflow::DataType>(tf_datatype(in_specs[k].spec->dtype)));
      set_shape(in_specs[k].spec->shape, *ti.mutable_tensor_shape());
    }
    auto& out = *c.mutable_output_signature()->mutable_dict_value()->mutable_fields();
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      set_spec(out_specs[k], outputs[k], out[outputs[k]]);
      o.outputs.emplace_back(outputs[k], out_specs[k]);
      auto& ti = (*def.mutable_outputs())[outputs[k]];
      ti.set_dtype(static_cast<tensorflow::DataType>(tf_datatype(out_specs[k].dtype)));
      set_shape(out_specs[k].shape, *ti.mutable_tensor_shape());
    }
    const int bare = s.add_node();
    auto& b = *s.node(bare).mutable_bare_concrete_function();
    b.set_concrete_function_name(name);
    for (const std::string& a : inputs) b.add_argument_keywords(a);
    auto& ref = *s.node(signature_map).add_children();
    ref.set_node_id(bare);
    ref.set_local_name(sig_name);
  }

  // The outer graph TF1 loaders, TF Serving and saved_model_cli run execute (names the
  // signature_defs' tensors, writes the saver).
  serialization::write_outer_graph(outer, s.variables, serialization::object_graph_checkpoint(root), s.function_count,
                                   meta);

  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(export_dir) / "variables", ec);
  TF_CHECK_TYPED(!ec, FailedPreconditionError, "", "tf::saved_model::save: cannot create '", export_dir,
                 "': ", ec.message());
  fs::create_directories(fs::path(export_dir) / "assets", ec);
  serialization::write_object_graph_checkpoint(root, (fs::path(export_dir) / "variables" / "variables").string());
  const std::string bytes = model.SerializeAsString();
  serialization::write_file_atomically((fs::path(export_dir) / "saved_model.pb").string(), bytes);
  // The fingerprint: TF's loader reads it for its metrics; a 64-bit FNV-1a of the bytes.
  tensorflow::FingerprintDef fp;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  fp.set_saved_model_checksum(h);
  fp.mutable_version()->set_producer(1);
  serialization::write_file_atomically((fs::path(export_dir) / "fingerprint.pb").string(), fp.SerializeAsString());
}

}  // namespace tapeflow::saved_model
