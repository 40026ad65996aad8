#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "jaegis/framework/actor_table.hpp"
#include "jaegis/framework/envelope.hpp"
#include "jaegis/framework/error.hpp"
#include "jaegis/framework/mailbox.hpp"
#include "jaegis/schedulers/executor.hpp"
#include "jaegis/schedulers/runnable.hpp"

namespace jaegis {
class actor_system;
class actor_base;

namespace detail {

struct pending_requests;
class behavior_holder;

/// A FIFO list of envelopes private to the running actor (no atomics needed: one thread).
struct envelope_fifo {
  envelope* head = nullptr;
  envelope* tail = nullptr;

  bool empty() const noexcept { return head == nullptr; }
  void push(envelope* e) noexcept {
    // relaxed: consumer-private list; the mailbox already synchronised the envelope.
    e->next.store(nullptr, std::memory_order_relaxed);
    if (tail == nullptr) {
      head = e;
    } else {
      tail->next.store(e, std::memory_order_relaxed);  // relaxed: as above
    }
    tail = e;
  }
  envelope* pop() noexcept {
    envelope* e = head;
    if (e == nullptr) return nullptr;
    // relaxed: as above.
    head = static_cast<envelope*>(e->next.load(std::memory_order_relaxed));
    if (head == nullptr) tail = nullptr;
    return e;
  }
};

/// Rarely used per-actor state, allocated on first use so that an idle actor stays small.
struct actor_extras {
  std::vector<actor_id> watchers;  ///< who monitors us: they get a down_msg when we stop
  std::vector<actor_id> links;     ///< who we are linked with: they get an exit_msg
  pending_requests* pending = nullptr;
  behavior_holder* behavior = nullptr;   ///< handlers installed with become()
  envelope* adopted = nullptr;           ///< the current envelope, once a coroutine owns it
  envelope* forwarded = nullptr;         ///< the current envelope, once forward() claimed it
  actor_cell* forward_target = nullptr;  ///< counted until the envelope is handed over
  std::uint64_t request_ids = 0;
  exit_reason reason;
  bool trap_exit = false;
  std::uint64_t unhandled = 0;
};

/// The control block of an actor: the runnable the scheduler runs, its mailbox, its id and
/// reference count (in the actor table), and the user's actor object, which lives in the same
/// pool block right after it.
///
/// Life cycle:
///   1. spawn: one block [cell | object], a slot in the actor table with a count of one (the ref
///      spawn returns), and a start message that schedules the first run (on_start).
///   2. runs: drain the mailbox into a system and a user FIFO; system messages first, then up to
///      `throughput` user messages; requeue if more remain, else mark the mailbox idle.
///   3. termination (quit, an exception, an exit signal, shutdown): on_stop, down messages to
///      monitors, exit messages to links, the user object destroyed in place (releasing the refs
///      it held). The cell stays while references exist, answering requests with actor_down and
///      dropping other messages.
///   4. the last reference dropped: the mailbox is marked orphaned. If it was idle, the releasing
///      thread frees the actor. If it was queued or running, its run finds the mark when it tries
///      to go idle and reads the count: still zero, it frees itself; not zero, one of its handlers
///      took a new reference to it (self(), a request) and it lives on. One CAS on the mailbox
///      head decides, so exactly one thread frees it (mailbox.hpp). An actor that had not
///      terminated stops with reason `unreachable` first.
class actor_cell final : public sched::runnable {
 public:
  actor_cell(actor_system& system, sched::executor& home, std::size_t block_size) noexcept;
  ~actor_cell();

  actor_id id() const noexcept { return id_; }
  actor_system& system() const noexcept { return *system_; }
  /// Any thread: whether the actor has stopped (its cell may still be referenced).
  bool terminated() const noexcept {
    // acquire: pairs with terminate()'s release, so a reader that sees the flag also sees the
    // actor's final state (its exit reason).
    return terminated_flag_.load(std::memory_order_acquire);
  }
  type_id_t actor_type() const noexcept { return actor_type_; }
  void mark_named() noexcept {
    // relaxed: read by the actor itself at termination; a racing put() is cleaned up lazily by
    // registry lookups (see registry.hpp).
    named_.store(true, std::memory_order_relaxed);
  }

  /// Takes a reference. The caller holds one already, or is this actor's own run (a handler may
  /// take a new reference to its own actor even after the last outside one is gone).
  void retain() noexcept { actor_table::retain(*slot_); }
  std::uint32_t references() const noexcept {
    // seq_cst: read after clear_orphan()'s RMW; pairs with release()'s fetch_sub (mailbox.hpp).
    return static_cast<std::uint32_t>(slot_->state.load(std::memory_order_seq_cst) &
                                      actor_table::count_mask);
  }
  void release() noexcept;

  /// Any thread: takes ownership of `e` and schedules the actor if it was idle.
  void enqueue(envelope* e) noexcept {
    if (mailbox_.push(e)) home_->schedule(*this);
  }

  sched::run_result run() noexcept override;

  // Used by the actor base class, on the actor's own thread.
  actor_base* object() const noexcept { return object_; }
  actor_extras& extras();
  envelope* current() const noexcept { return current_; }
  std::uint64_t next_request_id() { return ++extras().request_ids; }
  /// The handlers installed with become(), if any.
  behavior_holder* behavior() const noexcept {
    return extras_ != nullptr ? extras_->behavior : nullptr;
  }
  behavior_holder& behavior_for_become();
  void quit(exit_reason reason) noexcept;
  /// A coroutine handler takes the current envelope over, so that the message it holds by reference
  /// outlives the handler's first suspension. It hands it back (give_back_current) if it finishes
  /// before the handler returns.
  envelope* adopt_current() {
    extras().adopted = current_;
    return current_;
  }
  /// True if `e` was handed back (the handler is still running and will free it).
  bool give_back_current(envelope* e) noexcept {
    if (current_ != e || extras_ == nullptr || extras_->adopted != e) return false;
    extras_->adopted = nullptr;
    return true;
  }
  /// Moves the current envelope to `to` (see actor_base::forward).
  void forward_current(actor_cell* to);

  /// The actor running on this thread, or nullptr.
  static actor_cell* running() noexcept;

 private:
  friend class jaegis::actor_system;
  template <class M>
  friend bool send_system(actor_table&, actor_id, actor_id, M&&);

  void drain_mailbox() noexcept;
  bool holding_user_messages() const noexcept;
  void handle_system(envelope* e) noexcept;
  void handle_user(envelope* e) noexcept;
  void handle_response(envelope* e) noexcept;
  void invoke(envelope* e) noexcept;
  void terminate(exit_reason reason) noexcept;
  void drop(envelope* e) noexcept;
  void drop_all() noexcept;
  void destroy() noexcept;

  mailbox mailbox_;
  envelope_fifo system_queue_;
  envelope_fifo user_queue_;
  actor_system* system_;
  sched::executor* home_;
  actor_slot* slot_ = nullptr;
  actor_id id_ = 0;
  actor_base* object_ = nullptr;  ///< destroyed through its virtual destructor
  actor_extras* extras_ = nullptr;
  envelope* current_ = nullptr;
  std::uint32_t block_size_;
  type_id_t actor_type_ = 0;
  std::atomic<bool> terminated_flag_{false};
  std::atomic<bool> named_{false};
  bool terminated_ = false;  ///< the actor thread's own copy of terminated_flag_
  bool started_ = false;
  bool stopping_ = false;  ///< quit() was called during the current handler
  bool detached_ = false;
};

}  // namespace detail
}  // namespace jaegis
