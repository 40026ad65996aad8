#include "jaegis/framework/request.hpp"

#include <memory>

#include "jaegis/framework/actor_system.hpp"

namespace jaegis::detail {
namespace {

/// A request's timeout: holds a reference to the requester until it fires or is cancelled.
struct request_timer final : timers::timer_node {
  request_timer(actor_cell& requester, std::uint64_t id) noexcept
      : timer_node(&fire, &release), requester(&requester), request_id(id) {
    requester.retain();
  }
  static void fire(timers::timer_node* node) noexcept {
    auto* self = static_cast<request_timer*>(node);
    envelope* e = make_envelope<request_timeout_msg>(request_timeout_msg{self->request_id});
    e->flags = system_message;
    self->requester->enqueue(e);
  }
  static void release(timers::timer_node* node) noexcept {
    auto* self = static_cast<request_timer*>(node);
    actor_cell* requester = self->requester;
    mem::destroy(self);
    requester->release();
  }
  actor_cell* requester;
  std::uint64_t request_id;
};

std::size_t mix(std::uint64_t id) noexcept {
  // Request ids are sequential per actor; a multiplicative hash spreads them over the table.
  return static_cast<std::size_t>(id * 0x9e3779b97f4a7c15ull >> 32);
}

}  // namespace

timers::timer_handle arm_request_timeout(actor_cell& requester, std::uint64_t request_id,
                                         std::chrono::nanoseconds timeout) {
  auto* node = mem::make<request_timer>(requester, request_id);
  return requester.system().timers().schedule_cancellable(
      node, timers::timer_service::clock::now() + timeout);
}

pending_requests& pending_of(actor_cell& cell) {
  actor_extras& x = cell.extras();
  if (x.pending == nullptr) x.pending = new pending_requests();
  return *x.pending;
}

pending_requests::~pending_requests() {
  for (slot& s : slots) {
    if (s.handler != nullptr) {
      s.handler->timeout.cancel();
      s.handler->destroy();
    }
  }
}

void pending_requests::add(std::uint64_t id, response_handler* handler) {
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
    if (s.handler != nullptr) add(s.id, s.handler);
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
  h->timeout.cancel();
  h->on_response(response);
}

void pending_requests::fail(std::uint64_t id, error err) {
  owned_handler h(take(id));
  if (h == nullptr) return;  // the response won
  h->timeout.reset();
  h->on_error(std::move(err));
}

}  // namespace jaegis::detail
