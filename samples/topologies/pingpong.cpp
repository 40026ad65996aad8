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

#include "pingpong.hpp"

#include <cstdint>
#include <vector>

#include "jaegis/samples/remote_mode.hpp"

namespace jaegis::samples {

namespace {

using namespace pingpong;

outcome run(actor_system& system, const topology_params& params, progress& meter) {
  const std::uint64_t pair_count = params.agents / 2;
  worker_histograms latency(system.executor());
  shared state{&params, &meter, &latency, {}, std::vector<pair_counts>(pair_count)};
  meter.set_total(params.messages);

  // The pingers stay referenced from here until they quit: an actor nobody references stops as
  // unreachable, and the ponger's reply() finds its sender only while it is referenced.
  std::vector<ref<pinger>> pingers;
  for (std::uint64_t i = 0; i < pair_count; ++i) {
    pingers.push_back(system.spawn<pinger>(
        &state, &state.pairs[i], system.spawn<ponger>(&state.pairs[i]), rounds_of(params, i)));
  }
  state.start = clock_type::now();
  for (const ref<pinger>& p : pingers)
    p.send(serve{});
  system.await_all_actors_done();
  pingers.clear();
  return conclude(state, params, latency, clock_type::now() - state.start);
}

}  // namespace

extern const remote_mode pingpong_remote;  // pingpong_remote.cpp
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
    .remote = &pingpong_remote,
};

}  // namespace jaegis::samples
