// contract-net: a manager auctions tasks to a population of bidding agents (the FIPA Contract Net
// protocol), the flagship sample.
//
// The protocol, for each task:
//
//   1. Call for proposals. The task needs one of 16 skills. The manager asks `call_size` of the
//      agents that have that skill (taking them in turn, so that the work spreads over the whole
//      population) with a request each, and a timeout.
//   2. Proposals. An agent with spare capacity proposes a cost and commits to it: its cost grows
//      with its commitments (a busy agent is dearer) and depends on its proficiency and on the
//      task. An agent at capacity refuses.
//   3. Award. Once every asked agent has answered (or timed out), the manager awards the task
//      to the lowest proposal (ties: the lowest agent number) with a request, and tells the other
//      proposers that they lost, which frees their commitment. If nobody proposed, it calls for
//      proposals again, from the next agents with the skill.
//   4. Work and report. The winner does the work (a small computation whose result depends on
//      the task) and answers the award with the result: the manager's completion report.
//
// The manager keeps up to 64 auctions open at once, and opens the next task as soon as one
// completes. (Before the first one it takes a roll call, so that every agent has started.) When
// all tasks are done (or the time limit has passed and the open ones are done) it
// retires the agents and quits.
//
//   --agents    bidding agents (default 10,000)
//   --messages  tasks (default 200,000)
//   --seconds   stop announcing new tasks after this long
//   invariant   every announced task was awarded and completed exactly once (counted by task
//               number, by the manager and from the agents' own logs: no task missing, none
//               twice), each went to the lowest proposal the agents made for it, and each
//               result is right
//
// Latency: from a task's announcement to its completion report (both at the manager).

#include "contract_net.hpp"

#include <cstdint>
#include <vector>

#include "jaegis/samples/remote_mode.hpp"

namespace jaegis::samples {

namespace {

using namespace contract_net;

outcome run(actor_system& system, const topology_params& params, progress& meter) {
  shared state{&params, &meter, {}, std::vector<agent_log>(params.agents), {}};
  meter.set_total(params.messages);

  std::vector<ref<bidder>> agents;
  agents.reserve(params.agents);
  for (std::uint32_t i = 0; i < params.agents; ++i)
    agents.push_back(system.spawn<bidder>(&state, i));
  ref<manager> boss = system.spawn<manager>(&state, std::move(agents));

  boss.send(open_market{});
  system.await_all_actors_done();
  const auto elapsed = clock_type::now() - state.start;  // from the market's opening
  boss.reset();

  return conclude(state, params, elapsed);
}

}  // namespace

extern const remote_mode contract_net_remote;  // contract_net_remote.cpp
extern const topology contract_net_topology;
const topology contract_net_topology{
    .name = "contract-net",
    .summary = "a manager auctions tasks to bidding agents, awarding each to the lowest bid",
    .unit = "tasks",
    .latency_of = "task announced to its completion reported",
    .agents_help = "bidding agents",
    .default_agents = 10'000,
    .messages_help = "tasks",
    .default_messages = 200'000,
    .time_limited = true,
    .validate = validate,
    .run = run,
    .remote = &contract_net_remote,
};

}  // namespace jaegis::samples
