#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "jaegis/actors/errors.hpp"
#include "jaegis/actors/routee_messages.hpp"
#include "jaegis/actors/routing.hpp"
#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"

namespace jaegis::actors {

/// An actor that hands each message of the types `Messages...` to one of its routees, chosen by
/// `Strategy` (routing.hpp), or copies it to all of them (routing::broadcast).
///
/// - Forwarding: a routed message is forward()ed: the envelope moves, the routee sees the
///   original sender, and a request is answered by the routee straight to the original
///   requester. Per sender, messages that go to the same routee keep their order.
/// - Broadcast: each routee gets a copy whose sender is the original sender; a request to a
///   broadcast router is answered with unit_t once the copies are sent (one request cannot have
///   several answers; use scatter_gather.hpp to collect answers).
/// - No routee: a request is answered with an error (is(err, reason::no_routee)); a plain message
///   is dropped and counted (dropped()), and the first drop is logged.
/// - Routees that stop are removed (the router monitors them). Messages already forwarded to a
///   routee that then stops are answered by the runtime with actor_down if they were requests.
template <class Strategy, class... Messages>
class router : public actor<router<Strategy, Messages...>, Messages..., add_routee, remove_routee,
                            get_routees, down_msg> {
 public:
  explicit router(Strategy strategy = Strategy{}, std::vector<actor_ref> routees = {})
      : strategy_(std::move(strategy)), initial_(std::move(routees)) {}

  template <class M>
  requires(std::is_same_v<M, Messages> || ...) void on(M& msg) {
    if (routees_.empty()) return drop();
    if constexpr (routing::copies_to_all<Strategy>) {
      const actor_id sender = this->cell().current()->sender;
      for (const actor_ref& r : routees_) {
        detail::envelope* e = detail::make_envelope<M>(std::as_const(msg));
        e->sender = sender;
        r.cell()->enqueue(e);
      }
    } else {
      this->forward(routees_[strategy_.pick(std::as_const(msg), routees_)]);
    }
  }

  void on(add_routee& a) { add(std::move(a.routee)); }
  void on(remove_routee& r) { remove(r.routee.id(), true); }
  std::vector<actor_ref> on(get_routees&) { return routees_; }
  void on(down_msg& d) { remove(d.source, false); }

  /// Plain messages dropped for want of a routee.
  std::uint64_t dropped() const noexcept { return dropped_; }

 protected:
  void on_start() override {
    for (actor_ref& r : std::exchange(initial_, {}))
      add(std::move(r));
  }

 private:
  void add(actor_ref routee) {
    if (!routee || std::find(routees_.begin(), routees_.end(), routee) != routees_.end()) return;
    this->monitor(routee);
    strategy_.added(routee);
    routees_.push_back(std::move(routee));
  }

  void remove(actor_id id, bool demonitor) {
    auto it = std::find_if(routees_.begin(), routees_.end(),
                           [id](const actor_ref& r) { return r.id() == id; });
    if (it == routees_.end()) return;
    if (demonitor) this->demonitor(*it);
    strategy_.removed(*it);
    routees_.erase(it);
  }

  void drop() {
    detail::envelope* e = this->cell().current();
    if (e->reply_to != nullptr) {
      detail::respond_error(*e, make_error(reason::no_routee, "the router has no routees"));
      return;
    }
    if (dropped_++ == 0) {
      std::string line = "jaegis::actors::router ";
      line += std::to_string(this->id());
      line += ": a message was dropped because there is no routee";
      this->system().log(line);
    }
  }

  Strategy strategy_;
  std::vector<actor_ref> initial_;  ///< added (and monitored) in on_start
  std::vector<actor_ref> routees_;
  std::uint64_t dropped_ = 0;
};

template <class... Messages>
using round_robin_router = router<routing::round_robin, Messages...>;
template <class... Messages>
using random_router = router<routing::random, Messages...>;
template <class... Messages>
using broadcast_router = router<routing::broadcast, Messages...>;
/// `KeyFn`: a callable taking each routed message (const M&), returning its key.
template <class KeyFn, class... Messages>
using consistent_hash_router = router<routing::consistent_hash<KeyFn>, Messages...>;

}  // namespace jaegis::actors
