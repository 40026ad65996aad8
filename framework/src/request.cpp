#include "jaegis/framework/request.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "jaegis/framework/actor_system.hpp"
#include "system_envelopes.hpp"

namespace jaegis::detail {
namespace {

/// An actor's request-timeout check: refers to the actor by id (it never keeps it alive) and, when
/// it fires, sends it a request_timeout_msg if it still exists.
struct request_timer final : timers::timer_node {
  request_timer(actor_table& t, actor_id a, std::uint64_t seq) noexcept
      : timer_node(&fire, &release), table(&t), actor(a), arm_seq(seq) {}
  static void fire(timers::timer_node* node) noexcept {
    auto* self = static_cast<request_timer*>(node);
    send_system(*self->table, self->actor, 0, request_timeout_msg{self->arm_seq});
  }
  static void release(timers::timer_node* node) noexcept {
    mem::destroy(static_cast<request_timer*>(node));
  }
  actor_table* table;
  actor_id actor;
  std::uint64_t arm_seq;
};

std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             timers::timer_service::clock::now().time_since_epoch())
      .count();
}

std::size_t mix(std::uint64_t id) noexcept {
  // Request ids are sequential per actor; a multiplicative hash spreads them over the table.
  return static_cast<std::size_t>(id * 0x9e3779b97f4a7c15ull >> 32);
}

}  // namespace

std::int64_t deadline_after(std::chrono::nanoseconds timeout) noexcept {
  const std::int64_t now = now_ns();
  const std::int64_t wait = std::max<std::int64_t>(0, timeout.count());
  return wait > INT64_MAX - now ? INT64_MAX - 1 : now + wait;
}

pending_requests& pending_of(actor_cell& cell) {
  actor_extras& x = cell.extras();
  if (x.pending == nullptr) x.pending = new pending_requests();
  return *x.pending;
}

pending_requests::~pending_requests() {
  timer_.cancel();
  for (slot& s : slots) {
    if (s.handler != nullptr) s.handler->destroy();
  }
}

void pending_requests::add(std::uint64_t id, response_handler* handler, actor_cell& owner) {
  insert(id, handler);
  if (handler->deadline < armed_for_) arm(owner, handler->deadline);
}

void pending_requests::arm(actor_cell& owner, std::int64_t deadline) {
  timer_.cancel();  // if it fires anyway, its message carries an old arm_seq: see expire()
  armed_for_ = deadline;
  auto* node = mem::make<request_timer>(owner.system().table(), owner.id(), ++arm_seq_);
  timer_ = owner.system().timers().schedule_cancellable(
      node, timers::timer_service::clock::time_point(std::chrono::nanoseconds(deadline)));
}

void pending_requests::expire(std::uint64_t arm_seq, actor_cell& owner) {
  if (arm_seq == arm_seq_) {  // the armed timer fired: nothing is armed now
    armed_for_ = never;
    timer_ = timers::timer_handle();
  }
  const std::int64_t now = now_ns();
  std::vector<std::uint64_t> expired;  // collected first: a continuation may add requests
  for (const slot& s : slots) {
    if (s.handler != nullptr && s.handler->deadline <= now) expired.push_back(s.id);
  }
  for (std::uint64_t id : expired)
    fail(id, error(errc::request_timeout, "no response within the timeout"));
  std::int64_t next = never;
  for (const slot& s : slots) {
    if (s.handler != nullptr) next = std::min(next, s.handler->deadline);
  }
  if (next < armed_for_) arm(owner, next);
}

void pending_requests::insert(std::uint64_t id, response_handler* handler) {
  if (2 * (used + 1) > slots.size()) grow();
  const std::size_t mask = slots.size() - 1;
  for (std::size_t i = mix(id) & mask;; i = (i + 1) & mask) {
    if (slots[i].handler == nullptr) {
      slots[i] = {id, handler};
      ++used;
      if (handler->exclusive) ++exclusive_waits;
      return;
    }
  }
}

response_handler* pending_requests::take(std::uint64_t id) noexcept {
  const std::size_t mask = slots.size() - 1;
  std::size_t i = mix(id) & mask;
  for (; slots[i].handler != nullptr; i = (i + 1) & mask) {
    if (slots[i].id == id) break;
  }
  response_handler* found = slots[i].handler;
  if (found == nullptr) return nullptr;
  slots[i] = {};
  --used;
  if (found->exclusive) --exclusive_waits;
  // Backward-shift deletion keeps probe chains unbroken without tombstones.
  for (std::size_t j = (i + 1) & mask; slots[j].handler != nullptr; j = (j + 1) & mask) {
    const std::size_t home = mix(slots[j].id) & mask;
    const bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      slots[i] = slots[j];
      slots[j] = {};
      i = j;
    }
  }
  return found;
}

void pending_requests::grow() {
  std::vector<slot> old(slots.size() * 2);
  old.swap(slots);
  used = 0;
  const std::size_t waits = exclusive_waits;
  for (const slot& s : old) {
    if (s.handler != nullptr) insert(s.id, s.handler);
  }
  exclusive_waits = waits;
}

namespace {
/// Frees a handler taken out of the table once its continuation has run (or thrown).
struct handler_deleter {
  void operator()(response_handler* h) const noexcept { h->destroy(); }
};
using owned_handler = std::unique_ptr<response_handler, handler_deleter>;
}  // namespace

void pending_requests::complete(envelope& response) {
  owned_handler h(take(response.request_id));
  if (h == nullptr) return;  // the timeout won
  h->on_response(response);
}

void pending_requests::fail(std::uint64_t id, error err) {
  owned_handler h(take(id));
  if (h == nullptr) return;  // the response won
  h->on_error(std::move(err));
}

}  // namespace jaegis::detail
