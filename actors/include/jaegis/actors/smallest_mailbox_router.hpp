#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "jaegis/actors/deferred_reply.hpp"
#include "jaegis/actors/errors.hpp"
#include "jaegis/actors/routee_messages.hpp"
#include "jaegis/framework/actor.hpp"

namespace jaegis::actors {

/// A router that sends each message to the routee with the least outstanding work.
///
/// What it measures: the mailbox has no depth counter (it is a bare Vyukov queue, and a counter
/// would put an atomic on every send), so the router counts what it can see itself. It sends each
/// message to its routee as a request and counts, per routee, the messages it sent that have not
/// been answered yet: those waiting in the routee's mailbox plus the one being handled. Messages
/// other actors send the routee directly are not counted. Ties go to the routee after the last
/// one chosen, so idle routees share work evenly.
///
/// Because the router must see the answer, it does not forward: the routee sees the router as
/// sender, and the router relays the answer (or the error) to the original requester. Plain
/// messages are sent as requests too, their answers dropped. An answer that does not come within
/// `answer_timeout` fails the request with request_timeout and frees the slot. All `Messages` must
/// be handled by `Routee` (checked at compile time).
template <class Routee, class... Messages>
class smallest_mailbox_router
    : public actor<smallest_mailbox_router<Routee, Messages...>, Messages..., add_routee,
                   remove_routee, get_routees, down_msg> {
 public:
  explicit smallest_mailbox_router(
      std::vector<actor_ref> routees = {},
      std::chrono::nanoseconds answer_timeout = std::chrono::minutes(1))
      : initial_(std::move(routees)), timeout_(answer_timeout) {}

  template <class M>
  requires(std::is_same_v<M, Messages> || ...) void on(M& msg) {
    static_assert(Routee::template accepts<M>, "jaegis: the routee does not accept this message");
    using R = typename detail::response_of<decltype(std::declval<Routee&>().on(msg))>::type;
    auto reply = std::make_shared<deferred_reply>(deferred_reply::take(this->cell()));
    if (routees_.empty()) {
      reply->fail(make_error(reason::no_routee, "the router has no routees"));
      return;
    }
    routee& target = least_loaded();
    ++target.outstanding;
    const actor_id id = target.ref.id();
    this->template request<R>(target.ref, std::move(msg), timeout_)
        .then(
            [this, id, reply](R& value) {
              done(id);
              reply->send(std::move(value));
            },
            [this, id, reply](const error& err) {
              done(id);
              reply->fail(err);
            });
  }

  void on(add_routee& a) {
    if (!a.routee || find(a.routee.id()) != routees_.end()) return;
    this->monitor(a.routee);
    routees_.push_back({std::move(a.routee), 0});
  }
  void on(remove_routee& r) { remove(r.routee.id(), true); }
  std::vector<actor_ref> on(get_routees&) {
    std::vector<actor_ref> out;
    for (const routee& r : routees_)
      out.push_back(r.ref);
    return out;
  }
  void on(down_msg& d) { remove(d.source, false); }

 protected:
  void on_start() override {
    for (actor_ref& r : std::exchange(initial_, {})) {
      add_routee a{std::move(r)};
      on(a);
    }
  }

 private:
  struct routee {
    actor_ref ref;
    std::size_t outstanding;  ///< sent by this router, not answered yet
  };

  typename std::vector<routee>::iterator find(actor_id id) {
    return std::find_if(routees_.begin(), routees_.end(),
                        [id](const routee& r) { return r.ref.id() == id; });
  }

  routee& least_loaded() {
    const std::size_t n = routees_.size();
    std::size_t best = next_ % n;
    for (std::size_t k = 1; k < n; ++k) {
      const std::size_t i = (next_ + k) % n;
      if (routees_[i].outstanding < routees_[best].outstanding) best = i;
    }
    next_ = best + 1;
    return routees_[best];
  }

  void done(actor_id id) {
    if (auto it = find(id); it != routees_.end() && it->outstanding > 0) --it->outstanding;
  }

  void remove(actor_id id, bool demonitor) {
    auto it = find(id);
    if (it == routees_.end()) return;
    if (demonitor) this->demonitor(it->ref);
    routees_.erase(it);
  }

  std::vector<actor_ref> initial_;
  std::chrono::nanoseconds timeout_;
  std::vector<routee> routees_;
  std::size_t next_ = 0;
};

}  // namespace jaegis::actors
