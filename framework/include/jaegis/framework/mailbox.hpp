#pragma once

#include <atomic>
#include <cstdint>

#include "jaegis/framework/envelope.hpp"

namespace jaegis::detail {

/// What try_mark_idle() found.
enum class idle_result : unsigned char {
  idle,      ///< the mailbox is empty and idle: the next push schedules the actor
  busy,      ///< a message is there or on its way: keep running
  orphaned,  ///< empty, and the last reference was dropped meanwhile (see clear_orphan)
};

/// An actor's mailbox: an intrusive multi-producer single-consumer queue after Dmitry Vyukov's
/// node-based design, with the actor's scheduling state folded into the producers' end.
///
/// Protocol:
///   - push (any thread holding a reference): one exchange of `head` and one store of the old
///     head's link. The old head carries a tag bit when the actor was idle; the push that sees it
///     is the one, and the only one, that schedules the actor. No second atomic, no lost
///     wake-up, no double scheduling.
///   - pop (the actor, while it runs): Vyukov's pop; the stub node lets the last message be
///     detached while producers keep pushing.
///   - try_mark_idle (the actor, when it found the mailbox empty): one CAS of `head` from the stub
///     to the tagged stub. It fails if a message raced in; the actor then keeps running.
///   - mark_orphaned (whoever drops the last reference): sets the orphan bit. If the mailbox was
///     idle (and not already orphaned), the caller frees the actor; otherwise the running actor
///     finds the bit in try_mark_idle. It then clears the bit (clear_orphan) and reads the
///     reference count: zero, it frees itself; not zero, it was resurrected while it ran (a handler
///     may take a new reference to its own actor: self(), a request's reply-to) and it carries on.
///     A release to zero racing that check sets the bit again, so the next try_mark_idle sees it;
///     one racing the idle CAS finds the mailbox idle and frees the actor. Exactly one frees.
///
/// Guarantees: messages from one producer arrive in the order it pushed them (per-sender FIFO);
/// push is wait-free; pop may report "empty" while a producer sits between its exchange and its
/// store, and try_mark_idle then reports busy, so the actor reschedules itself rather than lose
/// the message.
class mailbox {
 public:
  mailbox() noexcept { head_.store(tag(&stub_, idle_bit), std::memory_order_relaxed); }
  mailbox(const mailbox&) = delete;
  mailbox& operator=(const mailbox&) = delete;

  /// Any thread. True when the mailbox was idle: the caller must schedule its actor.
  bool push(mailbox_node* node) noexcept { return (link(node) & idle_bit) != 0; }

  /// The consumer only. The oldest message, or nullptr if none can be taken now.
  envelope* pop() noexcept {
    mailbox_node* tail = tail_;
    // acquire: pairs with link()'s release store.
    mailbox_node* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (next == nullptr) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load(std::memory_order_acquire);  // acquire: as above
    }
    if (next != nullptr) {
      tail_ = next;
      return static_cast<envelope*>(tail);
    }
    // acquire: if it is our tail, every push before it has linked.
    if (tail != untag(head_.load(std::memory_order_acquire))) return nullptr;  // push in flight
    // Re-insert the stub behind the last message so that the message can be detached. We are
    // running, so the head carries no idle bit; an orphan bit it carries must survive.
    if ((link(&stub_) & orphan_bit) != 0) {
      // acq_rel: as in mark_orphaned(); only we and no producer touch the head now.
      head_.fetch_or(orphan_bit, std::memory_order_acq_rel);
    }
    next = tail->next.load(std::memory_order_acquire);  // acquire: as above
    if (next == nullptr) return nullptr;
    tail_ = next;
    return static_cast<envelope*>(tail);
  }

  /// The consumer only, after pop() returned nullptr.
  idle_result try_mark_idle() noexcept {
    if (tail_ != &stub_) return idle_result::busy;
    std::uintptr_t expected = tag(&stub_, 0);
    // acq_rel: release publishes this run's effects to the producer that sees the tag and
    // schedules the next run; acquire (also on failure) lets an orphaned actor's consumer see
    // everything the last releaser wrote before it frees the actor.
    if (head_.compare_exchange_strong(expected, tag(&stub_, idle_bit), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      return idle_result::idle;
    }
    if (untag(expected) == &stub_ && (expected & orphan_bit) != 0) return idle_result::orphaned;
    return idle_result::busy;
  }

  /// Whoever dropped the last reference. True when the mailbox was idle: the caller frees the
  /// actor. False: the actor is queued or running and decides when it runs dry.
  bool mark_orphaned() noexcept {
    // acq_rel: the RMW is ordered with the consumer's CAS in try_mark_idle / clear_orphan (one of
    // the two sees the other), and acquire lets the caller that frees see the actor's last run.
    const std::uintptr_t previous = head_.fetch_or(orphan_bit, std::memory_order_acq_rel);
    return (previous & idle_bit) != 0 && (previous & orphan_bit) == 0;
  }

  /// The consumer only, after try_mark_idle() reported orphaned. Clears the bit; the caller then
  /// reads the reference count (see the protocol above). False if a message raced in: run on.
  bool clear_orphan() noexcept {
    std::uintptr_t expected = tag(&stub_, orphan_bit);
    // acq_rel: acquire pairs with the releaser's fetch_or, so the count read afterwards is at least
    // as new as the release that set the bit; release keeps the count read after this RMW.
    return head_.compare_exchange_strong(expected, tag(&stub_, 0), std::memory_order_acq_rel,
                                         std::memory_order_relaxed);
  }

  /// A snapshot; true while the actor is idle.
  bool idle() const noexcept {
    // relaxed: a diagnostic snapshot.
    return (head_.load(std::memory_order_relaxed) & idle_bit) != 0;
  }

 private:
  static constexpr std::uintptr_t idle_bit = 1;
  static constexpr std::uintptr_t orphan_bit = 2;
  static_assert(alignof(mailbox_node) >= 4, "two tag bits live in the node pointer");

  /// One exchange and one store; returns the previous head with its tags.
  std::uintptr_t link(mailbox_node* node) noexcept {
    // relaxed: published by the release store of the predecessor's link below.
    node->next.store(nullptr, std::memory_order_relaxed);
    // acq_rel: acquire pairs with the consumer's release CAS in try_mark_idle (so the actor's
    // state from its last run is visible to whoever schedules the next); release orders our
    // node's initialisation before later producers link behind it.
    const std::uintptr_t previous = head_.exchange(tag(node, 0), std::memory_order_acq_rel);
    // release: the consumer's acquire load of `next` sees the payload.
    untag(previous)->next.store(node, std::memory_order_release);
    return previous;
  }

  static std::uintptr_t tag(mailbox_node* node, std::uintptr_t bits) noexcept {
    return reinterpret_cast<std::uintptr_t>(node) | bits;
  }
  static mailbox_node* untag(std::uintptr_t value) noexcept {
    return reinterpret_cast<mailbox_node*>(value & ~(idle_bit | orphan_bit));
  }

  std::atomic<std::uintptr_t> head_;  ///< producers' end, with the idle and orphan tags
  mailbox_node* tail_ = &stub_;       ///< consumer's end
  mailbox_node stub_;
};

}  // namespace jaegis::detail
