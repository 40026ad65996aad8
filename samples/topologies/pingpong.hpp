#pragma once

// pingpong's agents and its check, shared by the one-process topology (pingpong.cpp) and the
// two-process one (pingpong_remote.cpp). See pingpong.cpp for what the topology does.

#include <cstdint>
#include <string>
#include <vector>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/countdown.hpp"
#include "jaegis/samples/topology.hpp"
#include "jaegis/samples/worker_histograms.hpp"

namespace jaegis::samples::pingpong {

struct ping {
  clock_type::time_point sent_at;
};
struct pong {
  clock_type::time_point sent_at;
};
struct serve {};
/// The question the connecting process asks each remote ponger at the end.
struct how_many_pings {};
struct ping_count {
  std::uint64_t pings = 0;
};

// One pair's counts, each written once: the pongs by the pinger when it stops, the pings by the
// ponger when it stops (one process) or from its answer to how_many_pings (two processes).
struct pair_counts {
  std::uint64_t pongs = 0;
  std::uint64_t pings = 0;
};

struct shared {
  const topology_params* params;
  progress* meter;
  worker_histograms* latency;
  clock_type::time_point start;
  std::vector<pair_counts> pairs;
  countdown* pingers_stopped = nullptr;  ///< two processes: counted down by each pinger's stop
};

// Progress is reported every this many round trips: one shared add per ~1 ms of work.
inline constexpr std::uint64_t progress_batch = 1024;

struct ponger : actor<ponger, ping, how_many_pings> {
  /// `c`: where to leave the count when it stops; nullptr in the listening process, where
  /// nobody reads it (the connecting side asks instead).
  explicit ponger(pair_counts* c) : counts(c) {}
  void on(ping& p) {
    ++pings;
    reply(pong{p.sent_at});  // to the sender: a ping is a plain message, not a request
  }
  ping_count on(how_many_pings&) { return {pings}; }
  void on_stop(const exit_reason&) override {
    if (counts != nullptr) counts->pings = pings;
  }
  pair_counts* counts;
  std::uint64_t pings = 0;
};

struct pinger : actor<pinger, serve, pong> {
  pinger(shared* s, pair_counts* c, ref<ponger> p, std::uint64_t rounds)
      : state(s), counts(c), peer(std::move(p)), rounds_left(rounds) {}

  void on(serve&) { next(); }

  void on(pong& p) {
    state->latency->record(static_cast<std::uint64_t>((clock_type::now() - p.sent_at).count()));
    ++pongs;
    --rounds_left;
    if (pongs % progress_batch == 0) {
      state->meter->add(progress_batch);
      if (state->params->time_is_up(state->start)) rounds_left = 0;
    }
    next();
  }

  void next() {
    if (rounds_left == 0) {
      state->meter->add(pongs % progress_batch);
      quit();  // drops the only ref to the ponger, which then stops too (one process)
      return;
    }
    peer.send(ping{clock_type::now()});
  }

  void on_stop(const exit_reason&) override {
    counts->pongs = pongs;
    if (state->pingers_stopped != nullptr) state->pingers_stopped->count_down();
  }

  shared* state;
  pair_counts* counts;
  ref<ponger> peer;
  std::uint64_t rounds_left;
  std::uint64_t pongs = 0;
};

/// Round trips for pair `i`: the first pairs take the remainder, so that the shares add up to
/// --messages.
inline std::uint64_t rounds_of(const topology_params& params, std::uint64_t i) {
  const std::uint64_t pair_count = params.agents / 2;
  return params.messages / pair_count + (i < params.messages % pair_count);
}

inline std::string validate(const topology_params& p) {
  if (p.agents % 2 != 0) return "--agents must be even: the actors play in pairs";
  if (p.messages < p.agents / 2) return "--messages must give every pair at least one round trip";
  return {};
}

/// The invariant and the report, once every pair's counts are in.
inline outcome conclude(const shared& state, const topology_params& params,
                        const worker_histograms& latency, clock_type::duration elapsed) {
  outcome o;
  o.elapsed = elapsed;
  std::uint64_t mismatched = 0;  // pairs whose pinger and ponger disagree
  for (const pair_counts& c : state.pairs) {
    o.completed += c.pongs;
    mismatched += c.pings != c.pongs;
  }
  o.messages = 2 * o.completed;
  o.stopped_early = params.time_limit.count() > 0 && o.completed < params.messages;
  o.latency = latency.merged();
  o.invariant_held = mismatched == 0 && (o.completed == params.messages || o.stopped_early);
  o.invariant = std::to_string(o.completed);
  o.invariant += " round trips over ";
  o.invariant += std::to_string(state.pairs.size());
  o.invariant += " pairs; pairs whose pings and pongs differ: ";
  o.invariant += std::to_string(mismatched);
  return o;
}

}  // namespace jaegis::samples::pingpong
