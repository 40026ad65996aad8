#pragma once

#include <atomic>
#include <cstdint>

#include "jaegis/framework/envelope.hpp"

namespace jaegis::detail {

/// What try_mark_idle() found.
enum class idle_result : unsigned char {
  idle,  ///< both queues are empty and the actor idle: the next push schedules it
  busy,  ///< a message is there or on its way: keep running
};

/// An actor's mailbox: two intrusive queues and the actor's scheduling state, in 32 bytes.
///
///   - The message queue: a multi-producer single-consumer FIFO after Dmitry Vyukov's node-based
///     design. Push is one exchange and one store, wait-free. Every user message, response and
///     timeout goes here, in order.
///   - The urgent stack: a Treiber stack for the rare system messages (exit, kill, down, monitor
///     and link bookkeeping), which the actor takes as a whole and handles before its next batch
///     of ordinary messages, so a long backlog cannot hold a down or kill message back.
///
/// The actor's scheduling state lives in tag bits of the queue's head, the producers' end:
///   - idle: the actor is not queued or running. The push that swaps a tagged head out is the one,
///     and the only one, that schedules the actor: no second atomic, no lost wake-up, no double
///     scheduling. An urgent push clears the bit with a CAS and schedules likewise.
///   - urgent: an urgent message was pushed while the actor was queued or running. It makes the
///     consumer's going-idle CAS fail, so the consumer looks at the urgent stack again first.
///
/// A new mailbox is neither idle nor empty of work: spawn schedules the actor's first run itself.
/// (Lifetime is not the mailbox's business: a scheduled run holds a reference, actor_cell.hpp.)
///
/// Guarantees: messages from one producer arrive in the order it pushed them (per-sender FIFO,
/// within each of the two queues); push is wait-free, urgent push lock-free; pop may report
/// "empty" while a producer sits between its exchange and its store, and try_mark_idle then
/// reports busy, so the actor reschedules itself rather than lose the message.
class mailbox {
 public:
  mailbox() noexcept { head_.store(tag(&stub_, 0), std::memory_order_relaxed); }
  mailbox(const mailbox&) = delete;
  mailbox& operator=(const mailbox&) = delete;

  /// Any thread. True when the actor was idle: the caller must schedule it.
  bool push(mailbox_node* node) noexcept { return (link(node) & idle_bit) != 0; }

  /// Any thread: an urgent (system) message. True when the actor was idle: the caller must
  /// schedule it.
  bool push_urgent(envelope* e) noexcept;

  /// The consumer only: every urgent message pushed so far, oldest first (linked by `next`).
  envelope* take_urgent() noexcept;

  /// The consumer only. The oldest ordinary message, or nullptr if none can be taken now.
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
      // The next message was most likely written on another core: start fetching it now, while
      // this one is handled, instead of stalling on it in the next pop.
      __builtin_prefetch(next);
      return static_cast<envelope*>(tail);
    }
    return pop_last(tail);
  }

  /// The consumer only, after pop() returned nullptr and the urgent stack was taken.
  idle_result try_mark_idle() noexcept {
    if (tail_ != &stub_) return idle_result::busy;
    std::uintptr_t expected = tag(&stub_, 0);
    // acq_rel: release publishes this run's effects to the producer that sees the tag and
    // schedules the next run; acquire on failure: we then read what the racing push published.
    if (head_.compare_exchange_strong(expected, tag(&stub_, idle_bit), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      return idle_result::idle;
    }
    return idle_result::busy;
  }

  /// A snapshot; true while the actor is idle.
  bool idle() const noexcept {
    // relaxed: a diagnostic snapshot.
    return (head_.load(std::memory_order_relaxed) & idle_bit) != 0;
  }

 private:
  static constexpr std::uintptr_t idle_bit = 1;
  static constexpr std::uintptr_t urgent_bit = 2;
  static constexpr std::uintptr_t tag_bits = idle_bit | urgent_bit;
  static_assert(alignof(mailbox_node) >= 4, "two tag bits live in the node pointer");

  envelope* pop_last(mailbox_node* tail) noexcept;

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
    return reinterpret_cast<mailbox_node*>(value & ~tag_bits);
  }

  std::atomic<std::uintptr_t> head_;        ///< producers' end, with the tags
  std::atomic<envelope*> urgent_{nullptr};  ///< the urgent stack, newest first
  mailbox_node* tail_ = &stub_;             ///< consumer's end
  mailbox_node stub_;
};

}  // namespace jaegis::detail
