#pragma once
// UniqueFunction<R(Args...)>: a move-only callable with small-buffer storage.
//
// Contract: used on the data path for reply callbacks (routes/ and proxy/), always created, moved and
// invoked on one worker thread. std::function needs copyable targets and allocates past 16 bytes of capture;
// reply callbacks capture a couple of smart pointers and indices, so 48 bytes inline avoids a heap
// allocation per request in the common case. Larger callables fall back to the heap.
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace mcrelay {

template <typename Signature>
class UniqueFunction;

template <typename R, typename... Args>
class UniqueFunction<R(Args...)> {
  static constexpr std::size_t kInline = 48;

  struct Ops {
    R (*invoke)(void* storage, Args&&... args);
    void (*move_to)(void* from, void* to) noexcept;  // move-construct into `to`, destroy `from`
    void (*destroy)(void* storage) noexcept;
  };

  template <typename F>
  static constexpr bool fits_inline =
      sizeof(F) <= kInline && alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

  template <typename F>
  static const Ops* ops_for() {
    if constexpr (fits_inline<F>) {
      static const Ops ops{
          [](void* s, Args&&... args) -> R { return (*static_cast<F*>(s))(std::forward<Args>(args)...); },
          [](void* from, void* to) noexcept {
            ::new (to) F(std::move(*static_cast<F*>(from)));
            static_cast<F*>(from)->~F();
          },
          [](void* s) noexcept { static_cast<F*>(s)->~F(); }};
      return &ops;
    } else {
      static const Ops ops{
          [](void* s, Args&&... args) -> R { return (**static_cast<F**>(s))(std::forward<Args>(args)...); },
          [](void* from, void* to) noexcept { *static_cast<F**>(to) = *static_cast<F**>(from); },
          [](void* s) noexcept { delete *static_cast<F**>(s); }};
      return &ops;
    }
  }

 public:
  UniqueFunction() noexcept = default;
  UniqueFunction(std::nullptr_t) noexcept {}

  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueFunction> &&
                                                    std::is_invocable_r_v<R, std::decay_t<F>&, Args...>>>
  UniqueFunction(F&& f) {  // NOLINT(google-explicit-constructor): behaves like std::function
    using D = std::decay_t<F>;
    if constexpr (fits_inline<D>) {
      ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
    } else {
      *reinterpret_cast<D**>(storage_) = new D(std::forward<F>(f));
    }
    ops_ = ops_for<D>();
  }

  UniqueFunction(UniqueFunction&& other) noexcept : ops_(other.ops_) {
    if (ops_) {
      ops_->move_to(other.storage_, storage_);
      other.ops_ = nullptr;
    }
  }

  UniqueFunction& operator=(UniqueFunction&& other) noexcept {
    if (this != &other) {
      reset();
      ops_ = other.ops_;
      if (ops_) {
        ops_->move_to(other.storage_, storage_);
        other.ops_ = nullptr;
      }
    }
    return *this;
  }

  UniqueFunction(const UniqueFunction&) = delete;
  UniqueFunction& operator=(const UniqueFunction&) = delete;

  ~UniqueFunction() { reset(); }

  void reset() noexcept {
    if (ops_) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  R operator()(Args... args) { return ops_->invoke(storage_, std::forward<Args>(args)...); }

 private:
  alignas(std::max_align_t) unsigned char storage_[kInline];
  const Ops* ops_ = nullptr;
};

}  // namespace mcrelay
