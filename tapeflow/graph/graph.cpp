#include "tapeflow/graph/graph.h"

#include <charconv>
#include <sstream>

#include "tapeflow/core/tensor.h"

namespace tapeflow {
namespace {

std::string tf_type(DType dt) {
  switch (dt) {
    case DType::kFloat32: return "DT_FLOAT";
    case DType::kFloat64: return "DT_DOUBLE";
    case DType::kFloat16: return "DT_HALF";
    case DType::kBFloat16: return "DT_BFLOAT16";
    case DType::kInt8: return "DT_INT8";
    case DType::kInt32: return "DT_INT32";
    case DType::kInt64: return "DT_INT64";
    case DType::kUInt8: return "DT_UINT8";
    case DType::kBool: return "DT_BOOL";
    case DType::kString: return "DT_STRING";
  }
  return "DT_INVALID";
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// Protobuf's text format prints floats with the shortest digits that round-trip ("0", "1.5").
template <typename F> std::string shortest(F v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Attribute bodies are written on one line ("type: DT_FLOAT") or as nested blocks separated by
// '\n'; the printer indents every line of a body.
std::string shape_body(const Shape& s) {
  std::string out = "shape {";
  for (int64_t d : s) out += "\n  dim {\n    size: " + std::to_string(d < 0 ? -1 : d) + "\n  }";
  return out + "\n}";
}

std::string tensor_body(const Tensor& t) {
  std::ostringstream os;
  os << "tensor {\n  dtype: " << tf_type(t.dtype()) << "\n  tensor_shape {";
  for (int64_t d : t.shape()) os << "\n    dim {\n      size: " << d << "\n    }";
  os << "\n  }";
  Tensor host = t.cpu();
  switch (t.dtype()) {
    case DType::kFloat32:
      for (float v : host.to_vector<float>()) os << "\n  float_val: " << shortest(v);
      break;
    case DType::kFloat64:
      for (double v : host.to_vector<double>()) os << "\n  double_val: " << shortest(v);
      break;
    case DType::kInt32:
      for (int v : host.to_vector<int32_t>()) os << "\n  int_val: " << v;
      break;
    case DType::kInt8:
      for (int v : host.to_vector<int8_t>()) os << "\n  int_val: " << v;
      break;
    case DType::kUInt8:
      for (int v : host.to_vector<uint8_t>()) os << "\n  int_val: " << v;
      break;
    case DType::kInt64:
      for (int64_t v : host.to_vector<int64_t>()) os << "\n  int64_val: " << v;
      break;
    case DType::kBool:
      for (bool v : host.to_vector<bool>()) os << "\n  bool_val: " << (v ? "true" : "false");
      break;
    case DType::kString:
      for (const std::string& v : host.to_vector<std::string>()) os << "\n  string_val: " << quote(v);
      break;
    case DType::kFloat16:
    case DType::kBFloat16:
      for (float v : host.to_vector<float>()) os << "\n  float_val: " << shortest(v);
      break;
  }
  os << "\n}";
  return os.str();
}

bool is_integer_text(const std::string& v) {
  if (v.empty()) return false;
  std::size_t i = v[0] == '-' ? 1 : 0;
  if (i == v.size()) return false;
  for (; i < v.size(); ++i)
    if (v[i] < '0' || v[i] > '9') return false;
  return true;
}

// One value of an OpAttrs::to_string() ("true", "3", "[1, 2]", "float32", "SAME") as a TF
// AttrValue body.
std::string attr_body(const std::string& v) {
  if (v == "true" || v == "false") return "b: " + v;
  if (is_integer_text(v)) return "i: " + v;
  if (!v.empty() && v.front() == '[' && v.back() == ']') {
    std::string out = "list {";
    std::stringstream items(v.substr(1, v.size() - 2));
    std::string item;
    while (std::getline(items, item, ',')) {
      std::size_t b = item.find_first_not_of(' ');
      if (b == std::string::npos) continue;
      item = item.substr(b);
      out += is_integer_text(item) ? "\n  i: " + item : "\n  s: " + quote(item);
    }
    return out + "\n}";
  }
  if (!v.empty() && v.front() == '(') {  // a Shape printed by to_string()
    return "s: " + quote(v);
  }
  char* end = nullptr;
  std::strtod(v.c_str(), &end);
  if (!v.empty() && end == v.c_str() + v.size()) return "f: " + v;
  for (int i = 0; i < kNumDTypes; ++i)
    if (dtype_name(static_cast<DType>(i)) == v) return "type: " + tf_type(static_cast<DType>(i));
  return "s: " + quote(v);
}

// Splits "a=1, b=[1, 2], c=x" at top-level commas.
void parse_attrs(const std::string& text, std::map<std::string, std::string>& out) {
  int depth = 0;
  std::string cur;
  auto flush = [&] {
    std::size_t b = cur.find_first_not_of(' ');
    if (b != std::string::npos) {
      std::string kv = cur.substr(b);
      std::size_t eq = kv.find('=');
      if (eq != std::string::npos) out[kv.substr(0, eq)] = attr_body(kv.substr(eq + 1));
    }
    cur.clear();
  };
  for (char c : text) {
    if (c == '[' || c == '(') ++depth;
    if (c == ']' || c == ')') --depth;
    if (c == ',' && depth == 0) {
      flush();
      continue;
    }
    cur += c;
  }
  flush();
}

void print_body(std::ostream& os, const std::string& body, const std::string& indent) {
  std::stringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) os << indent << line << "\n";
}

}  // namespace

int Graph::add(Node n) {
  std::string base = n.name.empty() ? n.op : n.name;
  int& uses = name_uses_[base];
  n.name = uses == 0 ? base : base + "_" + std::to_string(uses);
  ++uses;
  nodes_.push_back(std::move(n));
  return num_nodes() - 1;
}

std::string Graph::endpoint_name(Endpoint e) const {
  const std::string& n = node(e.node).name;
  return e.index == 0 ? n : n + ":" + std::to_string(e.index);
}

GraphDef Graph::as_graph_def() const {
  GraphDef g;
  for (const Node& n : nodes_) {
    NodeDef d;
    d.name = n.name;
    d.op = n.op;
    if (n.device_requested) d.device = "/job:localhost/replica:0/task:0/device:" + n.device.str();
    for (Endpoint e : n.inputs) d.input.push_back(endpoint_name(e));
    switch (n.kind) {
      case NodeKind::kArg:
      case NodeKind::kCapture:
        d.attr["dtype"] = "type: " + tf_type(n.outputs[0].dtype);
        d.attr["shape"] = shape_body(n.outputs[0].shape);
        if (n.kind == NodeKind::kArg) d.attr["_user_specified_name"] = "s: " + quote(n.name);
        break;
      case NodeKind::kVarHandle:
        d.attr["dtype"] = "type: DT_RESOURCE";
        d.attr["shape"] = "shape {\n}";
        break;
      case NodeKind::kConst:
        d.attr["dtype"] = "type: " + tf_type(n.value.dtype());
        d.attr["value"] = tensor_body(n.value);
        break;
      case NodeKind::kRead: d.attr["dtype"] = "type: " + tf_type(n.outputs[0].dtype); break;
      case NodeKind::kAssign: d.attr["dtype"] = "type: " + tf_type(spec(n.inputs[1]).dtype); break;
      case NodeKind::kPrint: {
        // TF builds a tf.print as StringFormat (the template) feeding PrintV2.
        NodeDef fmt;
        fmt.name = n.name + "/StringFormat";
        fmt.op = "StringFormat";
        fmt.input = d.input;
        std::string tmpl, types = "list {";
        for (const PrintPiece& p : n.print)
          tmpl += (tmpl.empty() ? "" : " ") + (p.is_tensor ? std::string("{}") : p.text);
        for (Endpoint e : n.inputs) types += "\n  type: " + tf_type(spec(e).dtype);
        fmt.attr["T"] = types + "\n}";
        fmt.attr["placeholder"] = "s: \"{}\"";
        fmt.attr["summarize"] = "i: 3";
        fmt.attr["template"] = "s: " + quote(tmpl);
        g.node.push_back(std::move(fmt));
        d.input = {n.name + "/StringFormat"};
        d.attr["end"] = "s: \"\\n\"";
        d.attr["output_stream"] = "s: \"stdout\"";
        break;
      }
      case NodeKind::kOp:
      case NodeKind::kIdentity:
        if (!n.inputs.empty()) d.attr["T"] = "type: " + tf_type(spec(n.inputs[0]).dtype);
        if (n.attrs) parse_attrs(n.attrs->to_string(), d.attr);
        break;
    }
    for (int c : n.control_inputs) d.input.push_back("^" + node(c).name);
    g.node.push_back(std::move(d));
  }
  return g;
}

std::string GraphDef::to_string() const {
  std::ostringstream os;
  for (const NodeDef& n : node) {
    os << "node {\n  name: " << quote(n.name) << "\n  op: " << quote(n.op) << "\n";
    for (const std::string& in : n.input) os << "  input: " << quote(in) << "\n";
    if (!n.device.empty()) os << "  device: " << quote(n.device) << "\n";
    for (const auto& [key, body] : n.attr) {
      os << "  attr {\n    key: " << quote(key) << "\n    value {\n";
      print_body(os, body, "      ");
      os << "    }\n  }\n";
    }
    os << "}\n";
  }
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const GraphDef& g) { return os << g.to_string(); }

}  // namespace tapeflow
