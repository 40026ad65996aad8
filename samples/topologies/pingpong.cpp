// pingpong: pairs of actors bounce a message back and forth; the latency of a round trip.
//
// A pinger sends `ping` to its ponger and the ponger answers with reply(pong): the smallest
// conversation two agents can have. Each pinger plays its share of the round trips, timing each
// one, then quits; its ponger, no longer referenced by anyone, stops with it.
//
//   --agents    actors, in pairs (default 2: one pair)
//   --messages  round trips in all, shared among the pairs (default 5,000,000)
//   --seconds   stop after this long: every pinger finishes the round trip it is in
//   invariant   every ping got exactly one pong: for each pair the pinger's pongs equal the
//               ponger's pings, and without a time limit they add up to --messages

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/topology.hpp"
#include "jaegis/samples/worker_histograms.hpp"

namespace jaegis::samples {

namespace {

struct ping {
  clock_type::time_point sent_at;
};
struct pong {
  clock_type::time_point sent_at;
};
struct serve {};

// One pair's counts, each written once, by its own actor, when it stops.
struct pair_counts {
  std::uint64_t pongs = 0;  // by the pinger
  std::uint64_t pings = 0;  // by the ponger, when it stops
};

struct shared {
  const topology_params* params;
  progress* meter;
  worker_histograms* latency;
  clock_type::time_point start;
  std::vector<pair_counts> pairs;
};

// Progress is reported every this many round trips: one shared add per ~1 ms of work.
constexpr std::uint64_t progress_batch = 1024;

struct ponger : actor<ponger, ping> {
  explicit ponger(pair_counts* c) : counts(c) {}
  void on(ping& p) {
    ++pings;
    reply(pong{p.sent_at});  // to the sender: a ping is a plain message, not a request
  }
  void on_stop(const exit_reason&) override { counts->pings = pings; }
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
      quit();  // drops the only ref to the ponger, which then stops too
      return;
    }
    peer.send(ping{clock_type::now()});
  }

  void on_stop(const exit_reason&) override { counts->pongs = pongs; }

  shared* state;
  pair_counts* counts;
  ref<ponger> peer;
  std::uint64_t rounds_left;
  std::uint64_t pongs = 0;
};

std::string validate(const topology_params& p) {
  if (p.agents % 2 != 0) return "--agents must be even: the actors play in pairs";
  if (p.messages < p.agents / 2) return "--messages must give every pair at least one round trip";
  return {};
}

outcome run(actor_system& system, const topology_params& params, progress& meter) {
  const std::uint64_t pair_count = params.agents / 2;
  worker_histograms latency(system.executor());
  shared state{&params, &meter, &latency, {}, std::vector<pair_counts>(pair_count)};
  meter.set_total(params.messages);

  // The pingers stay referenced from here until they quit: an actor nobody references stops as
  // unreachable, and the ponger's reply() finds its sender only while it is referenced.
  std::vector<ref<pinger>> pingers;
  for (std::uint64_t i = 0; i < pair_count; ++i) {
    // The first pairs take the remainder, so that the shares add up to --messages.
    const std::uint64_t rounds = params.messages / pair_count + (i < params.messages % pair_count);
    pingers.push_back(system.spawn<pinger>(&state, &state.pairs[i],
                                           system.spawn<ponger>(&state.pairs[i]), rounds));
  }
  state.start = clock_type::now();
  for (const ref<pinger>& p : pingers)
    p.send(serve{});
  system.await_all_actors_done();
  pingers.clear();

  outcome o;
  o.elapsed = clock_type::now() - state.start;
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
  o.invariant += std::to_string(pair_count);
  o.invariant += " pairs; pairs whose pings and pongs differ: ";
  o.invariant += std::to_string(mismatched);
  return o;
}

}  // namespace

extern const topology pingpong_topology;
const topology pingpong_topology{
    .name = "pingpong",
    .summary = "pairs of actors bounce a message: round-trip latency",
    .unit = "round trips",
    .latency_of = "one round trip, ping sent to pong received",
    .agents_help = "actors, in pairs",
    .default_agents = 2,
    .messages_help = "round trips in all",
    .default_messages = 5'000'000,
    .time_limited = true,
    .validate = validate,
    .run = run,
};

}  // namespace jaegis::samples
