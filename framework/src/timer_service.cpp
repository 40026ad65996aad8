#include "jaegis/framework/timer_service.hpp"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <ctime>
#include <limits>

namespace jaegis::timers {

static_assert(sizeof(timer_node) == 64, "a timer node is meant to fill exactly one cache line");
static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
                  sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "the futex sleeps on the atomic's own 32 bits");

namespace {

using std::chrono::nanoseconds;

std::int64_t steady_ns(timer_service::clock::time_point t) noexcept {
  return std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) noexcept {
  const std::uint64_t sum = a + b;
  return sum < a ? std::numeric_limits<std::uint64_t>::max() : sum;
}

std::uint32_t* futex_word(std::atomic<std::uint32_t>& word) noexcept {
  return reinterpret_cast<std::uint32_t*>(&word);
}

/// Sleeps while `word` holds `expected`, until `deadline` (absolute CLOCK_MONOTONIC) if non-null.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                const timespec* deadline) noexcept {
  // FUTEX_WAIT_BITSET takes an absolute timeout on CLOCK_MONOTONIC, which is the clock behind
  // std::chrono::steady_clock on Linux; an early return (signal, EAGAIN) just runs another round.
  syscall(SYS_futex, futex_word(word), FUTEX_WAIT_BITSET_PRIVATE, expected, deadline, nullptr,
          FUTEX_BITSET_MATCH_ANY);
}

void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept {
  syscall(SYS_futex, futex_word(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

// --- timer_node and timer_handle -----------------------------------------------------------------

void timer_node::unref() noexcept {
  // acq_rel: the release half orders this holder's last use of the node before its drop; the
  // acquire half, on the final drop, makes every holder's uses visible to release_(), which may
  // free the node.
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1 && release_ != nullptr) release_(this);
}

timer_handle& timer_handle::operator=(timer_handle&& other) noexcept {
  if (this != &other) {
    reset();
    service_ = other.service_;
    node_ = other.node_;
    other.node_ = nullptr;
  }
  return *this;
}

bool timer_handle::cancel() noexcept {
  return node_ != nullptr && service_->cancel(node_);
}

void timer_handle::reset() noexcept {
  if (node_ == nullptr) return;
  timer_node* n = node_;
  node_ = nullptr;
  n->unref();
}

// --- any thread ----------------------------------------------------------------------------------

timer_service::timer_service(config cfg)
    : tick_ns_(std::max<std::int64_t>(1, cfg.tick.count())),
      epoch_ns_(steady_ns(clock::now())),
      cancel_batch_(std::max<std::uint32_t>(1, cfg.cancel_batch)),
      wheel_(0) {
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "jaegis-timer");
}

timer_service::~timer_service() {
  stop();
}

timer_node* timer_service::closed() noexcept {
  // A pointer no node can have (misaligned), never dereferenced: the inbox's "stopped" mark.
  return reinterpret_cast<timer_node*>(std::uintptr_t{1});
}

std::uint64_t timer_service::tick_of(clock::time_point t) const noexcept {
  const std::int64_t ns = steady_ns(t);
  if (ns <= epoch_ns_) return 0;
  // Unsigned subtraction is exact here: the true difference is positive and below 2^64.
  const std::uint64_t delta =
      static_cast<std::uint64_t>(ns) - static_cast<std::uint64_t>(epoch_ns_);
  const auto tick = static_cast<std::uint64_t>(tick_ns_);
  return delta / tick + (delta % tick != 0 ? 1 : 0);  // round up: never fire early
}

std::uint64_t timer_service::now_tick() const noexcept {
  const std::int64_t ns = steady_ns(clock::now()) - epoch_ns_;
  return ns <= 0 ? 0 : static_cast<std::uint64_t>(ns) / static_cast<std::uint64_t>(tick_ns_);
}

bool timer_service::schedule(timer_node* n, clock::time_point due, nanoseconds period) noexcept {
  return enqueue(n, due, period, 1);
}

timer_handle timer_service::schedule_cancellable(timer_node* n, clock::time_point due,
                                                 nanoseconds period) noexcept {
  enqueue(n, due, period, 2);
  return timer_handle(this, n);
}

bool timer_service::enqueue(timer_node* n, clock::time_point due, nanoseconds period,
                            std::uint32_t refs) noexcept {
  // relaxed: a precondition check on a node the caller still owns alone.
  assert(n->state_.load(std::memory_order_relaxed) == timer_node::idle &&
         "schedule() needs a fresh node");
  const std::uint64_t deadline = tick_of(due);
  n->set_deadline(deadline);
  if (period.count() > 0) {
    const auto p = static_cast<std::uint64_t>(period.count());
    const auto tick = static_cast<std::uint64_t>(tick_ns_);
    n->period_ = p / tick + (p % tick != 0 ? 1 : 0);
  } else {
    n->period_ = 0;
  }
  // relaxed: the node is not shared yet; push()'s release publishes both stores with it.
  n->refs_.store(refs, std::memory_order_relaxed);
  n->state_.store(timer_node::queued, std::memory_order_relaxed);
  if (!push(n)) {
    // relaxed: the push failed, so the node is still ours alone (plus the caller's handle).
    n->state_.store(timer_node::cancelled, std::memory_order_relaxed);
    n->unref();
    return false;
  }
  maybe_wake(deadline);
  return true;
}

bool timer_service::push(timer_node* n) noexcept {
  // acquire: if this finds the inbox closed, shutdown()'s unlinking of the node (before it closed
  // the inbox with a release) is visible, and the caller may drop the last reference.
  timer_node* head = inbox_.load(std::memory_order_acquire);
  do {
    if (head == closed()) return false;
    n->inbox_next_ = head;
    // seq_cst on success: its release half publishes the node to take_inbox()'s acquire, and the
    // total order puts this push before maybe_wake()'s read of sleep_target_ (the Dekker pair
    // with sleep_until()). acquire on failure: as the load above.
  } while (
      !inbox_.compare_exchange_weak(head, n, std::memory_order_seq_cst, std::memory_order_acquire));
  return true;
}

void timer_service::maybe_wake(std::uint64_t deadline) noexcept {
  // seq_cst: the second half of the Dekker pair with sleep_until(). Either this load sees the
  // target the thread published before re-checking the inbox, or that re-check sees our push.
  std::uint64_t target = sleep_target_.load(std::memory_order_seq_cst);
  while (deadline < target) {  // awake (0) is below every deadline: never wake a running thread
    // relaxed: the CAS only elects the one caller that makes the syscall; wake() publishes.
    if (sleep_target_.compare_exchange_weak(target, awake, std::memory_order_relaxed,
                                            std::memory_order_relaxed)) {
      wake();
      return;
    }
  }
}

void timer_service::wake() noexcept {
  // release: pairs with sleep_until()'s acquire read of the key, so what preceded this wake-up
  // (a push, the stop flag) is visible to a thread that reads the new epoch.
  wake_epoch_.fetch_add(1, std::memory_order_release);
  futex_wake_one(wake_epoch_);
}

bool timer_service::cancel(timer_node* n) noexcept {
  // relaxed: only a first guess for the CAS below, which re-reads the state.
  std::uint32_t state = n->state_.load(std::memory_order_relaxed);
  for (;;) {
    switch (state) {
      case timer_node::firing:
        // The timer thread finds the node cancelled when fire() returns, and drops it then.
        // acquire: as below (nothing follows here, but one order for every cancelling CAS).
        if (n->state_.compare_exchange_weak(state, timer_node::cancelled, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
          return true;
        }
        break;
      case timer_node::queued:
        // Still in the inbox: the timer thread drops it when it takes the inbox.
        // acquire: as below.
        if (n->state_.compare_exchange_weak(state, timer_node::cancelled, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
          count_cancel();
          return true;
        }
        break;
      case timer_node::armed:
        // acquire: pairs with the timer thread's release when it armed the node (every later
        // state change is a read-modify-write, so it extends that release sequence): its last
        // read of inbox_next_ happens before push() below reuses the link.
        if (n->state_.compare_exchange_weak(state, timer_node::cancelled, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
          if (!push(n)) {
            // Stopped: shutdown() has unlinked the node already and left its reference to us.
            n->unref();
            return true;
          }
          count_cancel();
          return true;
        }
        break;
      default:  // idle, fired, cancelled
        return false;
    }
  }
}

void timer_service::count_cancel() noexcept {
  // relaxed: a counter that only paces wake-ups; the cancelled node is already in the inbox
  // (queued, or pushed back by cancel()), published by a push.
  if (pending_cancels_.fetch_add(1, std::memory_order_relaxed) + 1 == cancel_batch_) {
    maybe_wake(0);  // any sleeping target is above 0
  }
}

std::size_t timer_service::stop() noexcept {
  if (joined_) return 0;
  assert(std::this_thread::get_id() != thread_.get_id() && "stop() from a fire() callback");
  // seq_cst: ordered against sleep_until()'s seq_cst re-check of the flag; the release half of
  // wake()'s bump then carries it to a thread that reads the new epoch.
  stopping_.store(true, std::memory_order_seq_cst);
  wake();
  thread_.join();
  joined_ = true;
  return stopped_pending_;
}

timer_service::stats_t timer_service::stats() const noexcept {
  // relaxed: counters written by the timer thread alone; a snapshot, exact once it is stopped.
  return {stat_pending_.load(std::memory_order_relaxed),
          stat_fired_.load(std::memory_order_relaxed),
          stat_cancelled_.load(std::memory_order_relaxed),
          stat_wakeups_.load(std::memory_order_relaxed)};
}

// --- the timer thread ----------------------------------------------------------------------------

void timer_service::run() noexcept {
  for (;;) {
    take_inbox();
    advance_now_ = now_tick();
    wheel_.advance(advance_now_, [this](wheel_node* w) noexcept { on_expired(w); });
    publish_stats();
    // acquire: pairs with stop()'s store; a plain flag check, the sleep re-checks it seq_cst.
    if (stopping_.load(std::memory_order_acquire)) break;
    const std::uint64_t target = wheel_.next_deadline();
    if (target <= now_tick()) continue;  // overdue nodes, or the round itself took a tick
    sleep_until(target);
  }
  stopped_pending_ = shutdown();
  publish_stats();
}

void timer_service::take_inbox() noexcept {
  // relaxed: the count only paces cancel wake-ups; resetting it a few cancels early or late is
  // harmless, since this round takes whatever the inbox holds.
  pending_cancels_.store(0, std::memory_order_relaxed);
  // acquire: pairs with every push's release (each push is a read-modify-write, so the chain of
  // pushes is one release sequence): the fields of every node taken are visible.
  timer_node* lifo = inbox_.exchange(nullptr, std::memory_order_acquire);
  timer_node* fifo = nullptr;
  while (lifo != nullptr) {
    timer_node* next = lifo->inbox_next_;
    lifo->inbox_next_ = fifo;
    fifo = lifo;
    lifo = next;
  }
  while (fifo != nullptr) {
    timer_node* n = fifo;
    fifo = n->inbox_next_;  // read before arming: once armed, a cancel() may reuse the link
    std::uint32_t expected = timer_node::queued;
    // release: orders the read of inbox_next_ just above before a cancel() that sees `armed` and
    // pushes the node again. relaxed on failure: the node was cancelled, nothing to read.
    if (n->state_.compare_exchange_strong(expected, timer_node::armed, std::memory_order_release,
                                          std::memory_order_relaxed)) {
      wheel_.insert(n, n->deadline());
      continue;
    }
    // Cancelled: while queued (never in the wheel), or while armed (cancel() pushed it back).
    wheel_.cancel(n);  // a no-op unless it is still linked
    ++cancelled_;
    n->unref();
  }
}

void timer_service::on_expired(wheel_node* w) noexcept {
  auto* n = static_cast<timer_node*>(w);
  std::uint32_t expected = timer_node::armed;
  if (n->period_ == 0) {
    // relaxed: this CAS and cancel()'s decide the race by which one leaves `armed`; the winner
    // needs nothing from the loser (the node's contents came with the inbox's acquire).
    if (n->state_.compare_exchange_strong(expected, timer_node::fired, std::memory_order_relaxed)) {
      n->fire_(n);
      ++fired_;
      n->unref();
    }
    // else cancel() won while the node was armed and pushed it: take_inbox() drops it.
    return;
  }
  // relaxed: as above.
  if (!n->state_.compare_exchange_strong(expected, timer_node::firing, std::memory_order_relaxed)) {
    return;  // cancelled while armed: as above
  }
  n->fire_(n);
  ++fired_;
  // Fixed rate: due + k * period, the first such tick after the one being processed. Skipping
  // whole periods when late keeps one advance from firing the same timer back to back.
  const std::uint64_t period = n->period_;
  std::uint64_t next = saturating_add(n->deadline(), period);
  if (next <= advance_now_)
    next = saturating_add(advance_now_, period - (advance_now_ - next) % period);
  expected = timer_node::firing;
  // relaxed: a read-modify-write, so it extends the release sequence of the first arming, which
  // is what a later cancel() synchronizes with.
  if (n->state_.compare_exchange_strong(expected, timer_node::armed, std::memory_order_relaxed)) {
    wheel_.insert(n, next);
  } else {
    // cancel() saw `firing` and left the node to us.
    ++cancelled_;
    n->unref();
  }
}

void timer_service::sleep_until(std::uint64_t target) noexcept {
  // acquire: pairs with wake()'s release. Read before the target is published, so a wake-up that
  // misses the re-check below has changed the epoch and the futex refuses to sleep.
  const std::uint32_t key = wake_epoch_.load(std::memory_order_acquire);
  // seq_cst store then seq_cst loads: our half of the Dekker pair with push() + maybe_wake(), and
  // with stop()'s flag.
  sleep_target_.store(target, std::memory_order_seq_cst);
  if (inbox_.load(std::memory_order_seq_cst) != nullptr ||
      stopping_.load(std::memory_order_seq_cst)) {
    // relaxed: a hint to pushers only; the next sleep republishes with seq_cst.
    sleep_target_.store(awake, std::memory_order_relaxed);
    return;
  }
  timespec deadline{};
  const timespec* timeout = nullptr;  // no timer: sleep until a command arrives
  const auto tick = static_cast<std::uint64_t>(tick_ns_);
  const auto room =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() - epoch_ns_);
  if (target != timer_wheel::never && target <= room / tick) {
    // Beyond `room` the deadline lies past 2^63 ns of uptime (292 years): sleeping without a
    // timeout is then exact in practice.
    const std::uint64_t ns = static_cast<std::uint64_t>(epoch_ns_) + target * tick;
    constexpr std::uint64_t ns_per_s = 1'000'000'000;
    deadline.tv_sec = static_cast<time_t>(ns / ns_per_s);
    deadline.tv_nsec = static_cast<long>(ns % ns_per_s);
    timeout = &deadline;
  }
  futex_wait(wake_epoch_, key, timeout);
  // relaxed: a hint that spares pushers a needless wake-up; the next sleep republishes seq_cst.
  sleep_target_.store(awake, std::memory_order_relaxed);
  ++wakeups_;
}

std::size_t timer_service::shutdown() noexcept {
  std::size_t pending = 0;
  // Step 2 of the shutdown protocol: empty the wheel before closing the inbox, so that a cancel()
  // that finds the inbox closed knows its node is no longer linked.
  wheel_.clear([&](wheel_node* w) noexcept {
    auto* n = static_cast<timer_node*>(w);
    std::uint32_t expected = timer_node::armed;
    // relaxed: decides the race with cancel(); the loser does nothing.
    if (n->state_.compare_exchange_strong(expected, timer_node::cancelled,
                                          std::memory_order_relaxed)) {
      ++pending;
      ++cancelled_;
      n->unref();
    }
    // else cancel() won: it pushed the node (dropped below) or will find the inbox closed.
  });
  // Step 3. acq_rel: acquire as in take_inbox(); release so that a push() that finds the inbox
  // closed sees the unlinking above before it drops the last reference.
  timer_node* n = inbox_.exchange(closed(), std::memory_order_acq_rel);
  while (n != nullptr) {
    timer_node* next = n->inbox_next_;
    std::uint32_t expected = timer_node::queued;
    // relaxed: decides the race with cancel() on a queued node; either way it is ours to drop.
    if (n->state_.compare_exchange_strong(expected, timer_node::cancelled,
                                          std::memory_order_relaxed)) {
      ++pending;
    }
    wheel_.cancel(n);  // a no-op: the wheel is empty
    ++cancelled_;
    n->unref();
    n = next;
  }
  return pending;
}

void timer_service::publish_stats() noexcept {
  // relaxed: single-writer counters for stats(); nothing is published through them.
  stat_pending_.store(wheel_.size(), std::memory_order_relaxed);
  stat_fired_.store(fired_, std::memory_order_relaxed);
  stat_cancelled_.store(cancelled_, std::memory_order_relaxed);
  stat_wakeups_.store(wakeups_, std::memory_order_relaxed);
}

}  // namespace jaegis::timers
