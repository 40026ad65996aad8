#pragma once

// contract-net's agents, manager and check, shared by the one-process topology (contract_net.cpp)
// and the two-process one (contract_net_remote.cpp). See contract_net.cpp for the protocol.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/countdown.hpp"
#include "jaegis/samples/topology.hpp"

namespace jaegis::samples::contract_net {

using namespace std::chrono_literals;

// ---- the numbers, and why ----

// Skills a task can need; each agent has one. Sixteen groups of 625 agents at the default size.
constexpr std::uint32_t skill_count = 16;
// Agents asked per call for proposals: enough for a real choice (the costs differ), few enough
// that a call costs microseconds, not the whole population's time.
constexpr std::uint32_t call_size = 8;
// Auctions open at once: enough to keep two workers busy while the manager waits for answers.
constexpr std::uint32_t open_auctions = 64;
// Tasks an agent commits to at once (open proposals plus awarded work). Beyond, it refuses.
constexpr std::uint32_t capacity = 2;
// Generous timeouts: answers take microseconds; a timeout here means a lost message.
constexpr auto proposal_timeout = 5s;
constexpr auto work_timeout = 10s;

// A hash used to give agents and tasks their properties, deterministically (splitmix64).
constexpr std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
constexpr std::uint32_t skill_of_task(std::uint32_t task) {
  return static_cast<std::uint32_t>(mix(task) % skill_count);
}
constexpr std::uint32_t work_of_task(std::uint32_t task) {
  return 32 + static_cast<std::uint32_t>(mix(task ^ 0x5bd1e995) % 96);  // 32..127 rounds
}
// The work itself: `rounds` rounds of the hash, a few hundred nanoseconds.
constexpr std::uint64_t do_work(std::uint32_t task, std::uint32_t rounds) {
  std::uint64_t x = task;
  for (std::uint32_t i = 0; i < rounds; ++i)
    x = mix(x);
  return x;
}

// ---- the messages ----

struct call_for_proposals {
  std::uint32_t task;
};
struct proposal {  // the answer to a call_for_proposals
  bool refused;
  std::uint32_t cost;
  std::uint32_t agent;
};
struct reject_proposal {
  std::uint32_t task;
};
struct award {
  std::uint32_t task;
};
struct task_done {  // the answer to an award
  std::uint32_t task;
  std::uint32_t agent;
  std::uint64_t result;
};
struct retire {};
struct hand_in_log {};  // two processes: the connecting side collects the agents' logs
struct open_market {};
struct roll_call {};
struct present {};

// ---- what the actors leave behind for the check ----

struct proposal_made {
  std::uint32_t task;
  std::uint32_t cost;
};
struct agent_log {  // written by one agent, handed over when it stops (or when asked)
  std::vector<proposal_made> proposals;
  std::vector<std::uint32_t> completed;
  std::uint64_t refusals = 0;
};
template <class Inspector>
bool serialize(Inspector& f, agent_log& log) {
  return f(log.proposals, log.completed, log.refusals);
}
struct manager_log {  // written by the manager, handed over when it finishes
  std::uint32_t announced = 0;
  std::vector<std::uint32_t> completions;  // per announced task
  std::vector<std::uint32_t> winner;       // per announced task
  std::vector<std::uint64_t> result;       // per announced task
  std::uint64_t calls = 0, rejects = 0, timeouts = 0, failed_awards = 0, messages = 0;
  latency_histogram latency;
};

struct shared {
  const topology_params* params;
  progress* meter;
  clock_type::time_point start;  // set by the manager when the market opens
  std::vector<agent_log> agents;
  manager_log manager;
  countdown* manager_stopped = nullptr;  ///< two processes: counted down when the manager stops
};

// ---- the agents ----

struct bidder
    : actor<bidder, roll_call, call_for_proposals, reject_proposal, award, retire, hand_in_log> {
  /// `s`: where to leave the log when it stops; nullptr in the listening process of a
  /// two-process run, whose connecting side collects the logs with hand_in_log instead.
  bidder(shared* s, std::uint32_t i)
      : state(s), index(i), proficiency(10 + static_cast<std::uint32_t>(mix(i) % 90)) {}

  void on(roll_call&) { reply(present{}); }

  proposal on(call_for_proposals& c) {
    if (commitments == capacity) {
      ++log.refusals;
      return {true, 0, index};
    }
    ++commitments;
    // Dearer when busy, cheaper when proficient, plus what this task costs this agent (think of
    // a distance): the lowest bidder differs from task to task.
    const auto cost =
        proficiency * commitments + static_cast<std::uint32_t>(mix(c.task ^ mix(index)) % 100);
    log.proposals.push_back({c.task, cost});
    return {false, cost, index};
  }

  void on(reject_proposal&) { release(); }

  task_done on(award& a) {
    const std::uint64_t result = do_work(a.task, work_of_task(a.task));
    release();
    log.completed.push_back(a.task);
    return {a.task, index, result};
  }

  void on(retire&) { quit(); }

  agent_log on(hand_in_log&) { return std::exchange(log, {}); }

  void on_stop(const exit_reason&) override {
    if (state != nullptr) state->agents[index] = std::move(log);
  }

  void release() {
    if (commitments > 0) --commitments;
  }

  shared* state;
  std::uint32_t index;
  std::uint32_t proficiency;  // lower is better
  std::uint32_t commitments = 0;
  agent_log log;
};

// ---- the manager ----

struct manager : actor<manager, open_market, present> {
  /// `retire_at_end`: false when the agents' logs are still to be collected (two processes).
  manager(shared* s, std::vector<ref<bidder>> a, bool retire_at_end = true)
      : state(s), agents(std::move(a)), retire_agents(retire_at_end) {
    const std::uint32_t n = static_cast<std::uint32_t>(agents.size());
    const std::uint32_t skills = std::min(skill_count, n);
    for (std::uint32_t i = 0; i < n; ++i)
      by_skill[i % skills].push_back(i);
    for (std::uint32_t s = skills; s < skill_count; ++s)  // few agents: some share a skill group
      by_skill[s] = by_skill[s % skills];
    auctions.resize(std::min<std::size_t>(open_auctions, n));
  }

  // One open auction: the task it is for, and what came in so far.
  struct auction {
    std::uint32_t task = 0;
    clock_type::time_point announced;
    std::uint32_t waiting = 0;  // answers still to come
    std::optional<proposal> best;
    std::vector<std::uint32_t> proposers;
    bool open = false;
  };

  // Before the first auction, a roll call: agents spawned from outside start in the order they
  // were spawned, and a call for proposals to one that has not started yet would wait behind the
  // start of thousands of others. Once all are present, the market opens.
  void on(open_market&) {
    for (const ref<bidder>& agent : agents)
      agent.send(roll_call{});
  }

  void on(present&) {
    if (++present_agents < agents.size()) return;
    log.messages += 2 * agents.size();
    state->start = clock_type::now();
    for (std::size_t slot = 0; slot < auctions.size(); ++slot)
      announce_next(slot);
  }

  // Opens the next task in this slot, or, when there is none, finishes once no slot is busy.
  void announce_next(std::size_t slot) {
    auction& a = auctions[slot];
    const bool more =
        log.announced < state->params->messages && !state->params->time_is_up(state->start);
    if (!more) {
      a.open = false;
      if (std::none_of(auctions.begin(), auctions.end(), [](const auction& x) { return x.open; }))
        finish();
      return;
    }
    a.open = true;
    a.task = log.announced++;
    log.completions.push_back(0);  // grown as tasks are announced: --seconds may cut them short
    log.winner.push_back(0);
    log.result.push_back(0);
    a.announced = clock_type::now();
    call_for_proposals_for(slot);
  }

  // Step 1: ask the next call_size agents with the task's skill.
  void call_for_proposals_for(std::size_t slot) {
    auction& a = auctions[slot];
    const std::vector<std::uint32_t>& group = by_skill[skill_of_task(a.task)];
    std::size_t& turn = next_in_group[skill_of_task(a.task)];
    const auto asked = static_cast<std::uint32_t>(std::min<std::size_t>(call_size, group.size()));
    a.waiting = asked;
    a.best.reset();
    a.proposers.clear();
    ++log.calls;
    for (std::uint32_t k = 0; k < asked; ++k) {
      const std::uint32_t agent = group[turn];
      turn = (turn + 1) % group.size();
      request(agents[agent], call_for_proposals{a.task}, proposal_timeout)
          .then([this, slot](proposal& p) { consider(slot, p); },
                [this, slot](const error&) {
                  ++log.timeouts;
                  consider(slot, std::nullopt);
                });
    }
    log.messages += 2 * asked;
  }

  // Step 2: one answer in; when the last is in, close the auction.
  void consider(std::size_t slot, const std::optional<proposal>& p) {
    auction& a = auctions[slot];
    if (p && !p->refused) {
      a.proposers.push_back(p->agent);
      if (!a.best || p->cost < a.best->cost ||
          (p->cost == a.best->cost && p->agent < a.best->agent))
        a.best = *p;
    }
    if (--a.waiting == 0) close(slot);
  }

  // Step 3: award to the best proposal and release the others; or ask again if nobody proposed.
  void close(std::size_t slot) {
    auction& a = auctions[slot];
    if (!a.best) {
      call_for_proposals_for(slot);  // everyone asked was at capacity: ask the next ones
      return;
    }
    for (std::uint32_t agent : a.proposers) {
      if (agent != a.best->agent) {
        agents[agent].send(reject_proposal{a.task});
        ++log.rejects;
      }
    }
    log.messages += a.proposers.size() - 1 + 2;  // the rejects, the award and its answer
    log.winner[a.task] = a.best->agent;
    request(agents[a.best->agent], award{a.task}, work_timeout)
        .then([this, slot](task_done& d) { completed(slot, d); },
              [this, slot](const error&) {
                ++log.failed_awards;
                announce_next(slot);
              });
  }

  // Step 4: the winner's report.
  void completed(std::size_t slot, const task_done& d) {
    const auction& a = auctions[slot];
    log.latency.record(static_cast<std::uint64_t>((clock_type::now() - a.announced).count()));
    ++log.completions[d.task];
    log.result[d.task] = d.result;
    state->meter->add(1);
    announce_next(slot);
  }

  void finish() {
    if (finished) return;  // a time limit that ran out before the first task closes every slot
    finished = true;
    if (retire_agents) {
      for (const ref<bidder>& agent : agents)
        agent.send(retire{});
      log.messages += agents.size();
    }
    state->manager = std::move(log);
    quit();
  }

  void on_stop(const exit_reason&) override {
    if (state->manager_stopped != nullptr) state->manager_stopped->count_down();
  }

  shared* state;
  std::vector<ref<bidder>> agents;
  std::vector<std::uint32_t> by_skill[skill_count];  // agent numbers, per skill
  std::size_t next_in_group[skill_count] = {};       // whom each group's next call starts with
  std::vector<auction> auctions;
  bool retire_agents;
  std::size_t present_agents = 0;
  bool finished = false;
  manager_log log;
};

// ---- the check ----

struct verdict {
  std::uint64_t missing = 0, duplicated = 0, not_lowest = 0, wrong_result = 0;
};

inline verdict check(const shared& state) {
  const manager_log& m = state.manager;
  verdict v;
  // From the agents' own logs: who completed each task, and the lowest proposal made for it.
  const std::uint32_t tasks = m.announced;
  std::vector<std::uint32_t> done_by_agents(tasks, 0);
  std::vector<std::uint32_t> doer(tasks, 0);
  constexpr std::uint64_t none = ~std::uint64_t{0};
  std::vector<std::uint64_t> lowest(tasks, none);  // (cost << 32) | agent: the award's order
  for (std::uint32_t agent = 0; agent < state.agents.size(); ++agent) {
    const agent_log& log = state.agents[agent];
    for (const proposal_made& p : log.proposals) {
      if (p.task < tasks)
        lowest[p.task] = std::min(lowest[p.task], (std::uint64_t{p.cost} << 32) | agent);
    }
    for (std::uint32_t t : log.completed) {
      if (t < tasks) {
        ++done_by_agents[t];
        doer[t] = agent;
      }
    }
  }
  for (std::uint32_t t = 0; t < tasks; ++t) {
    const std::uint32_t times = std::max(m.completions[t], done_by_agents[t]);
    if (times == 0 || m.completions[t] != done_by_agents[t]) ++v.missing;
    if (times > 1) ++v.duplicated;
    if (times == 1) {
      if (doer[t] != m.winner[t] || lowest[t] == none ||
          static_cast<std::uint32_t>(lowest[t]) != doer[t]) {
        ++v.not_lowest;
      }
      if (m.result[t] != do_work(t, work_of_task(t))) ++v.wrong_result;
    }
  }
  return v;
}

inline std::string validate(const topology_params& p) {
  if (p.agents > 0xffffffffu || p.messages > 0xffffffffu) {
    return "--agents and --messages must be below 2^32 (tasks and agents are 32-bit numbers)";
  }
  return {};
}

/// The invariant and the report, once the manager's log and every agent's log are in.
inline outcome conclude(const shared& state, const topology_params& params,
                        clock_type::duration elapsed) {
  const manager_log& m = state.manager;
  const verdict v = check(state);
  outcome o;
  o.elapsed = elapsed;
  o.completed = 0;
  for (std::uint32_t c : m.completions)
    o.completed += c;
  o.messages = m.messages;
  o.stopped_early = params.time_limit.count() > 0 && m.announced < params.messages;
  o.latency = m.latency;
  o.invariant_held = v.missing == 0 && v.duplicated == 0 && v.not_lowest == 0 &&
                     v.wrong_result == 0 && m.failed_awards == 0 &&
                     (m.announced == params.messages || o.stopped_early);
  o.invariant = std::to_string(m.announced);
  o.invariant += " tasks announced; missing ";
  o.invariant += std::to_string(v.missing);
  o.invariant += ", completed twice ";
  o.invariant += std::to_string(v.duplicated);
  o.invariant += ", not to the lowest proposal ";
  o.invariant += std::to_string(v.not_lowest);
  o.invariant += ", wrong results ";
  o.invariant += std::to_string(v.wrong_result);
  o.invariant += ", failed awards ";
  o.invariant += std::to_string(m.failed_awards);

  std::uint64_t proposals = 0, refusals = 0;
  for (const agent_log& a : state.agents) {
    proposals += a.proposals.size();
    refusals += a.refusals;
  }
  const double announced = std::max<double>(1, m.announced);
  o.figures = {
      {"calls for proposals per task", static_cast<double>(m.calls) / announced},
      {"proposals per task", static_cast<double>(proposals) / announced},
      {"refusals (agent at capacity)", static_cast<double>(refusals)},
      {"losing proposals rejected", static_cast<double>(m.rejects)},
      {"proposal timeouts", static_cast<double>(m.timeouts)},
  };
  return o;
}

}  // namespace jaegis::samples::contract_net
