#include "jaegis/framework/mailbox.hpp"

namespace jaegis::detail {

bool mailbox::push_urgent(envelope* e) noexcept {
  // relaxed: the CAS below validates the value and publishes the link.
  envelope* top = urgent_.load(std::memory_order_relaxed);
  do {
    e->next.store(top, std::memory_order_relaxed);  // relaxed: published by the release CAS
    // release: take_urgent()'s acquire exchange sees the envelope's contents and link.
  } while (
      !urgent_.compare_exchange_weak(top, e, std::memory_order_release, std::memory_order_relaxed));
  // Now make sure the consumer looks: wake an idle actor, or keep a running one from going idle.
  // relaxed: the CAS validates it.
  std::uintptr_t head = head_.load(std::memory_order_relaxed);
  for (;;) {
    const bool idle = (head & idle_bit) != 0;
    const std::uintptr_t desired = (head & ~idle_bit) | urgent_bit;
    // acq_rel: ordered after our push above (so a consumer whose idle CAS fails because of the
    // bit finds the message), and, when we clear the idle bit, acquire pairs with the consumer's
    // release CAS in try_mark_idle as a push's exchange does.
    if (head_.compare_exchange_weak(head, desired, std::memory_order_acq_rel,
                                    std::memory_order_relaxed)) {
      return idle;
    }
  }
}

envelope* mailbox::take_urgent() noexcept {
  // relaxed: an early-out. An urgent push sets the head's bit after pushing, so a message this
  // misses has a bit that makes try_mark_idle fail, and the consumer comes back; a bit left over
  // from a message taken already is cleared here on that visit.
  if (urgent_.load(std::memory_order_relaxed) == nullptr &&
      (head_.load(std::memory_order_relaxed) & urgent_bit) == 0) {
    return nullptr;
  }
  // Clear the bit before taking: a push that lands after the exchange sets it again.
  // acq_rel: a push whose bit this clears happened before us (acquire), so the exchange below
  // sees its message.
  head_.fetch_and(~urgent_bit, std::memory_order_acq_rel);
  // acquire: pairs with push_urgent()'s release CAS.
  envelope* newest = urgent_.exchange(nullptr, std::memory_order_acquire);
  envelope* oldest = nullptr;
  while (newest != nullptr) {  // reverse into arrival order
    // relaxed: the exchange above made the links visible; the list is ours now.
    auto* older = static_cast<envelope*>(newest->next.load(std::memory_order_relaxed));
    newest->next.store(oldest, std::memory_order_relaxed);  // relaxed: private list
    oldest = newest;
    newest = older;
  }
  return oldest;
}

envelope* mailbox::pop_last(mailbox_node* tail) noexcept {
  // acquire: if it is our tail, every push before it has linked.
  if (tail != untag(head_.load(std::memory_order_acquire))) return nullptr;  // push in flight
  // Re-insert the stub behind the last message so that the message can be detached. We are
  // running, so the head carries no idle bit; an urgent bit it carries must survive.
  if ((link(&stub_) & urgent_bit) != 0) {
    // acq_rel: ordered with push_urgent()'s CAS and take_urgent()'s clear; the bit only steers
    // the consumer's next try_mark_idle.
    head_.fetch_or(urgent_bit, std::memory_order_acq_rel);
  }
  // acquire: pairs with link()'s release store.
  mailbox_node* next = tail->next.load(std::memory_order_acquire);
  if (next == nullptr) return nullptr;
  tail_ = next;
  return static_cast<envelope*>(tail);
}

}  // namespace jaegis::detail
