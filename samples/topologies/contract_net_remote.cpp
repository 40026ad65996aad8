// contract-net across two processes (--node): the bidding agents live in the listening process,
// the manager in the connecting one, so every call for proposals, proposal, rejection, award and
// completion report crosses the loopback connection.
//
// The connecting process asks the listening one for the agents ("contract-net", then
// "contract-net.<i>": remote_population.hpp) and runs the same manager as the one-process
// topology against remote refs to them. Once the manager has finished, it collects each agent's
// own log (the proposals it made, the tasks it completed) with a request, retires the agents,
// and checks the same invariant as the one-process topology: the manager's counts (here) against
// the agents' logs (there), task by task. Latency: a task's announcement to its completion report,
// both at the manager.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "contract_net.hpp"
#include "jaegis/samples/remote_mode.hpp"
#include "jaegis/samples/remote_population.hpp"

namespace cn = jaegis::samples::contract_net;
JAEGIS_REMOTE_TYPE(cn::call_for_proposals, "jaegis.samples.contract_net.call_for_proposals")
JAEGIS_REMOTE_TYPE(cn::proposal, "jaegis.samples.contract_net.proposal")
JAEGIS_REMOTE_TYPE(cn::reject_proposal, "jaegis.samples.contract_net.reject_proposal")
JAEGIS_REMOTE_TYPE(cn::award, "jaegis.samples.contract_net.award")
JAEGIS_REMOTE_TYPE(cn::task_done, "jaegis.samples.contract_net.task_done")
JAEGIS_REMOTE_TYPE(cn::retire, "jaegis.samples.contract_net.retire")
JAEGIS_REMOTE_TYPE(cn::roll_call, "jaegis.samples.contract_net.roll_call")
JAEGIS_REMOTE_TYPE(cn::present, "jaegis.samples.contract_net.present")
JAEGIS_REMOTE_TYPE(cn::hand_in_log, "jaegis.samples.contract_net.hand_in_log")
JAEGIS_REMOTE_TYPE(cn::agent_log, "jaegis.samples.contract_net.agent_log")

namespace jaegis::samples {

namespace {

using namespace contract_net;
using namespace std::chrono_literals;

constexpr std::string_view population_name = "contract-net";

ref<bidder> make_bidder(actor_system& system, std::uint32_t index) {
  return system.spawn<bidder>(nullptr, index);
}

void serve_half(actor_system& system, remote_node& node, serve_session& session) {
  // present answers a roll call with reply(), not as a response: no bidder accepts it, so
  // publishing bidders does not register it (nor does the lookup on the connecting side).
  node.add_type<present>();
  remote::serve_population<bidder>(system, node, session, population_name, "bidding agents",
                                   make_bidder);
}

outcome drive_half(actor_system& system, remote_node& node, const node_info& peer,
                   const topology_params& params, progress& meter) {
  node.add_type<present>();
  const auto agents = remote::open_population<bidder>(system, node, peer, population_name,
                                                      static_cast<std::uint32_t>(params.agents));

  countdown stopped(1);
  shared state{&params, &meter, {}, std::vector<agent_log>(params.agents), {}, &stopped};
  meter.set_total(params.messages);
  ref<manager> boss = system.spawn<manager>(&state, agents.members, /*retire_at_end=*/false);
  boss.send(open_market{});
  // The manager's requests time out, so it would finish without its agents too, but only after
  // a timeout per auction: the wait watches the connection and stops it at once if it is lost.
  while (!stopped.wait_for(100ms)) {
    if (!remote::connected(node, peer)) {
      send_exit(boss, error(errc::node_down, "the listening process went away"));
      stopped.wait();
      throw std::runtime_error("the listening process went away during the run");
    }
  }
  const auto elapsed = clock_type::now() - state.start;  // from the market's opening
  boss.reset();

  // The other side's account: each agent's own log, then its retirement.
  auto logs = gather(system, agents.members, hand_in_log{}, remote::call_timeout);
  if (logs.failures != 0) {
    std::string m = "collecting the agents' logs failed: ";
    m += logs.first_failure.to_string();
    throw std::runtime_error(m);
  }
  for (std::size_t i = 0; i < state.agents.size(); ++i)
    state.agents[i] = std::move(*logs.answers[i]);
  for (const ref<bidder>& agent : agents.members)
    agent.send(retire{});
  remote::close_population(system, agents);
  return conclude(state, params, elapsed);
}

}  // namespace

extern const remote_mode contract_net_remote;
const remote_mode contract_net_remote{
    .served = "the bidding agents",
    .default_agents = 1'000,
    .default_messages = 50'000,
    .serve = serve_half,
    .drive = drive_half,
};

}  // namespace jaegis::samples
