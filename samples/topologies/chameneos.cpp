// chameneos: the chameneos-redux game. Creatures of three colours meet in pairs at a mall.
//
// Each creature asks the mall for a meeting (`meet`, with its colour). The mall keeps at most one
// creature waiting; when a second one comes it pairs them and tells each the other's colour
// (`met`). Both then take the complement of the two colours (the same colour if they were alike,
// else the third one) and ask for their next meeting. After M meetings (or the time limit) the
// mall answers every request with `faded`; each creature then quits, and the mall quits once all
// of them have faded. The mall is a broker that every message goes through: the hot spot of the
// topology, as in the original benchmark.
//
//   --agents    creatures (default 10, the benchmark's second game; at least 2)
//   --messages  meetings (default 2,000,000)
//   --seconds   stop arranging meetings after this long
//   invariant   the creatures' meetings add up to exactly twice the mall's; no creature met
//               itself; every creature came back with the colour the rule gave it

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/topology.hpp"
#include "jaegis/samples/worker_histograms.hpp"

namespace jaegis::samples {

namespace {

enum class colour : std::uint8_t { blue, red, yellow };

// The rule of the game: two creatures of one colour keep it; of two colours, both take the third.
constexpr colour complement(colour a, colour b) {
  if (a == b) return a;
  return static_cast<colour>(3 - static_cast<int>(a) - static_cast<int>(b));
}

// The benchmark's colours for its game of ten creatures; other games cycle through them.
constexpr std::array<colour, 10> starting_colours{
    colour::blue, colour::red, colour::yellow, colour::red, colour::yellow,
    colour::blue, colour::red, colour::yellow, colour::red, colour::blue};

struct mall;
struct go {
  ref<mall> where;  // the mall is spawned after the creatures (it holds their refs)
};
struct meet {
  std::uint32_t creature;
  colour now;
};
struct met {
  std::uint32_t partner;
  colour partner_colour;
};
struct faded {};

// What each creature reports when it stops, in a slot of its own.
struct creature_result {
  std::uint64_t meetings = 0;
  std::uint64_t met_itself = 0;
};

// What the mall reports when it stops.
struct mall_result {
  std::uint64_t meetings = 0;
  std::uint64_t wrong_colours = 0;
};

struct shared {
  const topology_params* params;
  progress* meter;
  worker_histograms* latency;
  clock_type::time_point start;
  std::vector<creature_result> creatures;
  mall_result mall;
};

// Progress is reported every this many meetings.
constexpr std::uint64_t progress_batch = 256;

struct creature;

struct mall : actor<mall, meet> {
  mall(shared* s, std::vector<ref<creature>> c)
      : state(s),
        creatures(std::move(c)),
        expected(creatures.size()),
        planned(s->params->messages) {
    for (std::size_t i = 0; i < creatures.size(); ++i)
      expected[i] = starting_colours[i % starting_colours.size()];
  }

  void on(meet& m);

  shared* state;
  std::vector<ref<creature>> creatures;
  std::vector<colour> expected;  // the colour each creature must come back with
  std::optional<meet> waiting;
  std::uint64_t meetings = 0;
  std::uint64_t planned;  // --messages, or fewer once the time limit has passed
  std::uint64_t wrong_colours = 0;
  std::size_t faded_creatures = 0;
};

struct creature : actor<creature, go, met, faded> {
  creature(shared* s, std::uint32_t i, colour c) : state(s), index(i), now(c) {}

  void on(go& g) {
    mall_ref = std::move(g.where);
    ask();
  }

  void on(met& m) {
    state->latency->record(static_cast<std::uint64_t>((clock_type::now() - asked_at).count()));
    ++result.meetings;
    if (m.partner == index) ++result.met_itself;
    now = complement(now, m.partner_colour);
    ask();
  }

  void on(faded&) { quit(); }

  void ask() {
    asked_at = clock_type::now();
    mall_ref.send(meet{index, now});
  }

  void on_stop(const exit_reason&) override { state->creatures[index] = result; }

  shared* state;
  std::uint32_t index;
  colour now;
  ref<mall> mall_ref;
  clock_type::time_point asked_at;
  creature_result result;
};

void mall::on(meet& m) {
  if (m.now != expected[m.creature]) ++wrong_colours;
  if (meetings == planned) {
    creatures[m.creature].send(faded{});
    if (++faded_creatures == creatures.size()) {
      state->mall = {meetings, wrong_colours};
      quit();  // drops the refs to the creatures, which have all faded
    }
    return;
  }
  if (!waiting) {
    waiting = m;
    return;
  }
  const meet other = *waiting;
  waiting.reset();
  expected[m.creature] = complement(m.now, other.now);
  expected[other.creature] = complement(other.now, m.now);
  creatures[m.creature].send(met{other.creature, other.now});
  creatures[other.creature].send(met{m.creature, m.now});
  if (++meetings % progress_batch == 0) {
    state->meter->add(progress_batch);
    if (state->params->time_is_up(state->start)) planned = meetings;
  }
  if (meetings == planned) state->meter->add(meetings % progress_batch);
}

std::string validate(const topology_params& p) {
  if (p.agents < 2) return "--agents must be at least 2: creatures meet in pairs";
  if (p.agents > 1'000'000) return "--agents must be at most 1000000 (one mall serves them all)";
  return {};
}

outcome run(actor_system& system, const topology_params& params, progress& meter) {
  worker_histograms latency(system.executor());
  shared state{&params, &meter, &latency, {}, std::vector<creature_result>(params.agents), {}};
  meter.set_total(params.messages);

  std::vector<ref<creature>> creatures;
  for (std::uint32_t i = 0; i < params.agents; ++i) {
    creatures.push_back(
        system.spawn<creature>(&state, i, starting_colours[i % starting_colours.size()]));
  }
  const ref<mall> the_mall = system.spawn<mall>(&state, creatures);
  state.start = clock_type::now();
  for (const ref<creature>& c : creatures)
    c.send(go{the_mall});
  // The mall and the creatures hold each other from here until the game ends.
  creatures.clear();
  system.await_all_actors_done();

  outcome o;
  o.elapsed = clock_type::now() - state.start;
  std::uint64_t creature_meetings = 0, met_itself = 0;
  for (const creature_result& c : state.creatures) {
    creature_meetings += c.meetings;
    met_itself += c.met_itself;
  }
  o.completed = state.mall.meetings;
  // Per meeting two requests and two answers; and one request and `faded` per creature at the end.
  o.messages = 4 * o.completed + 2 * params.agents;
  o.stopped_early = params.time_limit.count() > 0 && o.completed < params.messages;
  o.latency = latency.merged();
  o.invariant_held = creature_meetings == 2 * o.completed && met_itself == 0 &&
                     state.mall.wrong_colours == 0 &&
                     (o.completed == params.messages || o.stopped_early);
  o.invariant = std::to_string(creature_meetings);
  o.invariant += " meetings counted by the creatures for ";
  o.invariant += std::to_string(o.completed);
  o.invariant += " arranged by the mall (twice as many expected); met itself: ";
  o.invariant += std::to_string(met_itself);
  o.invariant += "; colours against the rule: ";
  o.invariant += std::to_string(state.mall.wrong_colours);
  return o;
}

}  // namespace

extern const topology chameneos_topology;
const topology chameneos_topology{
    .name = "chameneos",
    .summary = "chameneos-redux: creatures meet in pairs through a broker and change colour",
    .unit = "meetings",
    .latency_of = "a creature's wait, meeting asked to partner told",
    .agents_help = "creatures, at least 2",
    .default_agents = 10,
    .messages_help = "meetings",
    .default_messages = 2'000'000,
    .time_limited = true,
    .validate = validate,
    .run = run,
};

}  // namespace jaegis::samples
