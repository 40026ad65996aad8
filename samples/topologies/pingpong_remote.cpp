// pingpong across two processes (--node): the pongers live in the listening process, the pingers
// in the connecting one, and every ping and pong crosses the loopback connection.
//
// The connecting process asks the listening one for one ponger per pair ("pingpong", then
// "pingpong.<i>": remote_population.hpp), runs the same pingers as the one-process topology
// against remote refs to them, and, once every pinger has stopped, asks each ponger how many
// pings it answered. The invariant compares the two sides' counts: for every pair, the pongs the
// pinger received (here) equal the pings the ponger answered (there), and without a time limit
// they add up to --messages. Latency: one round trip over the connection, timed by the pinger.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "jaegis/samples/remote_mode.hpp"
#include "jaegis/samples/remote_population.hpp"
#include "pingpong.hpp"

JAEGIS_REMOTE_TYPE(jaegis::samples::pingpong::ping, "jaegis.samples.pingpong.ping")
JAEGIS_REMOTE_TYPE(jaegis::samples::pingpong::pong, "jaegis.samples.pingpong.pong")
JAEGIS_REMOTE_TYPE(jaegis::samples::pingpong::how_many_pings,
                   "jaegis.samples.pingpong.how_many_pings")
JAEGIS_REMOTE_TYPE(jaegis::samples::pingpong::ping_count, "jaegis.samples.pingpong.ping_count")

namespace jaegis::samples {

namespace {

using namespace pingpong;
using namespace std::chrono_literals;

constexpr std::string_view population_name = "pingpong";

ref<ponger> make_ponger(actor_system& system, std::uint32_t) {
  return system.spawn<ponger>(nullptr);
}

void serve_half(actor_system& system, remote_node& node, serve_session& session) {
  // pong is no message a ponger accepts, so publishing it does not register it: the reply to a
  // remote pinger needs it by hand (and the connecting side, to read it).
  node.add_type<pong>();
  remote::serve_population<ponger>(system, node, session, population_name, "pongers", make_ponger);
}

outcome drive_half(actor_system& system, remote_node& node, const node_info& peer,
                   const topology_params& params, progress& meter) {
  node.add_type<pong>();
  const std::uint64_t pair_count = params.agents / 2;
  const auto pongers = remote::open_population<ponger>(system, node, peer, population_name,
                                                       static_cast<std::uint32_t>(pair_count));

  worker_histograms latency(system.executor());
  countdown stopped(pair_count);
  shared state{&params, &meter, &latency, {}, std::vector<pair_counts>(pair_count), &stopped};
  meter.set_total(params.messages);

  std::vector<ref<pinger>> pingers;
  for (std::uint64_t i = 0; i < pair_count; ++i) {
    pingers.push_back(
        system.spawn<pinger>(&state, &state.pairs[i], pongers.members[i], rounds_of(params, i)));
  }
  state.start = clock_type::now();
  for (const ref<pinger>& p : pingers)
    p.send(serve{});
  // A ping is a plain message: if the listening process went away the pinger would wait for its
  // pong forever. So the wait watches the connection too, and stops the pingers if it is lost.
  while (!stopped.wait_for(100ms)) {
    if (!remote::connected(node, peer)) {
      for (const ref<pinger>& p : pingers)
        send_exit(p, error(errc::node_down, "the listening process went away"));
      stopped.wait();
      throw std::runtime_error("the listening process went away during the run");
    }
  }
  const auto elapsed = clock_type::now() - state.start;
  pingers.clear();

  // The other side's count, from each ponger itself.
  const auto counts = gather(system, pongers.members, how_many_pings{}, remote::call_timeout);
  if (counts.failures != 0) {
    std::string m = "asking the pongers for their counts failed: ";
    m += counts.first_failure.to_string();
    throw std::runtime_error(m);
  }
  for (std::uint64_t i = 0; i < pair_count; ++i)
    state.pairs[i].pings = counts.answers[i]->pings;
  remote::close_population(system, pongers);
  return conclude(state, params, latency, elapsed);
}

}  // namespace

extern const remote_mode pingpong_remote;
const remote_mode pingpong_remote{
    .served = "the pongers",
    .default_agents = 2,
    .default_messages = 20'000,
    .serve = serve_half,
    .drive = drive_half,
};

}  // namespace jaegis::samples
