#pragma once

// jaegis-bench: the workloads both sides implement, their sizes, and what a round returns.
//
// Each workload exists twice, once on JAEGIS (jaegis_side.cpp) and once on CAF 0.17 (caf_*.cpp),
// with the same actors, the same messages (CAF: atoms and integers, its idiomatic form), the same
// traffic pattern and the same sizes. A round builds its own actor system with `workers` workers,
// runs the workload once, checks the workload's invariant (a count of messages, a sum carried up
// a tree, a per-sender order...) and tears the system down; only the work itself is timed. A
// violated invariant stops the program at once (status 4) with a message: a figure of a broken
// run is worthless, and a system with a lost message may not even shut down.
//
// This header knows nothing of either framework, so that main.cpp compiles without CAF.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "clock.hpp"
#include "harness.hpp"

namespace jaegis::bench::vs {

/// One measured figure of one round: "rate" 1.2e7 "msg/s". A metric that starts with "note:"
/// is not a figure but a remark for the table's notes (a count that may be 0, for instance).
struct figure {
  std::string metric;
  std::string unit;
  double value;
};
using figures = std::vector<figure>;

/// Unless `ok`, reports the broken invariant and ends the program with status 4. _Exit, not an
/// exception: unwinding would destroy an actor system whose actors may never stop (CAF waits for
/// every actor), and nothing measured in this process may be printed as a figure any more.
inline void require(bool ok, const std::string& what) {
  if (ok) return;
  std::fflush(stdout);
  std::fprintf(stderr, "jaegis-bench: INVARIANT VIOLATED: %s\n", what.c_str());
  std::fflush(stderr);
  std::_Exit(4);
}

/// Sizes of every workload. full_sizes() are the issue's; quick_sizes() keep every workload's
/// shape (the same actor counts where they matter) with far less work, for the CTest smoke run.
struct sizes {
  std::uint64_t pingpong_round_trips;
  std::uint64_t pingpong_warmup;
  std::uint64_t cross_round_trips;
  std::uint32_t mailbox_senders;
  std::uint32_t mailbox_per_sender;
  int creation_depth;  ///< the tree has 2^(depth+1) - 1 actors
  std::uint64_t memory_actors;
  std::uint32_t ring_actors;
  std::uint64_t ring_hops;
  std::uint32_t fanout_workers;
  std::uint32_t fanout_rounds;
  std::uint32_t big_actors;
  std::uint32_t big_pings;  ///< pings each actor sends
  std::uint32_t chameneos_creatures;
  std::uint64_t chameneos_meetings;
  std::uint64_t loaded_saturation_requests;  ///< requests of the unpaced phase
  std::uint64_t loaded_probe_requests;       ///< requests of each paced probe of the search
  std::uint64_t loaded_requests;             ///< requests of the measured (50 %) phase
  std::uint64_t remote_round_trips;          ///< remote-pingpong's measured round trips
  std::uint64_t remote_warmup;               ///< remote-pingpong's unmeasured ones first
  std::uint64_t remote_messages;             ///< remote-throughput's messages
};

inline sizes full_sizes() {
  sizes s{};
  s.pingpong_round_trips = 1'000'000;
  s.pingpong_warmup = 10'000;  // as the floor: both threads running, caches and pools warm
  // Every cross round trip sleeps and wakes a thread (see main.cpp): 10^5 of them take seconds.
  s.cross_round_trips = 100'000;
  s.mailbox_senders = 20;
  s.mailbox_per_sender = 500'000;
  s.creation_depth = 20;
  s.memory_actors = 1'000'000;
  s.ring_actors = 1000;
  s.ring_hops = 10'000'000;
  s.fanout_workers = 1000;
  s.fanout_rounds = 1000;
  s.big_actors = 1000;
  s.big_pings = 10'000;
  // Savina's chameneos default is 100 creatures; the issue fixes the meetings.
  s.chameneos_creatures = 100;
  s.chameneos_meetings = 1'000'000;
  // 2 * 10^5 samples: p99.9 rests on 200 of them.
  s.loaded_saturation_requests = 200'000;
  // Tens of milliseconds per probe: long enough that a 3 % backlog is thousands of requests.
  s.loaded_probe_requests = 20'000;
  s.loaded_requests = 200'000;
  // A loopback TCP round trip takes tens of us: 10^5 of them take seconds per side and round.
  s.remote_round_trips = 100'000;
  s.remote_warmup = 1000;  // connections set up, buffers and caches warm on both processes
  s.remote_messages = 1'000'000;
  return s;
}

inline sizes quick_sizes() {
  sizes s = full_sizes();
  s.pingpong_round_trips = 20'000;
  s.pingpong_warmup = 1000;
  s.cross_round_trips = 2000;
  s.mailbox_per_sender = 5000;
  s.creation_depth = 14;
  s.memory_actors = 20'000;
  s.ring_hops = 200'000;
  s.fanout_rounds = 20;
  s.big_pings = 100;
  s.chameneos_meetings = 20'000;
  s.loaded_saturation_requests = 5000;
  s.loaded_probe_requests = 2000;
  s.loaded_requests = 5000;
  s.remote_round_trips = 2000;
  s.remote_warmup = 200;
  s.remote_messages = 20'000;
#ifdef JAEGIS_SANITIZED
  // Sanitizer builds run everything several times slower; the smoke run only checks shape.
  s.pingpong_round_trips /= 10;
  s.cross_round_trips /= 10;
  s.mailbox_per_sender /= 10;
  s.creation_depth = 10;
  s.memory_actors /= 10;
  s.ring_hops /= 10;
  s.big_pings /= 10;
  s.chameneos_meetings /= 10;
  s.loaded_saturation_requests /= 10;
  s.loaded_probe_requests /= 10;
  s.loaded_requests /= 10;
  s.remote_round_trips /= 10;
  s.remote_messages /= 10;
#endif
  return s;
}

/// What one round of one side gets.
struct run_params {
  std::size_t workers;
  sizes n;
  /// loaded-latency: the cpu the client's thread pins itself to (-1: unpinned).
  int client_cpu = -1;
};

/// How the main thread waits for the end of a workload: asleep on a condition variable, which the
/// actor that sees the end signals once, after it took the end timestamp. A run that does not end
/// within `limit` lost a message or a wake-up: the program reports it and exits (status 3)
/// instead of hanging.
class finish_line {
 public:
  void finish() {
    // relaxed: the mutex below orders it before the waiter's read.
    end_ns_.store(now_ns(), std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    done_ = true;
    cv_.notify_one();
  }
  /// Blocks until finish(); returns the end timestamp (now_ns()).
  std::uint64_t wait(const char* what, std::chrono::seconds limit = std::chrono::seconds(300)) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, limit, [&] { return done_; })) {
      std::fprintf(stderr, "jaegis-bench: STALL in %s: no end after %lld s\n", what,
                   static_cast<long long>(limit.count()));
      std::fflush(stderr);
      std::_Exit(3);  // the frameworks' threads may be wedged; destructors would hang
    }
    return end_ns_.load(std::memory_order_relaxed);  // relaxed: ordered by the mutex
  }

 private:
  std::atomic<std::uint64_t> end_ns_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
};

/// A small, fast generator (xorshift64*): each actor of `big` draws its neighbours from its own,
/// seeded by its index, so both sides send exactly the same traffic.
class rng {
 public:
  explicit rng(std::uint64_t seed) : state_(seed * 0x9e3779b97f4a7c15ull + 1) {}
  std::uint64_t next() noexcept {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dull;
  }
  /// Uniform enough in [0, n) for n far below 2^32 (the bias is below 2^-32).
  std::uint32_t below(std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>((next() >> 32) * n >> 32);
  }

 private:
  std::uint64_t state_;
};

/// Savina's chameneos colours; faded is the colour of a creature that has stopped.
enum class colour : std::uint8_t { red, yellow, blue, faded };

/// Savina's complement rule: two creatures of one colour keep it; two of different colours both
/// take the third.
inline colour complement(colour a, colour b) noexcept {
  if (a == b || a == colour::faded || b == colour::faded) return a;
  const int third = 3 - static_cast<int>(a) - static_cast<int>(b);  // red + yellow + blue = 0+1+2
  return static_cast<colour>(third);
}

/// Latency figures of one round (prefix_p50, prefix_p99 and, if asked, prefix_p99.9) from
/// samples in sample_clock ticks, in `unit` (`ns_per_unit` ns each). Sorts `ticks`. A sample
/// over 50 ms (a stall: a lost wake-up, a preempted thread) is also printed on stderr with
/// `who`, because no percentile shows a single one.
figures latency_figures(std::vector<std::uint64_t>& ticks, const char* who, const char* prefix,
                        const char* unit, double ns_per_unit, bool with_p999);

// One round of each workload on each side. Each builds its system, runs, checks, tears down.
namespace jaegis_side {
figures pingpong(const run_params& p, bool cross);
/// JAEGIS only: the ping-pong across two actor systems of one worker each, the workers pinned to
/// `cpu_a` and `cpu_b` (-1: unpinned), so that every hop goes from one worker to the other
/// through the receiver's injection queue. CAF has no counterpart: its enqueue schedules the
/// receiver on the sender's execution unit, whichever system the receiver belongs to.
figures pingpong_two_workers(const run_params& p, int cpu_a, int cpu_b);
figures mailbox(const run_params& p);
figures creation(const run_params& p);
/// Bytes of RSS per idle actor; meant to run in a child process of its own (see main.cpp).
double memory_per_actor(std::size_t workers, std::uint64_t actors);
figures ring(const run_params& p);
figures fanout(const run_params& p);
figures big(const run_params& p);
figures chameneos(const run_params& p);
figures loaded_latency(const run_params& p);
}  // namespace jaegis_side

namespace caf_side {
figures pingpong(const run_params& p, bool cross);
figures mailbox(const run_params& p);
figures creation(const run_params& p);
double memory_per_actor(std::size_t workers, std::uint64_t actors);
figures ring(const run_params& p);
figures fanout(const run_params& p);
figures big(const run_params& p);
figures chameneos(const run_params& p);
figures loaded_latency(const run_params& p);
}  // namespace caf_side

/// Resident set size of this process in bytes (/proc/self/statm).
std::uint64_t resident_bytes();

}  // namespace jaegis::bench::vs
