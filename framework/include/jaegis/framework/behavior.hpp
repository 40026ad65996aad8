#pragma once

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "jaegis/framework/envelope.hpp"
#include "jaegis/framework/response.hpp"
#include "jaegis/framework/type_id.hpp"

namespace jaegis::detail {

/// The message type a handler (a lambda or function object with one parameter) takes.
template <class F>
struct handler_traits : handler_traits<decltype(&F::operator())> {};
template <class C, class R, class A>
struct handler_traits<R (C::*)(A) const> {
  using arg = std::remove_cvref_t<A>;
};
template <class C, class R, class A>
struct handler_traits<R (C::*)(A)> {
  using arg = std::remove_cvref_t<A>;
};
template <class F>
using handler_arg_t = typename handler_traits<std::decay_t<F>>::arg;

/// A set of handlers installed with become().
struct behavior_base {
  virtual ~behavior_base() = default;
  virtual bool handle(envelope& e) = 0;
};

template <class... Handlers>
struct behavior_impl final : behavior_base {
  explicit behavior_impl(Handlers... hs) : handlers(std::move(hs)...) {}

  bool handle(envelope& e) override {
    return std::apply([&](auto&... h) { return (try_one(h, e) || ...); }, handlers);
  }

  template <class H>
  static bool try_one(H& handler, envelope& e) {
    using M = handler_arg_t<H>;
    if (e.type != type_id<M>()) return false;
    invoke_and_respond<M>(e, handler);
    return true;
  }

  std::tuple<Handlers...> handlers;
};

/// Owns the current behavior. A handler may call become() while it runs: the behavior it belongs
/// to is then retired, and deleted only after the outermost handler returns.
class behavior_holder {
 public:
  behavior_holder() = default;
  behavior_holder(const behavior_holder&) = delete;
  behavior_holder& operator=(const behavior_holder&) = delete;

  bool operator!=(std::nullptr_t) const noexcept { return current_ != nullptr; }
  bool operator==(std::nullptr_t) const noexcept { return current_ == nullptr; }

  bool handle(envelope& e) {
    behavior_base* running = current_.get();
    ++depth_;
    struct leave {
      behavior_holder& h;
      ~leave() {
        if (--h.depth_ == 0) h.retired_.clear();
      }
    } guard{*this};
    return running->handle(e);
  }

  void reset(behavior_base* next = nullptr) {
    if (current_ != nullptr && depth_ > 0) retired_.push_back(std::move(current_));
    current_.reset(next);
  }

 private:
  std::unique_ptr<behavior_base> current_;
  std::vector<std::unique_ptr<behavior_base>> retired_;
  int depth_ = 0;
};

}  // namespace jaegis::detail
