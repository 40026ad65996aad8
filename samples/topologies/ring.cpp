// ring: N actors in a circle pass one token around for M hops.
//
// Every member holds a ref to the next one. The token carries the number of hops still to go;
// each member counts the hops it received and passes the token on. When no hop is left (or the
// time limit passed), the last receiver sends `leave` around the ring: each member passes it on
// and quits, so the ring takes itself down.
//
//   --agents    members of the ring (default 1,000)
//   --messages  hops of the token (default 10,000,000)
//   --seconds   stop passing the token after this long
//   invariant   the hops counted by the members add up to exactly the hops the token made
//               (--messages without a time limit), and one member saw the last hop

#include <cstdint>
#include <string>
#include <vector>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/topology.hpp"
#include "jaegis/samples/worker_histograms.hpp"

namespace jaegis::samples {

namespace {

struct token {
  std::uint64_t hop;  // 1 for the first delivery
  clock_type::time_point sent_at;
};
struct leave {};
struct ring_member;
struct next_is {
  ref<ring_member> next;
};

struct shared {
  const topology_params* params;
  progress* meter;
  worker_histograms* latency;
  clock_type::time_point start;
  std::vector<std::uint64_t> hops_seen;  // one slot per member, written when it stops
  std::uint64_t last_hop = 0;            // written by the member that saw the last hop
  std::uint64_t enders = 0;              // likewise: must end up 1
};

// Progress is reported every this many hops: one shared add per ~0.1-1 ms of work.
constexpr std::uint64_t progress_batch = 1024;

struct ring_member : actor<ring_member, next_is, token, leave> {
  ring_member(shared* s, std::size_t i) : state(s), index(i) {}

  void on(next_is& n) { next = std::move(n.next); }

  void on(token& t) {
    state->latency->record(static_cast<std::uint64_t>((clock_type::now() - t.sent_at).count()));
    ++hops;
    bool last = t.hop == state->params->messages;
    if (t.hop % progress_batch == 0) {
      state->meter->add(progress_batch);
      last = last || state->params->time_is_up(state->start);
    }
    if (!last) {
      next.send(token{t.hop + 1, clock_type::now()});
      return;
    }
    state->meter->add(t.hop % progress_batch);
    state->last_hop = t.hop;
    ++state->enders;
    leave_ring();
  }

  void on(leave&) { leave_ring(); }

  void leave_ring() {
    next.send(leave{});  // the member that started it has quit by then: that one is dropped
    quit();
  }

  void on_stop(const exit_reason&) override { state->hops_seen[index] = hops; }

  shared* state;
  std::size_t index;
  ref<ring_member> next;
  std::uint64_t hops = 0;
};

outcome run(actor_system& system, const topology_params& params, progress& meter) {
  worker_histograms latency(system.executor());
  shared state{&params, &meter, &latency, {}, std::vector<std::uint64_t>(params.agents)};
  meter.set_total(params.messages);

  std::vector<ref<ring_member>> members;
  members.reserve(params.agents);
  for (std::size_t i = 0; i < params.agents; ++i)
    members.push_back(system.spawn<ring_member>(&state, i));
  // Each member learns its successor before the token can reach it: the token comes to member i
  // only after this thread's next_is, so it queues behind it.
  for (std::size_t i = 0; i < members.size(); ++i)
    members[i].send(next_is{members[(i + 1) % members.size()]});
  state.start = clock_type::now();
  members[0].send(token{1, clock_type::now()});
  members.clear();  // from here the ring holds itself together, until it leaves

  system.await_all_actors_done();

  outcome o;
  o.elapsed = clock_type::now() - state.start;
  std::uint64_t counted = 0;
  for (std::uint64_t h : state.hops_seen)
    counted += h;
  o.completed = state.last_hop;
  o.messages = state.last_hop + params.agents;  // hops, and one `leave` per member
  o.stopped_early = params.time_limit.count() > 0 && state.last_hop < params.messages;
  o.latency = latency.merged();
  o.invariant_held = state.enders == 1 && counted == state.last_hop &&
                     (state.last_hop == params.messages || o.stopped_early);
  o.invariant = std::to_string(counted);
  o.invariant += " hops counted by the members, ";
  o.invariant += std::to_string(state.last_hop);
  o.invariant += " made by the token (";
  o.invariant += std::to_string(params.messages);
  o.invariant += " planned), last hop seen by ";
  o.invariant += std::to_string(state.enders);
  o.invariant += " member(s)";
  return o;
}

}  // namespace

extern const topology ring_topology;
const topology ring_topology{
    .name = "ring",
    .summary = "a token passed around a ring of actors: hop latency",
    .unit = "hops",
    .latency_of = "one hop, token sent to token received",
    .agents_help = "members of the ring",
    .default_agents = 1'000,
    .messages_help = "hops of the token",
    .default_messages = 10'000'000,
    .time_limited = true,
    .validate = nullptr,
    .run = run,
};

}  // namespace jaegis::samples
