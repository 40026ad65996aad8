// Every sample topology, run small on a real executor and on the deterministic one: its invariant
// must hold and it must do exactly the work it was given.
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <string_view>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/catalog.hpp"
#include "jaegis/schedulers/executor.hpp"
#include "test_support.hpp"

using namespace jaegis;
using namespace jaegis::samples;

namespace {

actor_system_config quiet(std::size_t workers = 2) {
  actor_system_config config;
  config.executor.workers = workers;
  config.log = [](std::string_view) {};
  return config;
}

outcome run_small(std::string_view name, std::uint64_t agents, std::uint64_t messages,
                  actor_system_config config = quiet()) {
  const topology* t = find_topology(name);
  REQUIRE(t != nullptr);
  topology_params params;
  params.agents = agents;
  params.messages = messages;
  if (t->validate != nullptr) REQUIRE(t->validate(params).empty());
  progress meter;
  outcome o;
  {
    actor_system system(config);
    o = t->run(system, params, meter);
    CHECK(system.running_actors() == 0);
  }
  INFO(o.invariant);
  CHECK(o.invariant_held);
  CHECK_FALSE(o.stopped_early);
  CHECK(meter.total() == messages);
  CHECK(meter.done() == messages);
  return o;
}

// The figure named `name` in a topology's report (the test fails if there is none).
double figure(const outcome& o, std::string_view name) {
  for (const named_figure& f : o.figures) {
    if (f.name == name) return f.value;
  }
  FAIL("no figure named " << name);
  return 0;
}

}  // namespace

TEST_CASE("the catalog lists each topology once, fully described", "[samples]") {
  std::set<std::string_view> names;
  for (const topology* t : catalog()) {
    INFO(t->name);
    CHECK(names.insert(t->name).second);
    CHECK_FALSE(t->summary.empty());
    CHECK_FALSE(t->unit.empty());
    CHECK_FALSE(t->latency_of.empty());
    CHECK(t->default_agents > 0);
    CHECK(t->default_messages > 0);
    CHECK(t->run != nullptr);
    CHECK(find_topology(t->name) == t);
  }
  CHECK(names.count("contract-net") == 1);
  CHECK(find_topology("no-such-topology") == nullptr);
}

TEST_CASE("pingpong: every ping gets its pong, over several pairs", "[samples]") {
  const outcome o = run_small("pingpong", 4, test::scaled(20'000));
  CHECK(o.completed == test::scaled(20'000));
  CHECK(o.latency.count() == test::scaled(20'000));
  CHECK(find_topology("pingpong")->validate(topology_params{3, 10, {}}) != "");
}

TEST_CASE("ring: the members count exactly the token's hops", "[samples]") {
  const outcome o = run_small("ring", 100, test::scaled(50'000));
  CHECK(o.completed == test::scaled(50'000));
}

TEST_CASE("ring of one: the token goes round a single member", "[samples]") {
  const outcome o = run_small("ring", 1, 1'000);
  CHECK(o.completed == 1'000);
}

TEST_CASE("chameneos: meetings add up and the colour rule holds", "[samples]") {
  const outcome o = run_small("chameneos", 10, test::scaled(20'000));
  CHECK(o.completed == test::scaled(20'000));
  run_small("chameneos", 3, test::scaled(5'000));  // the benchmark's first game
  CHECK(find_topology("chameneos")->validate(topology_params{1, 10, {}}) != "");
}

TEST_CASE("contract-net: every task awarded to its lowest bid and completed once", "[samples]") {
  const outcome o = run_small("contract-net", 1'000, test::scaled(5'000));
  CHECK(o.completed == test::scaled(5'000));
  CHECK(o.latency.count() == test::scaled(5'000));
}

TEST_CASE("contract-net with fewer agents than skills: busy agents refuse, tasks are re-announced",
          "[samples]") {
  const outcome o = run_small("contract-net", 3, 500);
  CHECK(o.completed == 500);
}

TEST_CASE("scatter-gather: the gathered word counts equal a single-threaded count", "[samples]") {
  const outcome o = run_small("scatter-gather", 8, test::scaled(200'000));
  CHECK(o.completed == test::scaled(200'000));
  run_small("scatter-gather", 1, 12'345);  // one mapper, one reducer, a short last chunk
}

TEST_CASE("pipeline: every item once, in order, transformed, within the windows", "[samples]") {
  const outcome o = run_small("pipeline", 6, test::scaled(40'000));
  CHECK(o.completed == test::scaled(40'000));
  CHECK(o.latency.count() == test::scaled(40'000));
  CHECK(figure(o, "most items in the pipeline") <= figure(o, "bound, (stages + 1) * window"));
  CHECK(figure(o, "most items in the pipeline") >= 1);
  run_small("pipeline", 1, 1'000);  // a single stage
}

TEST_CASE("blackboard: every problem solved once and right through the topics", "[samples]") {
  const outcome o = run_small("blackboard", 9, test::scaled(10'000));
  CHECK(o.completed == test::scaled(10'000));
  CHECK(o.latency.count() == test::scaled(10'000));
  CHECK(figure(o, "parts published per problem") == 3);
  run_small("blackboard", 3, 500);  // one shard: one specialist of each kind
  const topology* t = find_topology("blackboard");
  CHECK(t->validate(topology_params{4, 10, {}}).find("multiple of 3") != std::string::npos);
  CHECK(t->validate(topology_params{6, 10, {}}).empty());
}

TEST_CASE("supervision: crashed tasks retried, each completed once, restarts equal crashes",
          "[samples]") {
  const outcome o = run_small("supervision", 8, test::scaled(40'000));
  CHECK(o.completed == test::scaled(40'000));
  CHECK(o.latency.count() == test::scaled(40'000));
  // 2 % of attempts crash (seeded): the run must really have exercised restarts and duplicates.
  CHECK(figure(o, "restarts by the supervisor") > 0);
  CHECK(figure(o, "crashes before doing the task") > 0);
  CHECK(figure(o, "crashes after reporting it") > 0);
  CHECK(figure(o, "duplicate completions ignored by the ledger") > 0);
  CHECK(figure(o, "retries") >= figure(o, "restarts by the supervisor"));
  // One worker: after each crash no worker is up until the restarted one announces itself.
  const outcome one = run_small("supervision", 1, 3'000);
  CHECK(figure(one, "restarts by the supervisor") > 0);
  CHECK(find_topology("supervision")->validate(topology_params{1, 1ull << 32, {}}) != "");
}

TEST_CASE("every topology on the deterministic executor, over several seeds", "[samples]") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    actor_system_config config = quiet();
    config.executor.kind = sched::executor_kind::deterministic;
    config.executor.seed = seed;
    INFO("seed " << seed);
    run_small("pingpong", 2, 500, config);
    run_small("ring", 10, 500, config);
    run_small("chameneos", 5, 500, config);
    run_small("contract-net", 50, 300, config);
    run_small("scatter-gather", 4, 30'000, config);
    run_small("pipeline", 3, 500, config);
    run_small("blackboard", 3, 300, config);
    // No timers are involved (the workers announce their restarts): this runs here too.
    const outcome o = run_small("supervision", 4, 3'000, config);
    CHECK(figure(o, "restarts by the supervisor") > 0);
  }
}

TEST_CASE("a time limit stops the time-limited topologies early, invariant intact", "[samples]") {
  for (std::string_view name :
       {"pingpong", "ring", "chameneos", "contract-net", "pipeline", "blackboard", "supervision"}) {
    INFO(name);
    const topology* t = find_topology(name);
    REQUIRE(t->time_limited);
    topology_params params;
    params.agents = name == "pingpong" ? 2 : name == "blackboard" ? 9 : 10;
    params.messages = 1'000'000'000;  // far more than fits in the limit
    params.time_limit = std::chrono::milliseconds(100);
    progress meter;
    actor_system system(quiet());
    const outcome o = t->run(system, params, meter);
    INFO(o.invariant);
    CHECK(o.stopped_early);
    CHECK(o.invariant_held);
    CHECK(o.completed > 0);
    CHECK(o.completed < params.messages);
  }
  CHECK_FALSE(find_topology("scatter-gather")->time_limited);
}
