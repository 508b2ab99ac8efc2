#pragma once
// RefCounted / Ref<T>: a non-atomic intrusive reference count.
//
// Contract: for objects that live and die on one worker thread (requests, client sessions, upstream
// connections). Every Ref to an object must be created, copied and dropped on that thread; this is what
// lets the request path avoid atomic operations. Objects shared across threads use std::shared_ptr.
#include <cstdint>
#include <utility>

namespace mcrelay {

class RefCounted {
 public:
  RefCounted() = default;
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;

  void add_ref() noexcept { ++refs_; }
  // Returns true when the last reference went away (the caller deletes).
  bool release() noexcept { return --refs_ == 0; }
  std::uint32_t use_count() const noexcept { return refs_; }

 protected:
  ~RefCounted() = default;

 private:
  std::uint32_t refs_ = 0;
};

template <typename T>
class Ref {
 public:
  Ref() noexcept = default;
  Ref(std::nullptr_t) noexcept {}
  explicit Ref(T* p) noexcept : p_(p) {
    if (p_) p_->add_ref();
  }
  Ref(const Ref& o) noexcept : Ref(o.p_) {}
  Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  template <typename U>
  Ref(const Ref<U>& o) noexcept : Ref(static_cast<T*>(o.get())) {}
  Ref& operator=(Ref o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~Ref() { reset(); }

  void reset() noexcept {
    if (p_ && p_->release()) delete p_;
    p_ = nullptr;
  }
  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

template <typename T, typename... A>
Ref<T> make_ref(A&&... args) {
  return Ref<T>(new T(std::forward<A>(args)...));
}

}  // namespace mcrelay
