#include "tapeflow/nn/models/model_config.h"

#include <set>
#include <tuple>

#include "tapeflow/nn/layers/dense.h"
#include "tapeflow/nn/layers/embedding.h"
#include "tapeflow/nn/layers/input_layer.h"
#include "tapeflow/nn/layers/masking.h"
#include "tapeflow/nn/layers/recurrent.h"
#include "tapeflow/nn/models/model_config_json.h"
#include "tapeflow/nn/optimizers/adam.h"
#include "tapeflow/nn/optimizers/rmsprop.h"
#include "tapeflow/nn/optimizers/sgd.h"

namespace tapeflow::keras::internal {

namespace {

std::shared_ptr<layers::Layer> layer_from_config(const std::string& class_name, const Json& config, ConfigContext& ctx,
                                                 const std::string& where) {
  const auto& table = layer_classes();
  auto it = table.find(class_name);
  if (it == table.end()) {
    std::string known;
    for (const auto& [k, _] : table) known += (known.empty() ? "" : ", ") + k;
    TF_THROW(InvalidArgumentError, "", where, ": unknown layer class \"", class_name, "\" (Tapeflow rebuilds: ", known,
             ")");
  }
  Fields f(config, where);
  std::shared_ptr<layers::Layer> layer = it->second.read(f, ctx);
  layer->set_trainable(f.boolean("trainable", true));
  return layer;
}

std::string layer_where(const ConfigContext& ctx, const Fields& f, const char* cls) {
  std::string name = f.get("name") && f.get("name")->is_string() ? f.get("name")->get<std::string>() : "?";
  return ctx.what + ": layer \"" + name + "\" (" + cls + ")";
}

// The elements per example a layer would compute from `in` (its output, or a convolution's
// patches), checked before the layer is called on it: only Dense, Conv2D and Embedding grow
// their input (and the recurrent layers' gates), and a hostile config must not make the rebuild's shape probes allocate
// much.
void check_growth(const layers::Layer& layer, const Shape& in, const std::string& where) {
  double elements = 1;
  for (int k = 1; k < in.rank(); ++k) elements *= double(std::max<int64_t>(in[k], 1));
  const double last = in.rank() > 1 ? double(std::max<int64_t>(in[in.rank() - 1], 1)) : 1.0;
  double grown = elements;
  if (const auto* d = dynamic_cast<const layers::Dense*>(&layer)) grown = elements / last * double(d->units());
  if (const auto* c = dynamic_cast<const layers::Conv2D*>(&layer))
    grown = std::max(elements / last * double(c->filters()),
                     elements * double(c->kernel_size().h) * double(c->kernel_size().w));
  if (const auto* e = dynamic_cast<const layers::Embedding*>(&layer)) grown = elements * double(e->output_dim());
  if (const auto* r = dynamic_cast<const layers::RecurrentLayer*>(&layer))  // every step's gates
    grown = elements / last * 4.0 * double(r->units());
  TF_CHECK_ARG(grown <= double(kMaxExampleElements), "", where, ": layer \"", layer.name(), "\" on inputs ",
               in.to_string(), " would compute ", grown, " values per example, more than the ", kMaxExampleElements,
               " a loaded model may");
}

KerasTensor input_from(const Shape& batch_shape, DType dtype, const std::string& name) {
  InputOptions io{.dtype = dtype, .name = name, .batch_size = std::nullopt};
  if (batch_shape[0] > 0) io.batch_size = batch_shape[0];
  return Input(Shape(std::vector<int64_t>(batch_shape.begin() + 1, batch_shape.end())), io);
}

// The nodes of a functional model: walked back from its outputs.
std::set<const Node*> model_nodes(const Model& m) {
  std::set<const Node*> seen;
  std::vector<const Node*> stack;
  for (const KerasTensor& t : m.outputs()) stack.push_back(t.node().get());
  for (const KerasTensor& t : m.inputs()) stack.push_back(t.node().get());  // kept even if unused
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    for (const KerasTensor& in : n->all_inputs()) stack.push_back(in.node().get());
  }
  return seen;
}

// [name, node_index, tensor_index] (or a list of them: a model's inputs/outputs).
std::vector<Json> history_list(const Json& j, const std::string& where) {
  TF_CHECK_ARG(j.is_array(), "", where, " must be a list, got ", short_dump(j));
  if (!j.empty() && j[0].is_string()) return {j};
  return std::vector<Json>(j.begin(), j.end());
}

}  // namespace

// ---- Sequential and functional models ---------------------------------------------------------

Json sequential_config(const Sequential& m) {
  Json list = Json::array();
  std::optional<Shape> input_shape;
  const auto& layers = m.layers();
  if (!layers.empty()) input_shape = layers.front()->build_input_shape();
  if (auto input = m.input_layer()) {
    list.push_back(serialize_layer(*input));
  } else if (input_shape) {
    // Keras lists the InputLayer of a built Sequential first (one it made when built by a call).
    Json input = {{"batch_shape", shape_json(unknown_batch(*input_shape))},
                  {"dtype", "float32"},
                  {"sparse", false},
                  {"ragged", false},
                  {"name", "input_layer"},
                  {"optional", false}};
    list.push_back(
        {{"module", "keras.layers"}, {"class_name", "InputLayer"}, {"config", input}, {"registered_name", nullptr}});
  }
  for (const auto& l : layers) list.push_back(serialize_layer(*l));
  Json out = {{"name", m.name()},
              {"trainable", m.trainable()},
              {"dtype", dtype_policy_json(DType::kFloat32)},
              {"layers", list}};
  if (input_shape) out["build_input_shape"] = shape_json(unknown_batch(*input_shape));
  return out;
}

Json functional_config(const Model& m) {
  const std::set<const Node*> nodes = model_nodes(m);
  // Keras renumbers each layer's nodes over those inside the model.
  std::map<const Node*, int> node_index;
  std::map<const Node*, std::string> node_layer;
  for (const auto& l : m.layers()) {
    int k = 0;
    for (const auto& n : l->inbound_nodes())
      if (n && nodes.count(n.get())) {
        node_index[n.get()] = k++;
        node_layer[n.get()] = l->name();
      }
  }
  auto history = [&](const KerasTensor& t) {
    return Json::array({node_layer.at(t.node().get()), node_index.at(t.node().get()), t.tensor_index()});
  };
  auto keras_tensor = [&](const KerasTensor& t) {
    return Json{{"class_name", "__keras_tensor__"},
                {"config",
                 {{"shape", shape_json(t.shape())},
                  {"dtype", std::string(dtype_name(t.dtype()))},
                  {"keras_history", history(t)}}}};
  };
  Json list = Json::array();
  for (const auto& l : m.layers()) {
    Json entry = serialize_layer(*l);
    entry["name"] = l->name();
    Json inbound = Json::array();
    for (const auto& n : l->inbound_nodes()) {
      if (!n || !nodes.count(n.get()) || n->is_input()) continue;
      Json args = Json::array();
      if (n->list_call) {
        Json ts = Json::array();
        for (const KerasTensor& t : n->inputs) ts.push_back(keras_tensor(t));
        args.push_back(ts);
      } else {
        args.push_back(keras_tensor(n->inputs.at(0)));
      }
      if (const auto* ne = dynamic_cast<const layers::NotEqual*>(l.get()))  // ops.not_equal(x, value)
        args.push_back(ne->integer() ? Json(int64_t(ne->value())) : Json(ne->value()));
      // The call arguments Keras 3.15 records for these layers: the tensors given by keyword
      // alone when there are some, else the layer's defaults.
      const std::string cls = l->class_name();
      const bool recurrent = cls == "SimpleRNN" || cls == "LSTM" || cls == "GRU";
      Json kwargs = cls == "Dropout"              ? Json{{"training", false}}
                    : cls == "BatchNormalization" ? Json{{"mask", nullptr}}
                    : recurrent                   ? Json{{"training", false}, {"mask", nullptr}}
                                                  : Json::object();
      if (!n->kwargs.empty()) kwargs = Json::object();
      for (const NodeKwarg& k : n->kwargs) {
        Json ts = Json::array();
        for (const KerasTensor& t : k.tensors) ts.push_back(keras_tensor(t));
        kwargs[k.name] = k.name == "mask" ? ts.at(0) : ts;
      }
      inbound.push_back({{"args", args}, {"kwargs", kwargs}});
    }
    entry["inbound_nodes"] = inbound;
    list.push_back(entry);
  }
  // One input (output) is written flat, several as a list, as Keras does.
  auto histories = [&](const std::vector<KerasTensor>& ts) {
    if (ts.size() == 1) return history(ts[0]);
    Json out = Json::array();
    for (const KerasTensor& t : ts) out.push_back(history(t));
    return out;
  };
  const Json ins = histories(m.inputs()), outs = histories(m.outputs());
  return {{"name", m.name()},
          {"trainable", m.trainable()},
          {"layers", list},
          {"input_layers", ins},
          {"output_layers", outs}};
}

std::shared_ptr<Model> functional_from_config(const Fields& f, ConfigContext& ctx) {
  const std::string where = f.where();
  const Json& layer_list = f.required("layers");
  TF_CHECK_ARG(layer_list.is_array(), "", where, ": \"layers\" must be a list");
  struct Entry {
    std::string name;
    std::shared_ptr<layers::Layer> layer;
    std::vector<Json> nodes;
    std::size_t done = 0;
  };
  std::vector<Entry> entries;
  std::map<std::string, std::size_t> by_name;
  // [layer, node, tensor] -> the KerasTensor.
  std::map<std::tuple<std::string, int64_t, int64_t>, KerasTensor> tensors;
  for (const Json& lj : layer_list) {
    Fields lf(lj, where + ": layers");
    Entry e;
    e.name = lf.string("name");
    TF_CHECK_ARG(!by_name.count(e.name), "", where, ": two layers are named \"", e.name, "\"");
    const std::string cls = lf.string("class_name");
    const std::string lw = where + ": layer \"" + e.name + "\" (" + cls + ")";
    if (cls == "InputLayer") {
      Fields c(lf.required("config"), lw);
      const KerasTensor in = input_from(input_layer_shape(c), dtype_of(c), e.name);
      tensors[{e.name, 0, 0}] = in;
      e.layer = in.node()->layer;
    } else {
      e.layer = deserialize_layer(lj, ctx, false);
      const Json* inbound = lf.get("inbound_nodes");
      TF_CHECK_ARG(inbound && inbound->is_array(), "", lw, ": \"inbound_nodes\" must be a list");
      e.nodes.assign(inbound->begin(), inbound->end());
    }
    by_name[e.name] = entries.size();
    entries.push_back(std::move(e));
  }
  // The nodes in dependency order: each pass calls every layer whose next node has its inputs.
  auto resolve = [&](const Json& kt, const std::string& lw, bool& ready) -> KerasTensor {
    Fields t(kt, lw + ": a node input");
    TF_CHECK_ARG(t.string("class_name") == "__keras_tensor__", "", lw, ": node inputs must be KerasTensors");
    Fields c(t.required("config"), lw + ": a node input");
    const Json& h = c.required("keras_history");
    TF_CHECK_ARG(
        h.is_array() && h.size() == 3 && h[0].is_string() && h[1].is_number_integer() && h[2].is_number_integer(), "",
        lw, ": keras_history must be [layer, node, tensor], got ", short_dump(h));
    auto it = tensors.find({h[0].get<std::string>(), h[1].get<int64_t>(), h[2].get<int64_t>()});
    if (it == tensors.end()) {
      const auto layer = by_name.find(h[0].get<std::string>());
      TF_CHECK_ARG(layer != by_name.end(), "", lw, ": node input from unknown layer \"", h[0].get<std::string>(),
                   "\"");
      // A node already made without that output: the layer has fewer outputs than the history says.
      TF_CHECK_ARG(h[1].get<int64_t>() >= int64_t(entries[layer->second].done), "", lw, ": node input ",
                   short_dump(h), " names an output its layer does not have");
      ready = false;
      return {};
    }
    return it->second;
  };
  for (bool progress = true; progress;) {
    progress = false;
    for (Entry& e : entries) {
      while (e.done < e.nodes.size()) {
        const std::string lw = where + ": layer \"" + e.name + "\"";
        Fields node(e.nodes[e.done], lw + ": inbound node");
        const Json& args = node.required("args");
        // ops.not_equal(x, value): the value is the second argument.
        const bool not_equal = dynamic_cast<const layers::NotEqual*>(e.layer.get()) != nullptr;
        TF_CHECK_ARG(args.is_array() && args.size() == (not_equal ? 2u : 1u), "", lw, ": a node takes ",
                     not_equal ? "a tensor and a number" : "one argument", ", got ", short_dump(args));
        if (not_equal) {
          TF_CHECK_ARG(args[1].is_number() && e.done == 0, "", lw, ": not_equal's second argument must be a number, got ",
                       short_dump(args[1]));
          e.layer = std::make_shared<layers::NotEqual>(args[1].get<double>(), args[1].is_number_integer(),
                                                       layers::MaskingOptions{.name = e.name});
        }
        bool ready = true;
        // Keyword tensors (an RNN's initial_state, mask); `training` may only be Keras's default
        // (fixed to True it would train at inference).
        std::vector<KerasTensor> initial_state;
        KerasTensor mask;
        if (const Json* kw = node.get("kwargs")) {
          TF_CHECK_ARG(kw->is_object(), "", lw, ": kwargs must be a dict, got ", short_dump(*kw));
          const auto* rnn = dynamic_cast<const layers::RecurrentLayer*>(e.layer.get());
          for (const auto& [key, value] : kw->items()) {
            if (value.is_null() || (key == "training" && value == false)) continue;
            TF_CHECK_TYPED(rnn && (key == "initial_state" || key == "mask"), UnimplementedError, "", lw,
                           ": call arguments ", short_dump(*kw), " are not supported");
            if (key == "mask") {
              mask = resolve(value, lw, ready);
              continue;
            }
            TF_CHECK_ARG(value.is_array() && int(value.size()) == rnn->cell().num_states(), "", lw,
                         ": initial_state must be a list of ", rnn->cell().num_states(), " tensor(s), got ",
                         short_dump(value));
            for (const Json& t : value) initial_state.push_back(resolve(t, lw, ready));
          }
        }
        std::vector<KerasTensor> outs;
        if (args[0].is_array()) {
          std::vector<KerasTensor> ins;
          for (const Json& a : args[0]) ins.push_back(resolve(a, lw, ready));
          if (!ready) break;
          check_growth(*e.layer, ins.at(0).shape(), lw);
          outs = {(*e.layer)(ins)};
        } else {
          KerasTensor in = resolve(args[0], lw, ready);
          if (!ready) break;
          check_growth(*e.layer, in.shape(), lw);
          if (auto* rnn = dynamic_cast<layers::RecurrentLayer*>(e.layer.get()))
            outs = rnn->call_with_state(in, initial_state, mask);
          else
            outs = {(*e.layer)(in)};
        }
        for (std::size_t i = 0; i < outs.size(); ++i) tensors[{e.name, int64_t(e.done), int64_t(i)}] = outs[i];
        ++e.done;
        progress = true;
      }
    }
  }
  for (const Entry& e : entries)
    TF_CHECK_ARG(e.done == e.nodes.size(), "", where, ": layer \"", e.name,
                 "\" has an inbound node whose inputs are never computed (a cycle or a missing layer)");
  auto pick = [&](const char* k) {
    std::vector<KerasTensor> out;
    for (const Json& h : history_list(f.required(k), where + ": " + k)) {
      TF_CHECK_ARG(h.is_array() && h.size() == 3 && h[0].is_string() && h[1].is_number_integer() &&
                       h[2].is_number_integer(),
                   "", where, ": ", k, " entries must be [layer, node, tensor], got ", short_dump(h));
      auto it = tensors.find({h[0].get<std::string>(), h[1].get<int64_t>(), h[2].get<int64_t>()});
      TF_CHECK_ARG(it != tensors.end(), "", where, ": ", k, " names an unknown tensor ", short_dump(h));
      out.push_back(it->second);
    }
    return out;
  };
  return std::make_shared<Model>(pick("input_layers"), pick("output_layers"),
                                 ModelOptions{.name = f.string("name", ""), .trainable = f.boolean("trainable", true)});
}

std::shared_ptr<Model> sequential_from_config(const Fields& f, ConfigContext& ctx) {
  const Json& layer_list = f.required("layers");
  TF_CHECK_ARG(layer_list.is_array(), "", f.where(), ": \"layers\" must be a list");
  auto model = std::make_shared<Sequential>(std::vector<AnyLayer>{}, SequentialOptions{.name = f.string("name", "")});
  // Built layer by layer so each one's growth is checked against the shape it will see.
  std::optional<Shape> current;
  auto add_input = [&](const Shape& batch_shape, DType dtype, const std::string& name) {
    model->add(input_from(batch_shape, dtype, name));
    current = unknown_batch(batch_shape);
  };
  const bool has_input_layer = !layer_list.empty() && layer_list[0].is_object() &&
                               layer_list[0].value("class_name", Json()) == Json("InputLayer");
  if (!has_input_layer && f.get("build_input_shape"))
    add_input(f.shape("build_input_shape", true), DType::kFloat32, "");
  for (std::size_t i = 0; i < layer_list.size(); ++i) {
    const Json& lj = layer_list[i];
    Fields lf(lj, f.where() + ": layers");
    if (lf.string("class_name") == "InputLayer") {
      TF_CHECK_ARG(i == 0, "", f.where(), ": an InputLayer can only be the first layer");
      Fields c(lf.required("config"), f.where() + ": InputLayer");
      add_input(input_layer_shape(c), dtype_of(c), c.string("name", ""));
      continue;
    }
    std::shared_ptr<layers::Layer> layer = deserialize_layer(lj, ctx, false);
    if (current) check_growth(*layer, *current, f.where());
    model->add(layer);
    if (current) current = layer->output_shape();
  }
  return model;
}

// ---- the entry points -------------------------------------------------------------------------

Json serialize_layer(const layers::Layer& layer) {
  const std::string cls = layer.class_name();
  const auto& table = layer_classes();
  auto it = table.find(cls);
  TF_CHECK_TYPED(it != table.end(), UnimplementedError, "", "layer \"", layer.name(), "\" (", cls,
                 ") has no Keras config in Tapeflow and cannot be saved");
  const auto* model = dynamic_cast<const Model*>(&layer);
  const bool functional = model && cls == "Functional";
  TF_CHECK_TYPED(!functional || !model->outputs().empty(), UnimplementedError, "", "model \"", layer.name(),
                 "\" is a subclassed model: only Sequential and functional models can be saved with their config");
  const bool op = cls == "NotEqual" || cls == "Any";  // Keras's operations: no build_config
  Json out = {{"module", functional            ? "keras.src.models.functional"
                         : cls == "Sequential" ? "keras"
                         : op                  ? "keras.src.ops.numpy"
                                               : "keras.layers"},
              {"class_name", cls},
              {"config", it->second.write(layer)},
              {"registered_name", functional ? Json("Functional") : op ? Json(cls) : Json(nullptr)}};
  if (op) {
  } else if (functional)
    out["build_config"] = {{"input_shape", nullptr}};
  else if (cls == "Sequential") {
    const auto& ls = dynamic_cast<const Sequential&>(layer).layers();
    std::optional<Shape> s = ls.empty() ? std::nullopt : ls.front()->build_input_shape();
    if (s) out["build_config"] = {{"input_shape", shape_json(unknown_batch(*s))}};
  } else if (cls != "InputLayer" && cls != "MaxPooling2D" && cls != "AveragePooling2D" &&
             cls != "GlobalAveragePooling2D" && cls != "Dropout" && cls != "Activation" && cls != "Softmax" &&
             cls != "Masking") {
    // Keras keeps the build_config of the layers built at their first call; the ones above are
    // built in their constructor (Keras's _build_at_init) and have none.
    if (auto s = layer.build_input_shape()) out["build_config"] = {{"input_shape", shape_json(unknown_batch(*s))}};
    // An RNN first called with initial_state records both shapes (Keras's shapes_dict).
    const auto nodes = layer.inbound_nodes();
    if (!nodes.empty() && nodes[0] && out.contains("build_config"))
      for (const NodeKwarg& k : nodes[0]->kwargs)
        if (k.name == "initial_state") {
          Json states = Json::array();
          for (const KerasTensor& t : k.tensors) states.push_back(shape_json(t.shape()));
          out["build_config"] = {
              {"shapes_dict",
               {{"sequences_shape", out["build_config"]["input_shape"]}, {"initial_state_shape", states}}}};
        }
  }
  if (model && model->compiled()) out["compile_config"] = compile_config(*model);
  return out;
}

Json compile_config(const Model& model) {
  const CompileOptions* o = model.compile_options();
  TF_CHECK_TYPED(o, FailedPreconditionError, "", "model \"", model.name(), "\" is not compiled");
  const std::string where = "model \"" + model.name() + "\": ";
  Json loss = nullptr;
  if (o->loss) loss = object_json(o->loss->get_config(), "keras.losses", where + "loss \"" + o->loss->name() + "\"");
  const auto names = [&](const std::vector<metrics::AnyMetric>& list) {
    Json out = Json::array();
    for (const auto& m : list) {
      TF_CHECK_TYPED(!m.name().empty(), UnimplementedError, "", where,
                     "a metric object cannot be saved yet: compile with metric names (\"accuracy\")");
      out.push_back(m.name());
    }
    return list.empty() ? Json(nullptr) : out;
  };
  return {{"optimizer", object_json(o->optimizer->get_config(), "keras.optimizers",
                                    where + "optimizer \"" + o->optimizer->name() + "\"")},
          {"loss", loss},
          {"loss_weights", nullptr},
          {"metrics", names(o->metrics)},
          {"weighted_metrics", names(o->weighted_metrics)},
          {"run_eagerly", false},
          {"steps_per_execution", 1},
          {"jit_compile", false}};
}

std::shared_ptr<layers::Layer> deserialize_layer(const Json& j, ConfigContext& ctx, bool build) {
  Fields top(j, ctx.what);
  const std::string cls = top.string("class_name");
  const Json& config = top.required("config");
  Fields cf(config, ctx.what);
  const std::string where = layer_where(ctx, cf, cls.c_str());
  std::shared_ptr<layers::Layer> layer = layer_from_config(cls, config, ctx, where);
  if (auto* model = dynamic_cast<Model*>(layer.get())) {
    // Keras writes an empty compile_config for a model never compiled.
    if (const Json* cc = top.get("compile_config"); cc && !(cc->is_object() && cc->empty()))
      compile_from_config(*model, *cc, ctx);
    return layer;
  }
  if (build && cls != "InputLayer")
    if (const Json* bc = top.get("build_config");
        bc && bc->is_object() && bc->contains("input_shape") && !(*bc)["input_shape"].is_null()) {
      Shape s = Fields(*bc, where + ": build_config").shape("input_shape", true);
      layer->build_from_config(s);
    }
  return layer;
}

void compile_from_config(Model& model, const Json& config, const ConfigContext& ctx) {
  const std::string where = ctx.what + ": compile_config";
  Fields f(config, where);
  require_defaults(f, {{"loss_weights", nullptr}});
  CompileOptions options;
  if (const Json* o = f.get("optimizer")) {
    Serialized s = read_serialized(*o, where + ": optimizer");
    if (s.is_name) {
      try {
        options.optimizer = optimizers::AnyOptimizer(s.class_name);
      } catch (const errors::OpError& e) { TF_THROW(InvalidArgumentError, "", where, ": ", e.message()); }
    } else {
      Fields c(s.config, where + ": optimizer " + s.class_name);
      require_defaults(c,
                       {{"use_ema", false}, {"loss_scale_factor", nullptr}, {"gradient_accumulation_steps", nullptr}});
      const double lr = c.number("learning_rate", s.class_name == "SGD" ? 0.01 : 0.001);
      const auto wd = c.optional_number("weight_decay"), clipnorm = c.optional_number("clipnorm"),
                 clipvalue = c.optional_number("clipvalue"), global_clipnorm = c.optional_number("global_clipnorm");
      const std::string name = c.string("name", "");
      namespace O = optimizers;
      if (s.class_name == "Adam" || s.class_name == "AdamW") {
        O::AdamOptions a{.learning_rate = lr,
                         .beta_1 = c.number("beta_1", 0.9),
                         .beta_2 = c.number("beta_2", 0.999),
                         .epsilon = c.number("epsilon", 1e-7),
                         .amsgrad = c.boolean("amsgrad", false),
                         .weight_decay = wd,
                         .clipnorm = clipnorm,
                         .clipvalue = clipvalue,
                         .global_clipnorm = global_clipnorm,
                         .name = name.empty() ? "adam" : name};
        if (s.class_name == "Adam")
          options.optimizer = O::Adam(a);
        else
          options.optimizer = O::AdamW({.learning_rate = lr,
                                        .weight_decay = wd.value_or(0.004),
                                        .beta_1 = a.beta_1,
                                        .beta_2 = a.beta_2,
                                        .epsilon = a.epsilon,
                                        .amsgrad = a.amsgrad,
                                        .clipnorm = clipnorm,
                                        .clipvalue = clipvalue,
                                        .global_clipnorm = global_clipnorm,
                                        .name = name.empty() ? "adamw" : name});
      } else if (s.class_name == "SGD") {
        options.optimizer = O::SGD({.learning_rate = lr,
                                    .momentum = c.number("momentum", 0.0),
                                    .nesterov = c.boolean("nesterov", false),
                                    .weight_decay = wd,
                                    .clipnorm = clipnorm,
                                    .clipvalue = clipvalue,
                                    .global_clipnorm = global_clipnorm,
                                    .name = name.empty() ? "SGD" : name});
      } else if (s.class_name == "RMSprop") {
        options.optimizer = O::RMSprop({.learning_rate = lr,
                                        .rho = c.number("rho", 0.9),
                                        .momentum = c.number("momentum", 0.0),
                                        .epsilon = c.number("epsilon", 1e-7),
                                        .centered = c.boolean("centered", false),
                                        .weight_decay = wd,
                                        .clipnorm = clipnorm,
                                        .clipvalue = clipvalue,
                                        .global_clipnorm = global_clipnorm,
                                        .name = name.empty() ? "rmsprop" : name});
      } else {
        TF_THROW(UnimplementedError, "", where, ": optimizer class \"", s.class_name, "\" cannot be restored yet");
      }
    }
  }
  if (const Json* l = f.get("loss")) {
    Serialized s = read_serialized(*l, where + ": loss");
    Fields c(s.config, where + ": loss " + s.class_name);
    namespace L = losses;
    const std::string reduction = c.string("reduction", "sum_over_batch_size");
    auto name_or = [&](const char* def) { return c.string("name", def); };
    if (s.is_name) {
      try {
        options.loss = L::AnyLoss(s.class_name);
      } catch (const errors::OpError& e) { TF_THROW(InvalidArgumentError, "", where, ": ", e.message()); }
    } else if (s.class_name == "MeanSquaredError")
      options.loss = L::MeanSquaredError({.reduction = reduction, .name = name_or("mean_squared_error")});
    else if (s.class_name == "MeanAbsoluteError")
      options.loss = L::MeanAbsoluteError({.reduction = reduction, .name = name_or("mean_absolute_error")});
    else if (s.class_name == "Huber")
      options.loss = L::Huber({.delta = c.number("delta", 1.0), .reduction = reduction, .name = name_or("huber_loss")});
    else if (s.class_name == "BinaryCrossentropy" || s.class_name == "CategoricalCrossentropy" ||
             s.class_name == "SparseCategoricalCrossentropy") {
      require_defaults(c, {{"label_smoothing", 0.0}, {"axis", -1}, {"ignore_class", nullptr}});
      L::CrossentropyOptions co{
          .from_logits = c.boolean("from_logits", false), .reduction = reduction, .name = c.string("name", "")};
      if (s.class_name == "BinaryCrossentropy")
        options.loss = L::BinaryCrossentropy(co);
      else if (s.class_name == "CategoricalCrossentropy")
        options.loss = L::CategoricalCrossentropy(co);
      else
        options.loss = L::SparseCategoricalCrossentropy(co);
    } else {
      TF_THROW(UnimplementedError, "", where, ": loss class \"", s.class_name, "\" cannot be restored yet");
    }
  }
  for (const auto& [key, list] :
       {std::pair{"metrics", &options.metrics}, std::pair{"weighted_metrics", &options.weighted_metrics}})
    if (const Json* m = f.get(key)) {
      TF_CHECK_ARG(m->is_array(), "", where, ": \"", key, "\" must be a list, got ", short_dump(*m));
      for (const Json& x : *m) {
        TF_CHECK_TYPED(x.is_string(), UnimplementedError, "", where, ": metric ", short_dump(x),
                       " cannot be restored yet (metric names such as \"accuracy\" can)");
        list->emplace_back(x.get<std::string>());
      }
    }
  try {
    model.compile(std::move(options));
  } catch (const errors::OpError& e) { TF_THROW(InvalidArgumentError, "", where, ": ", e.message()); }
}

}  // namespace tapeflow::keras::internal

namespace tapeflow::keras::saving {

std::string serialize_keras_object(const layers::Layer& layer) { return internal::serialize_layer(layer).dump(); }

std::string get_config(const layers::Layer& layer) { return internal::serialize_layer(layer)["config"].dump(); }

std::shared_ptr<layers::Layer> deserialize_keras_object(const std::string& json) {
  internal::ConfigContext ctx;
  return internal::deserialize_layer(internal::parse_json(json, ctx.what), ctx);
}

std::vector<std::string> registered_classes() {
  std::vector<std::string> out;
  for (const auto& [k, _] : internal::layer_classes()) out.push_back(k);
  return out;
}

}  // namespace tapeflow::keras::saving

namespace tapeflow::keras::models {

std::shared_ptr<Model> model_from_json(const std::string& json) {
  auto layer = saving::deserialize_keras_object(json);
  auto model = std::dynamic_pointer_cast<Model>(layer);
  TF_CHECK_ARG(model, "", "model_from_json: the JSON holds a ", layer->class_name(), " layer, not a model");
  return model;
}

}  // namespace tapeflow::keras::models
