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
  behavior_holder* behavior = nullptr;       ///< handlers installed with become()
  envelope* adopted = nullptr;               ///< the current envelope, once a coroutine owns it
  envelope* forwarded = nullptr;             ///< the current envelope, once forward() claimed it
  actor_cell* forward_target = nullptr;      ///< counted until the envelope is handed over
  envelope_fifo held;                        ///< user messages held back by an exclusive request
  sched::executor* detached_home = nullptr;  ///< a detached actor's own executor
  std::uint64_t request_ids = 0;
  exit_reason reason{errc::normal};  ///< why the actor stops (set by quit or termination)
  bool trap_exit = false;
  std::uint64_t unhandled = 0;
};

/// The control block of an actor: the runnable the scheduler runs, its mailbox, its id (its
/// reference count lives in the actor table), and the user's actor object, which lives in the
/// same pool block right after it. 80 bytes: an idle actor with an empty object costs 96 bytes of
/// pool block and a 16-byte table slot (bench/RESULTS.md measures it).
///
/// Life cycle:
///   1. spawn: one block [cell | object], a slot in the actor table with a count of one (the ref
///      spawn returns), and the first run scheduled (it runs on_start before any message).
///   2. runs: urgent (system) messages first, then up to `throughput` ordinary messages straight
///      from the mailbox; requeue if the budget ran out, else mark the mailbox idle.
///   3. termination (quit, an exception, an exit signal, shutdown): on_stop, down messages to
///      monitors, exit messages to links, the user object destroyed in place (releasing the refs
///      it held). The cell stays while references exist, answering requests with actor_down and
///      dropping other messages.
///   4. the last reference dropped: the actor is unreachable and idle for good (a queued or
///      running run holds a reference of its own: schedule() takes it, going idle drops it), so
///      whoever dropped it frees the actor, on its own thread. An actor that had not terminated
///      stops with reason `unreachable` first. A handler may take new references to its own actor
///      (self(), a request's reply-to) at any time: its run's reference keeps the count above
///      zero meanwhile, so a count never comes back from zero.
class actor_cell final : public sched::runnable {
 public:
  actor_cell(actor_system& system, std::size_t block_size) noexcept
      : system_(&system), block_size_(static_cast<std::uint32_t>(block_size)) {}
  ~actor_cell();

  actor_id id() const noexcept { return id_; }
  actor_system& system() const noexcept { return *system_; }
  /// Any thread: whether the actor has stopped (its cell may still be referenced).
  bool terminated() const noexcept {
    // acquire: pairs with terminate()'s release, so a reader that sees the flag also sees the
    // actor's final state (its exit reason).
    return (shared_flags_.load(std::memory_order_acquire) & shared_terminated) != 0;
  }
  type_id_t actor_type() const noexcept { return actor_type_; }
  void mark_named() noexcept {
    // relaxed: read by the actor itself at termination; a racing put() is cleaned up lazily by
    // registry lookups (see registry.hpp).
    shared_flags_.fetch_or(shared_named, std::memory_order_relaxed);
  }

  /// Takes a reference. The caller holds one already, or is this actor's own run (a handler may
  /// take a new reference to its own actor even after the last outside one is gone).
  void retain() noexcept;
  std::uint32_t references() const noexcept;
  void release() noexcept;

  /// Any thread: takes ownership of `e` and schedules the actor if it was idle. System messages
  /// take the urgent lane, everything else the ordinary FIFO.
  void enqueue(envelope* e) noexcept {
    const bool was_idle = e->has(system_message) ? mailbox_.push_urgent(e) : mailbox_.push(e);
    if (was_idle) schedule();
  }

  sched::run_result run() noexcept override;

  // Used by the actor base class, on the actor's own thread.
  actor_base* object() const noexcept;
  actor_extras& extras();
  /// The message being handled on this thread, if any.
  static envelope* current() noexcept;
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
    envelope* e = current();
    extras().adopted = e;
    return e;
  }
  /// True if `e` was handed back (the handler is still running and will free it).
  bool give_back_current(envelope* e) noexcept {
    if (current() != e || extras_ == nullptr || extras_->adopted != e) return false;
    extras_->adopted = nullptr;
    return true;
  }
  /// Moves the current envelope to `to` (see actor_base::forward).
  void forward_current(actor_cell* to);

  /// The actor running on this thread, or nullptr.
  static actor_cell* running() noexcept;

  /// Responses go to the object's dispatch() like any other message instead of completing this
  /// actor's own requests: a remote proxy relays them to the node that asked. Call before the
  /// actor runs (from its constructor).
  void relay_responses() noexcept { set(relays_responses); }

 private:
  friend class jaegis::actor_system;
  template <class M>
  friend bool send_system(actor_table&, actor_id, actor_id, M&&);

  // Owner-thread flags.
  static constexpr std::uint8_t started = 1;
  static constexpr std::uint8_t stopping = 2;  ///< quit() was called during the current handler
  static constexpr std::uint8_t terminated_here = 4;  ///< the owner's copy of shared_terminated
  static constexpr std::uint8_t detached = 8;
  static constexpr std::uint8_t has_object = 16;
  static constexpr std::uint8_t relays_responses = 32;
  // Flags other threads read.
  static constexpr std::uint8_t shared_terminated = 1;
  static constexpr std::uint8_t shared_named = 2;

  bool is(std::uint8_t flag) const noexcept { return (flags_ & flag) != 0; }
  void set(std::uint8_t flag) noexcept { flags_ = static_cast<std::uint8_t>(flags_ | flag); }
  bool is_terminated() const noexcept { return is(terminated_here); }
  bool holding_user_messages() const noexcept;
  actor_slot& slot() const noexcept;
  void schedule() noexcept;
  void start() noexcept;
  void handle_urgent() noexcept;
  envelope* next_ordinary() noexcept;
  void handle_ordinary(envelope* e) noexcept;
  void handle_system(envelope* e) noexcept;
  void handle_response(envelope* e) noexcept;
  void invoke(envelope* e) noexcept;
  void terminate(exit_reason reason) noexcept;
  void tell_watchers_and_links(actor_extras& x) noexcept;
  exit_reason stop_reason() const;
  void drop(envelope* e) noexcept;
  void drop_all() noexcept;
  void destroy() noexcept;

  mailbox mailbox_;
  actor_system* system_;
  actor_extras* extras_ = nullptr;
  actor_id id_ = 0;
  std::uint32_t block_size_;
  type_id_t actor_type_ = 0;
  std::uint16_t object_offset_ = 0;  ///< of the actor_base in the object, after the cell
  std::atomic<std::uint8_t> shared_flags_{0};
  std::uint8_t flags_ = 0;
};

static_assert(sizeof(actor_cell) <= 80, "an idle actor must stay small (see bench/RESULTS.md)");

/// Where the actor object starts in a cell's block.
inline constexpr std::size_t cell_space = (sizeof(actor_cell) + alignof(std::max_align_t) - 1) /
                                          alignof(std::max_align_t) * alignof(std::max_align_t);

}  // namespace detail
}  // namespace jaegis
