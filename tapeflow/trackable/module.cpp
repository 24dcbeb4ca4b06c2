#include "tapeflow/trackable/module.h"

#include <map>
#include <iterator>
#include <mutex>
#include <unordered_set>

namespace tapeflow {

namespace detail {

struct ModuleState {
  std::string name;
  bool trainable = true;
  struct Entry {
    std::string name;
    Variable variable;                    // set for a tracked variable
    std::shared_ptr<ModuleState> module;  // set for a tracked submodule
    std::shared_ptr<Module> handle;       // the submodule with its class
  };
  std::vector<Entry> entries;                                     // tracking order
  std::vector<TrackableFunction> functions;                       // tracked tf::Functions
  std::vector<std::pair<std::string, DeferredRestore>> deferred;  // restores waiting for track()
  std::shared_ptr<void> extension;
};

namespace {
std::mutex g_names_mutex;
std::map<std::string, int> g_name_counts;
}  // namespace

std::string unique_name(const std::string& prefix) {
  std::lock_guard lock(g_names_mutex);
  int n = g_name_counts[prefix]++;
  return n == 0 ? prefix : prefix + "_" + std::to_string(n);
}

void reset_unique_names() {
  std::lock_guard lock(g_names_mutex);
  g_name_counts.clear();
}

}  // namespace detail

namespace {
using detail::ModuleState;

// Walks the tree depth first in tracking order, visiting each module and variable once.
// `frozen` is true under a module whose trainable flag is off.
template <typename OnVar, typename OnModule>
void walk(const std::shared_ptr<ModuleState>& s, const std::string& path, bool frozen,
          std::unordered_set<const void*>& seen, OnVar on_var, OnModule on_module) {
  frozen = frozen || !s->trainable;
  for (const auto& e : s->entries) {
    std::string p = path + "/" + e.name;
    if (e.variable.defined()) {
      if (seen.insert(e.variable.impl().get()).second) on_var(p, e.variable, frozen);
    } else if (seen.insert(e.module.get()).second) {
      on_module(e.module);
      walk(e.module, p, frozen, seen, on_var, on_module);
    }
  }
}
}  // namespace

Module::Module(const std::string& name, ModuleOptions options) : state_(std::make_shared<ModuleState>()) {
  state_->name = options.unique ? detail::unique_name(name) : name;
}

const std::string& Module::name() const { return state_->name; }
void Module::set_name(const std::string& name) const { state_->name = name; }
bool Module::trainable() const { return state_->trainable; }
void Module::set_trainable(bool trainable) { state_->trainable = trainable; }

std::vector<std::pair<std::string, Variable>> Module::named_variables() const {
  std::vector<std::pair<std::string, Variable>> out;
  std::unordered_set<const void*> seen{state_.get()};
  walk(
      state_, state_->name, false, seen, [&](const std::string& p, const Variable& v, bool) { out.emplace_back(p, v); },
      [](const auto&) {});
  return out;
}

std::vector<Variable> Module::variables() const {
  std::vector<Variable> out;
  for (auto& [path, v] : named_variables()) out.push_back(v);
  return out;
}

std::vector<Variable> Module::trainable_variables() const {
  std::vector<Variable> out;
  std::unordered_set<const void*> seen{state_.get()};
  walk(
      state_, state_->name, false, seen,
      [&](const std::string&, const Variable& v, bool frozen) {
        if (!frozen && v.trainable()) out.push_back(v);
      },
      [](const auto&) {});
  return out;
}

std::vector<Variable> Module::non_trainable_variables() const {
  std::vector<Variable> out;
  std::unordered_set<const void*> seen{state_.get()};
  walk(
      state_, state_->name, false, seen,
      [&](const std::string&, const Variable& v, bool frozen) {
        if (frozen || !v.trainable()) out.push_back(v);
      },
      [](const auto&) {});
  return out;
}

std::vector<Module> Module::submodules() const {
  std::vector<Module> out;
  std::unordered_set<const void*> seen{state_.get()};
  walk(
      state_, state_->name, false, seen, [](const std::string&, const Variable&, bool) {},
      [&](const std::shared_ptr<ModuleState>& m) { out.push_back(Module(m)); });
  return out;
}

Variable Module::track(const std::string& name, Variable v) {
  TF_CHECK_ARG(v.defined(), "Module", "module '", state_->name, "' cannot track an undefined variable as '", name, "'");
  state_->entries.push_back({name, v, nullptr, nullptr});
  auto& pending = state_->deferred;
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    if (it->first != name) continue;
    DeferredRestore restore = std::move(it->second);
    pending.erase(it);
    restore(v);
    break;
  }
  return v;
}

void Module::track_module(const std::string& name, std::shared_ptr<Module> module) {
  TF_CHECK_ARG(module->state_ != state_, "Module", "module '", state_->name, "' cannot track itself");
  state_->entries.push_back({name, Variable(), module->state_, module});
}

void Module::untrack_module(const Module& module) {
  auto& entries = state_->entries;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    if (it->module == module.state_) {
      entries.erase(std::next(it).base());
      return;
    }
}

std::vector<TrackableReference> Module::trackable_children() const {
  std::vector<TrackableReference> out;
  for (const auto& e : state_->entries) {
    if (e.variable.defined())
      out.push_back({e.name, nullptr, e.variable});
    else
      out.push_back({e.name, e.handle ? e.handle : std::shared_ptr<Module>(new Module(e.module)), Variable()});
  }
  return out;
}

void Module::track_function(const std::string& name, std::shared_ptr<const Function> function) {
  TF_CHECK_ARG(function != nullptr, "Module", "module '", state_->name, "': function '", name, "' is null");
  state_->functions.push_back({name, std::move(function)});
}

std::vector<TrackableFunction> Module::trackable_functions() const { return state_->functions; }

bool Module::defer_variable_restore(const std::string& name, DeferredRestore restore) {
  state_->deferred.emplace_back(name, std::move(restore));
  return true;
}

std::shared_ptr<void>& Module::extension() const { return state_->extension; }

Variable Module::tracked_variable(const std::string& name) const {
  for (const auto& e : state_->entries)
    if (e.variable.defined() && e.name == name) return e.variable;
  return Variable();
}

}  // namespace tapeflow
