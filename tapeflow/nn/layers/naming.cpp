#include "tapeflow/nn/layers/naming.h"

#include <cxxabi.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

namespace tapeflow::keras::internal {

std::string to_snake_case(const std::string& class_name) {
  // Keras's three re.sub passes, written out (std::regex costs a regex compile per pattern and
  // trips GCC 12's -Wmaybe-uninitialized inside libstdc++ under the sanitizer builds):
  // drop \W characters; "(.)([A-Z][a-z]+)" -> "\1_\2"; "([a-z])([A-Z])" -> "\1_\2"; lower().
  auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto is_lower = [](char c) { return c >= 'a' && c <= 'z'; };
  std::string w;
  for (char c : class_name)
    if (is_upper(c) || is_lower(c) || (c >= '0' && c <= '9') || c == '_') w += c;
  std::string a;  // pass 2: non-overlapping matches, left to right, as re.sub
  for (std::size_t i = 0; i < w.size();) {
    if (i + 2 < w.size() && is_upper(w[i + 1]) && is_lower(w[i + 2])) {
      std::size_t j = i + 3;
      while (j < w.size() && is_lower(w[j])) ++j;
      a += w[i];
      a += '_';
      a.append(w, i + 1, j - i - 1);
      i = j;
    } else {
      a += w[i++];
    }
  }
  std::string b;  // pass 3
  for (std::size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && is_lower(a[i]) && is_upper(a[i + 1])) {
      b += a[i];
      b += '_';
      b += a[i + 1];
      i += 2;
    } else {
      b += a[i++];
    }
  }
  std::transform(b.begin(), b.end(), b.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return b;
}

std::string unqualified_class_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                   std::free);
  std::string name = status == 0 && demangled ? demangled.get() : type.name();
  // Drop template arguments, then every enclosing scope ("ns::(anonymous namespace)::").
  if (const auto lt = name.find('<'); lt != std::string::npos) name.resize(lt);
  if (const auto colon = name.rfind("::"); colon != std::string::npos) name.erase(0, colon + 2);
  return name;
}

}  // namespace tapeflow::keras::internal
