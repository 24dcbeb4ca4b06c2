// The outer graph of a SavedModel (saved_model_graph.h): nodes, save/restore FunctionDefs and
// saver_def, named and attributed as TF 2.21 writes them for a tf.Module or a Keras export.
#include "tapeflow/serialization/saved_model_graph.h"

#include <map>
#include <set>
#include <unordered_map>

#include "graph.pb.h"
#include "saved_model.pb.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/serialization/tensor_bundle.h"

namespace tapeflow::serialization {
namespace {

using tensorflow::AttrValue;
using tensorflow::DataType;

DataType dt(DType d) { return static_cast<DataType>(tf_datatype(d)); }

void set_shape(const Shape& shape, tensorflow::TensorShapeProto& out) {
  for (int64_t d : shape) out.add_dim()->set_size(d < 0 ? -1 : d);
}

// Attributes equal to the op's default are left out, as TF writes them (stripped defaults).
// Attribute setters: `attr(node, "dtype").set_type(...)` reads as the proto's text.
template <typename N> AttrValue& attr(N& node, const std::string& key) { return (*node.mutable_attr())[key]; }
template <typename N> void output_shapes(N& node, const std::vector<Shape>& shapes) {
  auto& list = *attr(node, "_output_shapes").mutable_list();
  for (const Shape& s : shapes) set_shape(s, *list.add_shape());
}
template <typename N> void type_list(N& node, const std::string& key, const std::vector<DataType>& types) {
  auto& list = *attr(node, key).mutable_list();
  for (DataType t : types) list.add_type(t);
}

// The ConfigProto TF 2.21 serializes into a call's `config_proto` attribute: device_count
// {CPU: 1, GPU: 0}, gpu_options {experimental {}}, allow_soft_placement: true, experimental {},
// pluggable_device_options {experimental {}}.
std::string config_proto() {
  static constexpr char kBytes[] =
      "\n\007\n\003CPU\020\001\n\007\n\003GPU\020\0002\002J\0008\001\202\001\000\222\001\002J\000";
  return std::string(kBytes, sizeof(kBytes) - 1);  // the literal's bytes, its NULs included
}

// A StatefulPartitionedCall of function `f` (TF's ExportedConcreteFunction call).
tensorflow::NodeDef& add_call(tensorflow::GraphDef& g, const std::string& name, const std::string& f,
                              const std::vector<std::string>& inputs, const std::vector<DataType>& in_types,
                              const std::vector<DataType>& out_types, const std::vector<Shape>& out_shapes,
                              const std::vector<int>& read_only) {
  tensorflow::NodeDef& n = *g.add_node();
  n.set_name(name);
  n.set_op("StatefulPartitionedCall");
  for (const std::string& in : inputs) n.add_input(in);
  type_list(n, "Tin", in_types);
  type_list(n, "Tout", out_types);
  attr(n, "_collective_manager_ids").mutable_list();
  output_shapes(n, out_shapes);
  auto& ro = *attr(n, "_read_only_resource_inputs").mutable_list();
  for (int i : read_only) ro.add_i(i);
  attr(n, "config_proto").set_s(config_proto());
  attr(n, "f").mutable_func()->set_name(f);
  return n;
}

tensorflow::NodeDef& add_placeholder(tensorflow::GraphDef& g, const std::string& name, DType dtype,
                                     const Shape& shape) {
  tensorflow::NodeDef& n = *g.add_node();
  n.set_name(name);
  n.set_op("Placeholder");
  output_shapes(n, {shape});
  attr(n, "dtype").set_type(dt(dtype));
  set_shape(shape, *attr(n, "shape").mutable_shape());
  return n;
}

// Graph-unique node names as TF's name scopes make them: "w", "w_1", ...
struct Names {
  std::set<std::string> used;
  std::string unique(const std::string& base) {
    std::string name = base;
    for (int k = 1; used.count(name); ++k) name = base + "_" + std::to_string(k);
    used.insert(name);
    return name;
  }
};

// A name as TF writes function arguments and outputs: lowercased, each character outside
// [a-z0-9] an underscore ("Identity_9" -> "identity_9").
std::string tf_arg_name(const std::string& raw) {
  std::string s;
  for (char c : raw) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s += std::isalnum(static_cast<unsigned char>(l)) ? l : '_';
  }
  return s;
}
// A captured tensor's argument: the first node using it and the capture's name
// ("Read_1/DisableCopyOnRead" + "b_1" -> "read_1_disablecopyonread_b_1").
std::string capture_arg_name(const std::string& user, const std::string& captured) {
  return tf_arg_name(user + "_" + captured);
}

// A function node: `name`, `op`, inputs, on `device` (TF pins checkpoint I/O to the CPU), and the
// shapes of its outputs (TF records them on every node, an empty list for none).
tensorflow::NodeDef& fnode(tensorflow::FunctionDef& f, const std::string& name, const std::string& op,
                           const std::vector<std::string>& inputs, const std::string& device,
                           const std::vector<Shape>& shapes) {
  tensorflow::NodeDef& n = *f.add_node_def();
  n.set_name(name);
  n.set_op(op);
  for (const std::string& in : inputs) n.add_input(in);
  if (!device.empty()) n.set_device(device);
  attr(n, "_output_shapes").mutable_list();
  output_shapes(n, shapes);
  return n;
}

tensorflow::NodeDef& identity(tensorflow::FunctionDef& f, const std::string& name,
                              const std::vector<std::string>& inputs, const std::string& device, DataType type,
                              const std::vector<Shape>& shapes) {
  tensorflow::NodeDef& n = fnode(f, name, "Identity", inputs, device, shapes);
  attr(n, "T").set_type(type);
  return n;
}

void string_const(tensorflow::FunctionDef& f, const std::string& name, const std::vector<std::string>& values,
                  bool vector, const std::string& device) {
  const Shape shape = vector ? Shape({static_cast<int64_t>(values.size())}) : Shape({});
  tensorflow::NodeDef& n = fnode(f, name, "Const", {}, device, {shape});
  attr(n, "dtype").set_type(tensorflow::DT_STRING);
  auto& t = *attr(n, "value").mutable_tensor();
  t.set_dtype(tensorflow::DT_STRING);
  set_shape(shape, *t.mutable_tensor_shape());
  for (const std::string& v : values) t.add_string_val(v);
}

void int_const(tensorflow::FunctionDef& f, const std::string& name, int32_t value, const std::string& device) {
  tensorflow::NodeDef& n = fnode(f, name, "Const", {}, device, {Shape({})});
  attr(n, "dtype").set_type(tensorflow::DT_INT32);
  auto& t = *attr(n, "value").mutable_tensor();
  t.set_dtype(tensorflow::DT_INT32);
  t.mutable_tensor_shape();
  t.add_int_val(value);
}

// An input argument with TF's argument attributes: the Python name it was given (a capture's:
// the outer graph's node) and, for a non-resource, its shape.
void add_input_arg(tensorflow::FunctionDef& f, const std::string& name, DataType type, const std::string& user_name,
                   const std::optional<Variable>& handle_of = std::nullopt) {
  auto& a = *f.mutable_signature()->add_input_arg();
  a.set_name(name);
  a.set_type(type);
  if (handle_of) {
    auto& hd = *a.add_handle_data();
    hd.set_dtype(dt(handle_of->dtype()));
    set_shape(handle_of->shape(), *hd.mutable_shape());
  }
  auto& attrs = *(*f.mutable_arg_attr())[static_cast<uint32_t>(f.signature().input_arg_size() - 1)].mutable_attr();
  if (type != tensorflow::DT_RESOURCE) set_shape(Shape({}), *attrs["_output_shapes"].mutable_list()->add_shape());
  attrs["_user_specified_name"].set_s(user_name);
}

// The attributes TF gives its traced functions: built by the eager runtime, scalar inputs (a
// resource handle is a scalar too).
void function_attrs(tensorflow::FunctionDef& f) {
  (*f.mutable_attr())["_construction_context"].set_s("kEagerRuntime");
  auto& shapes = *(*f.mutable_attr())["_input_shapes"].mutable_list();
  for (int i = 0; i < f.signature().input_arg_size(); ++i) shapes.add_shape();
}

void control_output(tensorflow::FunctionDef& f, const std::string& node) {
  f.mutable_signature()->add_control_output(node);
  (*f.mutable_control_ret())[node] = node;
}

struct SavedVariable {
  Variable variable;
  std::string key;     // its checkpoint key
  std::string handle;  // its VarHandleOp in the outer graph
};

std::string numbered(const std::string& base, std::size_t k) { return k == 0 ? base : base + "_" + std::to_string(k); }

// MultiDeviceSaver._traced_save (functional_saver.py): reads every variable (its handle passed
// in), writes the values and the object graph (a captured constant) under the checkpoint's keys
// into a temporary shard, merges it into `file_prefix`, and returns file_prefix.
void traced_save(tensorflow::FunctionDef& f, const std::string& name, const std::vector<SavedVariable>& vars,
                 const std::string& object_graph_node) {
  const std::string cpu = "/device:CPU:*", cpu0 = "/device:CPU:0";
  f.mutable_signature()->set_name(name);
  add_input_arg(f, "file_prefix", tensorflow::DT_STRING, "file_prefix");
  std::vector<std::string> reads;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    reads.push_back(numbered("Read", i));
    add_input_arg(f, capture_arg_name(reads.back() + "/DisableCopyOnRead", vars[i].handle), tensorflow::DT_RESOURCE,
                  vars[i].handle, vars[i].variable);
  }
  const std::string graph_arg = capture_arg_name("SaveV2", object_graph_node);
  add_input_arg(f, graph_arg, tensorflow::DT_STRING, object_graph_node);

  attr(fnode(f, "StaticRegexFullMatch", "StaticRegexFullMatch", {"file_prefix"}, cpu, {Shape({})}), "pattern")
      .set_s("^s3://.*");
  string_const(f, "Const", {".part"}, false, cpu);
  string_const(f, "Const_1", {"_temp/part"}, false, cpu);
  attr(fnode(f, "Select", "Select", {"StaticRegexFullMatch:output:0", "Const:output:0", "Const_1:output:0"}, cpu,
             {Shape({})}),
       "T")
      .set_type(tensorflow::DT_STRING);
  attr(fnode(f, "StringJoin", "StringJoin", {"file_prefix", "Select:output:0"}, cpu, {Shape({})}), "N").set_i(2);
  std::vector<std::string> keys, values;
  std::vector<DataType> dtypes;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    // Read without a copy, then copy to the CPU (ResourceVariable._serialize_to_tensors).
    const std::string arg = f.signature().input_arg(static_cast<int>(i) + 1).name();
    const DataType type = dt(vars[i].variable.dtype());
    const Shape& shape = vars[i].variable.shape();
    fnode(f, reads[i] + "/DisableCopyOnRead", "DisableCopyOnRead", {arg}, "", {});
    attr(fnode(f, reads[i] + "/ReadVariableOp", "ReadVariableOp", {arg, "^" + reads[i] + "/DisableCopyOnRead"}, "",
               {shape}),
         "dtype")
        .set_type(type);
    identity(f, numbered("Identity", 2 * i), {reads[i] + "/ReadVariableOp:value:0"}, "", type, {shape});
    identity(f, numbered("Identity", 2 * i + 1), {numbered("Identity", 2 * i) + ":output:0"}, cpu0, type, {shape});
    keys.push_back(vars[i].key);
    values.push_back(numbered("Identity", 2 * i + 1) + ":output:0");
    dtypes.push_back(type);
  }
  keys.push_back(kObjectGraphKey);
  values.push_back(graph_arg);
  dtypes.push_back(tensorflow::DT_STRING);
  int_const(f, "num_shards", 1, "");
  int_const(f, "ShardedFilename/shard", 0, cpu0);
  fnode(f, "ShardedFilename", "ShardedFilename",
        {"StringJoin:output:0", "ShardedFilename/shard:output:0", "num_shards:output:0"}, cpu0, {Shape({})});
  string_const(f, "SaveV2/tensor_names", keys, true, cpu0);
  string_const(f, "SaveV2/shape_and_slices", std::vector<std::string>(keys.size()), true, cpu0);
  std::vector<std::string> save_in = {"ShardedFilename:filename:0", "SaveV2/tensor_names:output:0",
                                      "SaveV2/shape_and_slices:output:0"};
  save_in.insert(save_in.end(), values.begin(), values.end());
  auto& save = fnode(f, "SaveV2", "SaveV2", save_in, cpu0, {});
  attr(save, "_has_manual_control_dependencies").set_b(true);
  type_list(save, "dtypes", dtypes);
  auto& pack = fnode(f, "MergeV2Checkpoints/checkpoint_prefixes", "Pack", {"ShardedFilename:filename:0", "^SaveV2"},
                     cpu0, {Shape({1})});
  attr(pack, "N").set_i(1);
  attr(pack, "T").set_type(tensorflow::DT_STRING);
  attr(fnode(f, "MergeV2Checkpoints", "MergeV2Checkpoints",
             {"MergeV2Checkpoints/checkpoint_prefixes:output:0", "file_prefix"}, cpu0, {}),
       "_has_manual_control_dependencies")
      .set_b(true);
  const std::string prefix_id = numbered("Identity", 2 * vars.size());
  const std::string out_id = numbered("Identity", 2 * vars.size() + 1);
  identity(f, prefix_id, {"file_prefix", "^MergeV2Checkpoints"}, cpu0, tensorflow::DT_STRING, {Shape({})});
  identity(f, out_id, {prefix_id + ":output:0", "^NoOp"}, "", tensorflow::DT_STRING, {Shape({})});
  std::vector<std::string> deps = {"^MergeV2Checkpoints"};
  for (const std::string& r : reads) {
    deps.push_back("^" + r + "/DisableCopyOnRead");
    deps.push_back("^" + r + "/ReadVariableOp");
  }
  fnode(f, "NoOp", "NoOp", deps, "", {});
  auto& out = *f.mutable_signature()->add_output_arg();
  out.set_name(tf_arg_name(out_id));
  out.set_type(tensorflow::DT_STRING);
  (*f.mutable_ret())[out.name()] = out_id + ":output:0";
  f.mutable_signature()->set_is_stateful(true);
  control_output(f, "MergeV2Checkpoints");
  for (const std::string& r : reads) {
    control_output(f, r + "/DisableCopyOnRead");
    control_output(f, r + "/ReadVariableOp");
  }
  function_attrs(f);
}

// MultiDeviceSaver._traced_restore: RestoreV2 reads every key (the object graph's too, unused)
// and each value is assigned to its variable's handle; returns file_prefix once all are.
void traced_restore(tensorflow::FunctionDef& f, const std::string& name, const std::vector<SavedVariable>& vars) {
  const std::string cpu0 = "/device:CPU:0";
  f.mutable_signature()->set_name(name);
  add_input_arg(f, "file_prefix", tensorflow::DT_STRING, "file_prefix");
  std::vector<std::string> keys, assigns;
  std::vector<DataType> dtypes;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    assigns.push_back(numbered("AssignVariableOp", i));
    add_input_arg(f, capture_arg_name(assigns.back(), vars[i].handle), tensorflow::DT_RESOURCE, vars[i].handle,
                  vars[i].variable);
    keys.push_back(vars[i].key);
    dtypes.push_back(dt(vars[i].variable.dtype()));
  }
  keys.push_back(kObjectGraphKey);
  dtypes.push_back(tensorflow::DT_STRING);
  string_const(f, "RestoreV2/tensor_names", keys, true, cpu0);
  string_const(f, "RestoreV2/shape_and_slices", std::vector<std::string>(keys.size()), true, cpu0);
  auto& restore =
      fnode(f, "RestoreV2", "RestoreV2",
            {"file_prefix", "RestoreV2/tensor_names:output:0", "RestoreV2/shape_and_slices:output:0"}, cpu0, {});
  for (std::size_t i = 0; i < keys.size(); ++i)
    attr(restore, "_output_shapes").mutable_list()->add_shape()->set_unknown_rank(true);
  type_list(restore, "dtypes", dtypes);
  for (std::size_t i = 0; i < vars.size(); ++i) {
    auto& id = identity(f, numbered("Identity", i), {"RestoreV2:tensors:" + std::to_string(i)}, cpu0, dtypes[i], {});
    attr(id, "_output_shapes").mutable_list()->add_shape()->set_unknown_rank(true);
    const std::string arg = f.signature().input_arg(static_cast<int>(i) + 1).name();
    auto& assign = fnode(f, assigns[i], "AssignVariableOp", {arg, numbered("Identity", i) + ":output:0"}, cpu0, {});
    attr(assign, "_has_manual_control_dependencies").set_b(true);
    attr(assign, "dtype").set_type(dtypes[i]);
  }
  attr(fnode(f, "NoOp", "NoOp", {}, cpu0, {}), "_has_manual_control_dependencies").set_b(true);
  const std::string prefix_id = numbered("Identity", vars.size());
  const std::string out_id = numbered("Identity", vars.size() + 1);
  std::vector<std::string> deps;
  for (const std::string& a : assigns) deps.push_back("^" + a);
  std::vector<std::string> prefix_in = {"file_prefix"};
  prefix_in.insert(prefix_in.end(), deps.begin(), deps.end());
  prefix_in.push_back("^NoOp");
  identity(f, prefix_id, prefix_in, cpu0, tensorflow::DT_STRING, {Shape({})});
  identity(f, out_id, {prefix_id + ":output:0", "^NoOp_1"}, "", tensorflow::DT_STRING, {Shape({})});
  fnode(f, "NoOp_1", "NoOp", deps, "", {});
  auto& out = *f.mutable_signature()->add_output_arg();
  out.set_name(tf_arg_name(out_id));
  out.set_type(tensorflow::DT_STRING);
  (*f.mutable_ret())[out.name()] = out_id + ":output:0";
  f.mutable_signature()->set_is_stateful(true);
  for (const std::string& a : assigns) control_output(f, a);
  function_attrs(f);
}

}  // namespace

void write_outer_graph(const std::vector<OuterSignature>& signatures, const std::vector<Variable>& variables,
                       const ObjectGraphCheckpoint& checkpoint, int& function_count, tensorflow::MetaGraphDef& meta) {
  tensorflow::GraphDef& g = *meta.mutable_graph_def();
  Names names;
  // The variables' handles, in object-graph order (TF's map_resources copies each variable into
  // the exported graph as a VarHandleOp and its ReadVariableOp).
  std::unordered_map<const void*, std::string> key_of;
  for (const auto& [key, v] : checkpoint.variables) key_of[v.impl().get()] = key;
  std::vector<SavedVariable> saved;
  std::unordered_map<const void*, std::string> handle_of;
  for (const Variable& v : variables) {
    std::string base = v.name();
    if (base.size() > 2 && base.compare(base.size() - 2, 2, ":0") == 0) base.resize(base.size() - 2);
    const std::string handle = names.unique(base);
    tensorflow::NodeDef& h = *g.add_node();
    h.set_name(handle);
    h.set_op("VarHandleOp");
    output_shapes(h, {Shape({})});
    attr(h, "debug_name").set_s(handle + "/");
    attr(h, "dtype").set_type(dt(v.dtype()));
    set_shape(v.shape(), *attr(h, "shape").mutable_shape());
    attr(h, "shared_name").set_s(handle);
    tensorflow::NodeDef& r = *g.add_node();
    r.set_name(names.unique(handle + "/Read/ReadVariableOp"));
    r.set_op("ReadVariableOp");
    r.add_input(handle);
    output_shapes(r, {v.shape()});
    attr(r, "dtype").set_type(dt(v.dtype()));
    handle_of[v.impl().get()] = handle;
    auto key = key_of.find(v.impl().get());
    if (key != key_of.end()) saved.push_back({v, key->second, handle});
  }

  // Each signature: a Placeholder per input, named "<signature>_<input>", and the call.
  for (const OuterSignature& s : signatures) {
    std::vector<std::string> inputs;
    std::vector<DataType> in_types, out_types;
    std::vector<Shape> out_shapes;
    std::vector<int> read_only;
    for (const auto& [name, spec] : s.inputs) {
      inputs.push_back(add_placeholder(g, names.unique(s.key + "_" + name), spec.dtype, spec.shape).name());
      in_types.push_back(dt(spec.dtype));
    }
    for (const Variable& v : s.captures) {
      auto it = handle_of.find(v.impl().get());
      TF_CHECK_TYPED(it != handle_of.end(), InternalError, "", "signature '", s.key, "' reads variable '", v.name(),
                     "', which the object graph lacks");
      read_only.push_back(static_cast<int>(inputs.size()));
      inputs.push_back(it->second);
      in_types.push_back(tensorflow::DT_RESOURCE);
    }
    for (const auto& [name, spec] : s.outputs) {
      out_types.push_back(dt(spec.dtype));
      out_shapes.push_back(spec.shape);
    }
    const std::string call = names.unique("StatefulPartitionedCall");
    add_call(g, call, s.function, inputs, in_types, out_types, out_shapes, read_only);
    tensorflow::SignatureDef& def = (*meta.mutable_signature_def())[s.key];
    for (std::size_t k = 0; k < s.inputs.size(); ++k)
      (*def.mutable_inputs())[s.inputs[k].first].set_name(inputs[k] + ":0");
    for (std::size_t k = 0; k < s.outputs.size(); ++k)
      (*def.mutable_outputs())[s.outputs[k].first].set_name(call + ":" + std::to_string(k));
  }

  // The init op (no resources to initialize): the main-op collection and its signature.
  const std::string init = names.unique("NoOp");
  g.add_node()->set_name(init);
  g.mutable_node(g.node_size() - 1)->set_op("NoOp");
  (*meta.mutable_collection_def())["saved_model_main_op"].mutable_node_list()->add_value(init);
  auto& init_sig = (*meta.mutable_signature_def())["__saved_model_init_op"];
  auto& init_out = (*init_sig.mutable_outputs())["__saved_model_init_op"];
  init_out.set_name(init);
  init_out.set_dtype(tensorflow::DT_INVALID);
  init_out.mutable_tensor_shape()->set_unknown_rank(true);

  // The saver: the object graph as a constant, the filename placeholder, save and restore calls.
  tensorflow::NodeDef& graph_const = *g.add_node();
  graph_const.set_name(names.unique("Const"));
  graph_const.set_op("Const");
  graph_const.set_device("/device:CPU:0");
  output_shapes(graph_const, {Shape({})});
  attr(graph_const, "dtype").set_type(tensorflow::DT_STRING);
  auto& value = *attr(graph_const, "value").mutable_tensor();
  value.set_dtype(tensorflow::DT_STRING);
  value.mutable_tensor_shape();
  value.add_string_val(checkpoint.object_graph);
  const std::string filename = add_placeholder(g, names.unique("saver_filename"), DType::kString, Shape({})).name();

  const std::string save_fn = "__inference__traced_save_" + std::to_string(++function_count);
  const std::string restore_fn = "__inference__traced_restore_" + std::to_string(++function_count);
  traced_save(*g.mutable_library()->add_function(), save_fn, saved, graph_const.name());
  traced_restore(*g.mutable_library()->add_function(), restore_fn, saved);

  std::vector<std::string> save_in = {filename}, restore_in = {filename};
  std::vector<DataType> save_types = {tensorflow::DT_STRING}, restore_types = {tensorflow::DT_STRING};
  for (const SavedVariable& v : saved) {
    save_in.push_back(v.handle);
    save_types.push_back(tensorflow::DT_RESOURCE);
    restore_in.push_back(v.handle);
    restore_types.push_back(tensorflow::DT_RESOURCE);
  }
  save_in.push_back(graph_const.name());
  save_types.push_back(tensorflow::DT_STRING);
  const std::string save_call = names.unique("StatefulPartitionedCall");
  add_call(g, save_call, save_fn, save_in, save_types, {tensorflow::DT_STRING}, {Shape({})}, {});
  const std::string restore_call = names.unique("StatefulPartitionedCall");
  add_call(g, restore_call, restore_fn, restore_in, restore_types, {tensorflow::DT_STRING}, {Shape({})}, {});

  auto& saver = *meta.mutable_saver_def();
  saver.set_filename_tensor_name(filename + ":0");
  saver.set_save_tensor_name(save_call + ":0");
  saver.set_restore_op_name(restore_call);
  saver.set_version(tensorflow::SaverDef::V2);
}

}  // namespace tapeflow::serialization
