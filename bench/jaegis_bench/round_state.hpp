#pragma once

// What the actors of one round share with the main thread, identical on both sides: the
// workload's parameters, where actors leave their counts when they stop, and the finish line.
// `Handle` is the framework's actor reference (jaegis::actor_ref, caf::actor). Actors write here
// only when they stop or at the end of the workload (or, for pingpong and fanout, one latency
// sample slot per round trip or round, written by one actor), so the message path touches no
// shared line.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace jaegis::bench::vs {

struct pingpong_state {
  /// JAEGIS only: the pools' calls into the global allocator at the start and the end of the
  /// measured round trips (after the warm-up): the "no allocation per message" check.
  std::uint64_t alloc_calls_start = 0;
  std::uint64_t alloc_calls_end = 0;
  std::uint64_t warmup = 0;
  std::uint64_t round_trips = 0;
  std::vector<std::uint64_t> samples;  ///< sample_clock ticks per measured round trip
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::uint64_t out_of_order = 0;
  finish_line line;
};

struct mailbox_state {
  std::uint64_t expected = 0;
  std::uint64_t received = 0;
  std::uint64_t out_of_order = 0;
  finish_line line;
};

/// Messages a sender sends per run before it continues through a message to itself: big enough
/// that the self-message costs under 1 % of the chunk, small enough that the senders and the
/// receiver share the workers instead of one sender holding one for its whole quota.
inline constexpr std::uint32_t mailbox_chunk = 1000;

struct creation_state {
  int max_depth = 0;
  std::uint64_t nodes = 0;  ///< the size of the whole tree, as its nodes reported it
  finish_line line;
};

/// memory spawns its idle actors in batches, each started before the next is spawned, so that
/// the transient start messages reuse the same memory instead of adding a batch's worth each.
inline constexpr std::uint64_t memory_batch = 1000;

struct ring_state {
  std::uint64_t lap = 0;  ///< hops of one lap: the allocator count starts after the first
  /// JAEGIS only: the pools' calls into the global allocator after the first lap and at the end.
  std::uint64_t alloc_calls_start = 0;
  std::uint64_t alloc_calls_end = 0;
  std::vector<std::uint64_t> received;  ///< per actor, written when it stops
  finish_line line;
};

template <class Handle>
struct fanout_state {
  std::uint32_t rounds = 0;
  std::vector<Handle> workers;
  std::vector<std::uint64_t> round_ticks;  ///< sample_clock ticks from scatter to last answer
  std::vector<std::uint64_t> handled;      ///< per worker, written when it stops
  std::uint64_t stray = 0;                 ///< results of another round than the current one
  std::uint64_t start_ns = 0;
  finish_line line;
};

template <class Handle>
struct big_state {
  std::uint32_t pings = 0;  ///< each actor's quota
  std::vector<Handle> peers;
  std::vector<std::uint64_t> pings_received;  ///< per actor, written when it stops
  std::vector<std::uint64_t> pongs_received;
  std::atomic<std::uint32_t> finished{0};  ///< actors whose last pong came back
  finish_line line;
};

template <class Handle>
struct chameneos_state {
  std::uint64_t meetings = 0;
  std::vector<Handle> creatures;
  std::uint64_t sum = 0;  ///< meetings counted by the creatures: twice the mall's
  std::uint64_t bad_colours = 0;
  finish_line line;
};

/// One phase of loaded-latency: `requests` requests from the client to the server, either
/// unpaced (ticks_per_request 0: as fast as `window` outstanding requests allow) or paced (sent
/// at their intended times whatever is outstanding: a server that falls behind shows it as
/// latency and as an achieved rate below the offered one, never as a client that waits).
struct loaded_phase {
  std::uint64_t requests = 0;
  std::uint32_t window = 0;  ///< unpaced phase only
  double ticks_per_request = 0;
  std::vector<std::uint64_t> samples;  ///< ticks from the intended send to the response
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::uint64_t bad_responses = 0;
  std::string error;
  finish_line line;
};

/// Outstanding requests in the unpaced phase: enough to keep the server busy while responses
/// travel back, few enough that the client's bookkeeping stays in cache.
inline constexpr std::uint32_t saturation_window = 64;

/// The intended send time of request `i` of a paced phase that started at tick `t0`.
inline std::uint64_t intended_tick(std::uint64_t t0, std::uint64_t i, double ticks_per_request) {
  return t0 + static_cast<std::uint64_t>(static_cast<double>(i) * ticks_per_request);
}

/// Completed requests per second of a finished phase.
inline double achieved_rate(const loaded_phase& ph) {
  return static_cast<double>(ph.requests) * 1e9 / static_cast<double>(ph.end_ns - ph.start_ns);
}

/// loaded-latency, the same on both sides; `run(phase)` runs one phase with a fresh client
/// against the side's server.
///
/// The saturation rate is the highest paced rate the side sustains (completes at least 97 % of
/// the offered rate), searched downwards in steps of 15 % from the unpaced (pipelined) maximum.
/// The pipelined maximum itself is no saturation rate for paced traffic: with 64 requests
/// outstanding the server drains many per run, whereas paced requests arrive one by one and each
/// may find the server idle and have to schedule it, so half the pipelined maximum can already
/// be more than a side sustains, and its "latency" would only measure a growing backlog.
template <class Run>
figures measure_loaded_latency(const sizes& n, const char* who, Run&& run) {
  // A probe that completes this share of its offered rate kept up: the rest is the last
  // requests' round trips and scheduling noise, not a backlog.
  constexpr double sustained = 0.97;
  // 15 % steps: the saturation estimate errs low by less than that; 25 steps reach 2 % of the
  // pipelined maximum, far below what any side here sustains.
  constexpr double step = 0.85;
  constexpr int max_steps = 25;
  auto ticks_per_request = [](double rate) { return 1e9 / rate / sample_clock::ns_per_tick(); };

  loaded_phase pipelined;
  pipelined.requests = n.loaded_saturation_requests;
  pipelined.window = saturation_window;
  run(pipelined);
  const double pipelined_rate = achieved_rate(pipelined);

  double saturation = 0;
  double rate = pipelined_rate;
  for (int i = 0; i < max_steps && saturation == 0; ++i, rate *= step) {
    loaded_phase probe;
    probe.requests = n.loaded_probe_requests;
    probe.ticks_per_request = ticks_per_request(rate);
    run(probe);
    if (achieved_rate(probe) >= sustained * rate) saturation = rate;
  }
  require(saturation > 0, std::string(who) + ": no paced rate was sustained");

  loaded_phase paced;
  paced.requests = n.loaded_requests;
  paced.ticks_per_request = ticks_per_request(saturation / 2);
  run(paced);
  figures f = latency_figures(paced.samples, who, "rtt", "ns", 1.0, true);
  f.push_back({"saturation", "req/s", saturation});
  f.push_back({"pipelined", "req/s", pipelined_rate});
  f.push_back({"offered", "req/s", saturation / 2});
  f.push_back({"achieved", "req/s", achieved_rate(paced)});
  return f;
}

}  // namespace jaegis::bench::vs
