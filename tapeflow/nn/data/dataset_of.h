// DatasetOf<N>: a tf::data::Dataset whose elements are known to have N components, so a loop
// can bind them by name, `for (auto [x, y] : ds)`, and map/filter take one argument per
// component: `ds.map([](tf::Tensor x, tf::Tensor y) { return std::tuple{x / 255, y}; })`.
// from_tensor_slices({x, y}), range, zip and per-component maps give one; it converts to
// Dataset (what fit and adapt take). Included by dataset.h.
#pragma once
#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "tapeflow/nn/data/dataset.h"

namespace tapeflow::data {

/// One element of a DatasetOf<N>: its N components, a vector (`e[0]`, `e.size()`) that also
/// binds as a tuple (`auto [x, y] = e`). A one-component element reads as its Tensor.
template <std::size_t N> class Components : public Element {
 public:
  Components() = default;
  explicit Components(Element e) : Element(std::move(e)) {}
  template <std::size_t I> Tensor& get() & { return (*this)[I]; }
  template <std::size_t I> const Tensor& get() const& { return (*this)[I]; }
  template <std::size_t I> Tensor&& get() && { return std::move((*this)[I]); }
  operator const Tensor&() const  // NOLINT: `for (tf::Tensor x : Dataset::range(5))`
    requires(N == 1)
  {
    return (*this)[0];
  }
};

namespace detail {
/// How many components a map function's result has (0: known only at run time, an Element).
template <typename R> struct ComponentCount : std::integral_constant<std::size_t, 0> {};
template <> struct ComponentCount<Tensor> : std::integral_constant<std::size_t, 1> {};
template <typename... Ts> struct ComponentCount<std::tuple<Ts...>> : std::integral_constant<std::size_t, sizeof...(Ts)> {};
template <typename A, typename B> struct ComponentCount<std::pair<A, B>> : std::integral_constant<std::size_t, 2> {};
template <std::size_t M> struct ComponentCount<std::array<Tensor, M>> : std::integral_constant<std::size_t, M> {};
template <std::size_t M> struct ComponentCount<Components<M>> : std::integral_constant<std::size_t, M> {};

/// A map function's result as an Element.
inline Element to_element(Tensor t) { return Element{std::move(t)}; }
inline Element to_element(Element e) { return e; }
template <typename... Ts> Element to_element(std::tuple<Ts...> t) {
  return std::apply([](auto&&... c) { return Element{Tensor(std::move(c))...}; }, std::move(t));
}
template <typename A, typename B> Element to_element(std::pair<A, B> p) {
  return Element{Tensor(std::move(p.first)), Tensor(std::move(p.second))};
}
template <std::size_t M> Element to_element(std::array<Tensor, M> a) { return Element(a.begin(), a.end()); }

/// Raises InvalidArgumentError when an element has other than `want` components.
void check_component_count(const char* what, std::size_t got, std::size_t want);

/// Calls f with the element's K components as arguments.
template <std::size_t K, typename F> decltype(auto) call_with_components(const char* what, F& f, const Element& e) {
  check_component_count(what, e.size(), K);
  return [&]<std::size_t... I>(std::index_sequence<I...>) -> decltype(auto) {
    return f(e[I]...);
  }(std::make_index_sequence<K>{});
}

/// The result type of f called with K tensors.
template <typename F, std::size_t K> struct ResultOfComponents {
  template <std::size_t... I> static auto of(std::index_sequence<I...>) -> std::invoke_result_t<F&, decltype(void(I), std::declval<const Tensor&>())...>;
  using type = decltype(of(std::make_index_sequence<K>{}));
};
template <typename F, std::size_t K> using ResultOfComponentsT = typename ResultOfComponents<F, K>::type;

/// The number of parameters of a callable that is not generic (a lambda without auto, a function).
template <typename F> struct CallableArity : CallableArity<decltype(&F::operator())> {};
template <typename R, typename C, typename... A> struct CallableArity<R (C::*)(A...) const> {
  static constexpr std::size_t value = sizeof...(A);
};
template <typename R, typename C, typename... A> struct CallableArity<R (C::*)(A...)> {
  static constexpr std::size_t value = sizeof...(A);
};
template <typename R, typename... A> struct CallableArity<R (*)(A...)> {
  static constexpr std::size_t value = sizeof...(A);
};
template <typename R, typename... A> struct CallableArity<R(A...)> {
  static constexpr std::size_t value = sizeof...(A);
};

/// A filter predicate's result (a scalar bool Tensor, as TF requires, or a C++ bool) as a bool.
bool predicate_value(const Tensor& keep);
inline bool predicate_value(bool keep) { return keep; }

template <typename D> struct IsDatasetOf : std::false_type {};
template <std::size_t M> struct IsDatasetOf<DatasetOf<M>> : std::true_type {};

template <std::size_t K, typename F> std::function<Element(const Element&)> component_map(F fn) {
  return [fn = std::move(fn)](const Element& e) mutable {
    return to_element(call_with_components<K>("map", fn, e));
  };
}
/// A filter predicate, called with the whole element or with one argument per component.
template <std::size_t K, typename F> std::function<bool(const Element&)> predicate(F fn) {
  if constexpr (std::is_invocable_v<F&, const Element&>)
    return [fn = std::move(fn)](const Element& e) mutable { return predicate_value(fn(e)); };
  else
    return [fn = std::move(fn)](const Element& e) mutable {
      return predicate_value(call_with_components<K>("filter", fn, e));
    };
}
}  // namespace detail

template <std::size_t N> class DatasetOf : public Dataset {
  static_assert(N > 0, "a dataset element has at least one component");

 public:
  /// Iteration with range-for, binding the components: `for (auto [x, y] : ds)`.
  class Iterator {
   public:
    Iterator() = default;
    explicit Iterator(Dataset::Iterator it) : it_(std::move(it)) { load(); }
    const Components<N>& operator*() const { return current_; }
    Components<N>& operator*() { return current_; }
    Iterator& operator++() {
      ++it_;
      load();
      return *this;
    }
    bool operator!=(const Iterator& other) const { return it_ != other.it_; }
    bool operator==(const Iterator& other) const { return it_ == other.it_; }

   private:
    void load() {
      if (it_ == Dataset::Iterator()) return;
      detail::check_component_count("iteration", (*it_).size(), N);
      current_ = Components<N>(std::move(*it_));
    }
    Dataset::Iterator it_;
    Components<N> current_;
  };

  /// Views a dataset as one of N components (each element is checked when it is produced).
  explicit DatasetOf(Dataset ds) : Dataset(std::move(ds)) {}

  Iterator begin() const { return Iterator(Dataset::begin()); }
  Iterator end() const { return Iterator(); }

  DatasetOf shuffle(int64_t buffer_size, ShuffleOptions options = {}) const {
    return DatasetOf(Dataset::shuffle(buffer_size, options));
  }
  DatasetOf batch(int64_t batch_size, bool drop_remainder = false) const {
    return DatasetOf(Dataset::batch(batch_size, drop_remainder));
  }
  DatasetOf repeat(int64_t count = -1) const { return DatasetOf(Dataset::repeat(count)); }
  DatasetOf take(int64_t count) const { return DatasetOf(Dataset::take(count)); }
  DatasetOf skip(int64_t count) const { return DatasetOf(Dataset::skip(count)); }
  DatasetOf cache(const std::string& filename = "") const { return DatasetOf(Dataset::cache(filename)); }
  DatasetOf unbatch() const { return DatasetOf(Dataset::unbatch()); }
  DatasetOf prefetch(int64_t buffer_size) const { return DatasetOf(Dataset::prefetch(buffer_size)); }
  DatasetOf padded_batch(int64_t batch_size, std::vector<Shape> padded_shapes = {},
                         std::vector<Tensor> padding_values = {}, bool drop_remainder = false) const {
    return DatasetOf(
        Dataset::padded_batch(batch_size, std::move(padded_shapes), std::move(padding_values), drop_remainder));
  }

  /// The element form, `[](const tf::data::Element& e) { return tf::data::Element{...}; }`: the
  /// result's component count is known only at run time.
  Dataset map(std::function<Element(const Element&)> fn) const { return Dataset::map(std::move(fn)); }
  Dataset map(std::function<Element(const Element&)> fn, int64_t num_parallel_calls) const {
    return Dataset::map(std::move(fn), num_parallel_calls);
  }
  Dataset map(std::function<Element(const Element&)> fn, MapOptions options) const {
    return Dataset::map(std::move(fn), options);
  }
  /// One argument per component; the function returns a Tensor, a std::tuple/std::pair of
  /// them, or a std::array<Tensor, M>:
  /// `ds.map([](tf::Tensor x, tf::Tensor y) { return std::tuple{tf::cast(x, tf::float32) / 255, y}; })`.
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto map(F fn, MapOptions options = {}) const {
    using R = std::remove_cvref_t<detail::ResultOfComponentsT<F, N>>;
    Dataset mapped = Dataset::map(detail::component_map<N>(std::move(fn)), options);
    if constexpr (detail::ComponentCount<R>::value > 0)
      return DatasetOf<detail::ComponentCount<R>::value>(std::move(mapped));
    else
      return mapped;
  }
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto map(F fn, int64_t num_parallel_calls) const {
    return map(std::move(fn), MapOptions{.num_parallel_calls = num_parallel_calls});
  }
  /// The element form: `[](const tf::data::Element& e) -> tf::data::Dataset { ... }`.
  Dataset interleave(std::function<Dataset(const Element&)> fn, int64_t cycle_length = AUTOTUNE,
                     int64_t block_length = 1) const {
    return Dataset::interleave(std::move(fn), cycle_length, block_length);
  }
  Dataset interleave(std::function<Dataset(const Element&)> fn, InterleaveOptions options) const {
    return Dataset::interleave(std::move(fn), options);
  }
  Dataset flat_map(std::function<Dataset(const Element&)> fn) const { return Dataset::flat_map(std::move(fn)); }
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto flat_map(F fn) const {
    return interleave(std::move(fn), 1, 1);
  }
  /// interleave with one argument per component; a function returning DatasetOf<M> gives one.
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto interleave(F fn, int64_t cycle_length = AUTOTUNE, int64_t block_length = 1) const {
    return interleave(std::move(fn), InterleaveOptions{.cycle_length = cycle_length, .block_length = block_length});
  }
  /// With TF's keywords: `ds.interleave(f, {.cycle_length = 2, .num_parallel_calls = tf::data::AUTOTUNE})`.
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto interleave(F fn, InterleaveOptions options) const {
    using R = std::remove_cvref_t<detail::ResultOfComponentsT<F, N>>;
    Dataset out = Dataset::interleave(
        [fn = std::move(fn)](const Element& e) mutable -> Dataset {
          return detail::call_with_components<N>("interleave", fn, e);
        },
        options);
    if constexpr (detail::IsDatasetOf<R>::value)
      return R(std::move(out));
    else
      return out;
  }
  /// Keeps the elements for which the predicate, called with one argument per component (or
  /// with the whole Element), returns true: a scalar bool Tensor, as TF requires, or a bool.
  /// `ds.filter([](tf::Tensor x, tf::Tensor y) { return tf::less(y, 5); })`.
  template <typename F> DatasetOf filter(F fn) const {
    return DatasetOf(filter_by(detail::predicate<N>(std::move(fn))));
  }
};

template <std::size_t N> DatasetOf<N> Dataset::from_tensor_slices(const Tensor (&tensors)[N]) {
  return DatasetOf<N>(from_tensor_slices(std::vector<Tensor>(tensors, tensors + N)));
}

template <std::size_t... Ns> DatasetOf<(Ns + ...)> Dataset::zip(const DatasetOf<Ns>&... datasets) {
  return DatasetOf<(Ns + ...)>(zip(std::vector<Dataset>{datasets...}));
}

template <typename F>
  requires(!std::is_invocable_v<F&, const Element&>)
auto Dataset::map(F fn, MapOptions options) const {
  constexpr std::size_t K = detail::CallableArity<std::remove_cvref_t<F>>::value;
  return DatasetOf<K>(*this).map(std::move(fn), options);
}

template <typename F>
  requires(!std::is_invocable_v<F&, const Element&>)
auto Dataset::interleave(F fn, int64_t cycle_length, int64_t block_length) const {
  constexpr std::size_t K = detail::CallableArity<std::remove_cvref_t<F>>::value;
  return DatasetOf<K>(*this).interleave(std::move(fn), cycle_length, block_length);
}

template <typename F>
  requires(!std::is_invocable_v<F&, const Element&>)
auto Dataset::interleave(F fn, InterleaveOptions options) const {
  constexpr std::size_t K = detail::CallableArity<std::remove_cvref_t<F>>::value;
  return DatasetOf<K>(*this).interleave(std::move(fn), options);
}

template <typename F> Dataset Dataset::filter(F fn) const {
  if constexpr (std::is_invocable_v<F&, const Element&>)
    return filter_by(detail::predicate<0>(std::move(fn)));
  else
    return filter_by(detail::predicate<detail::CallableArity<std::remove_cvref_t<F>>::value>(std::move(fn)));
}

}  // namespace tapeflow::data

template <std::size_t N> struct std::tuple_size<tapeflow::data::Components<N>> : std::integral_constant<std::size_t, N> {};
template <std::size_t I, std::size_t N> struct std::tuple_element<I, tapeflow::data::Components<N>> {
  using type = tapeflow::Tensor;
};
