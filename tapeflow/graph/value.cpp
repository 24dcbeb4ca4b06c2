#include "tapeflow/graph/value.h"

#include <sstream>

#include "tapeflow/core/ops/creation.h"

namespace tapeflow {
namespace {
[[noreturn]] void wrong_kind(const char* want, const Value& v) {
  TF_THROW(InvalidArgumentError, "", "tf::function: expected ", want, " but got ", v.repr());
}
void collect_numbers(const Value& v, std::vector<double>& out, Shape& shape, int depth, bool& floating) {
  if (v.is_list()) {
    if (shape.rank() <= depth) shape.push_back(static_cast<int64_t>(v.list().size()));
    for (const Value& e : v.list()) collect_numbers(e, out, shape, depth + 1, floating);
    return;
  }
  if (std::holds_alternative<double>(v.storage())) floating = true;
  out.push_back(v.to_double());
}
}  // namespace

Tensor Value::tensor() const {
  if (auto* t = std::get_if<Tensor>(&v_)) return *t;
  if (auto* var = std::get_if<Variable>(&v_)) return var->read_value();
  if (auto* i = std::get_if<int64_t>(&v_)) return constant(static_cast<int>(*i));
  if (auto* d = std::get_if<double>(&v_)) return constant(static_cast<float>(*d));
  if (auto* b = std::get_if<bool>(&v_)) return constant(*b);
  if (auto* s = std::get_if<std::string>(&v_)) return constant(*s);
  if (is_list()) {  // a nested list of numbers, as TF converts a Python list
    std::vector<double> values;
    Shape shape;
    bool floating = false;
    collect_numbers(*this, values, shape, 0, floating);
    return detail::constant_from_doubles(values, shape, floating ? DType::kFloat32 : DType::kInt32);
  }
  wrong_kind("a Tensor", *this);
}

const Value::List& Value::list() const {
  if (auto* l = std::get_if<List>(&v_)) return *l;
  wrong_kind("a list", *this);
}
const Value::Dict& Value::dict() const {
  if (auto* d = std::get_if<Dict>(&v_)) return *d;
  wrong_kind("a dict", *this);
}
int64_t Value::to_int() const {
  if (auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (auto* b = std::get_if<bool>(&v_)) return *b;
  if (auto* d = std::get_if<double>(&v_)) return static_cast<int64_t>(*d);
  if (is_tensor()) return tensor().dtype() == DType::kInt64 ? tensor().item<int64_t>() : tensor().item<int32_t>();
  wrong_kind("an integer", *this);
}
double Value::to_double() const {
  if (auto* d = std::get_if<double>(&v_)) return *d;
  if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* b = std::get_if<bool>(&v_)) return *b;
  if (is_tensor()) return tensor().item<float>();
  wrong_kind("a number", *this);
}
bool Value::to_bool() const {
  if (auto* b = std::get_if<bool>(&v_)) return *b;
  if (auto* i = std::get_if<int64_t>(&v_)) return *i != 0;
  if (is_tensor()) return tensor().item<bool>();
  wrong_kind("a bool", *this);
}
const std::string& Value::str() const {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  wrong_kind("a string", *this);
}

Value::operator std::vector<Tensor>() const {
  std::vector<Tensor> out;
  for (const Value& e : list()) out.push_back(e.tensor());
  return out;
}

std::string Value::repr() const {
  std::ostringstream os;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>)
          os << "None";
        else if constexpr (std::is_same_v<T, Tensor>)
          os << x;
        else if constexpr (std::is_same_v<T, Variable>)
          os << x;
        else if constexpr (std::is_same_v<T, bool>)
          os << (x ? "True" : "False");
        else if constexpr (std::is_same_v<T, int64_t>)
          os << x;
        else if constexpr (std::is_same_v<T, double>) {
          std::ostringstream d;
          d.precision(17);
          d << x;
          std::string s = d.str();
          if (s.find_first_of(".en") == std::string::npos) s += ".0";  // Python's repr(2.0) is "2.0"
          os << s;
        } else if constexpr (std::is_same_v<T, std::string>)
          os << "'" << x << "'";
        else if constexpr (std::is_same_v<T, List>) {
          os << "[";
          for (std::size_t i = 0; i < x.size(); ++i) os << (i ? ", " : "") << x[i].repr();
          os << "]";
        } else {
          os << "{";
          bool first = true;
          for (const auto& [k, e] : x) {
            os << (first ? "" : ", ") << "'" << k << "': " << e.repr();
            first = false;
          }
          os << "}";
        }
      },
      v_);
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Value& v) { return os << v.repr(); }

}  // namespace tapeflow
