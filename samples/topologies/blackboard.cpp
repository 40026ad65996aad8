// blackboard: specialist agents cooperate through pub/sub topics (actors/ topic_broker.hpp)
// to solve problems none of them solves alone.
//
// A problem is a number n. Its solution has two parts: the length of n's Collatz sequence, and
// the number and the sum of n's divisors, which come from n's prime factors. Nobody is told whom
// to work with; each agent subscribes to the topics it can contribute to and publishes what it
// finds:
//
//   agent             reads                  finds                          publishes on
//   producer          "solutions"            (its own solved problems)      "problems/<shard>"
//   factorizer        "problems/<shard>"     the prime factors of n         "factors/<shard>"
//   Collatz solver    "problems/<shard>"     the length of n's sequence     "collatz"
//   divisor counter   "factors/<shard>"      number and sum of divisors     "divisors"
//   assembler         "collatz", "divisors"  the solution, once both are in "solutions"
//
// Each shard has one factorizer, one Collatz solver and one divisor counter, so the specialists
// share the work without a dispatcher. Two producers each keep 32 problems open and publish the
// next when one of theirs appears on "solutions". When a producer has all its solutions it says
// so on "control"; once both have, the assembler publishes `close` on "control", and the
// specialists and the assembler quit. The broker, referenced by nobody any more, stops last.
//
//   --agents    specialists, a multiple of 3: one factorizer, Collatz solver and divisor
//               counter per shard (default 12: 4 shards)
//   --messages  problems (default 500,000)
//   --seconds   stop publishing new problems after this long
//   invariant   every problem published was solved exactly once (assembled once, its parts
//               each arriving once, seen once by its producer) and correctly: its parts equal
//               a direct single-threaded computation (the divisors from a sieve, not from
//               factors)
//
// Latency: from a problem's publication by its producer to its solution's assembly.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "jaegis/actors/topic_broker.hpp"
#include "jaegis/jaegis.hpp"
#include "jaegis/samples/topology.hpp"

namespace jaegis::samples {

namespace {

using actors::published;
using actors::topic;
using actors::topic_broker;

// Two producers: enough that solutions interleave; the work is in the specialists.
constexpr std::uint32_t producer_count = 2;
// Problems a producer keeps open: enough to keep every specialist busy, few enough that a
// problem waits behind a short queue (the latency measures solving, not queueing).
constexpr std::uint32_t open_per_producer = 32;
// Progress is reported every this many solutions.
constexpr std::uint64_t progress_batch = 256;

// ---- the problems and their parts ----

constexpr std::uint64_t mix(std::uint64_t x) {  // splitmix64: problems from their numbers
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
// n from 2 to 100,001: factoring takes up to 316 trial divisions, and the check's table of
// divisors is small.
constexpr std::uint32_t largest_number = 100'001;
constexpr std::uint32_t number_of(std::uint64_t id) {
  return 2 + static_cast<std::uint32_t>(mix(id) % (largest_number - 1));
}

struct prime_power {
  std::uint32_t prime;
  std::uint32_t exponent;
};
// A number up to 100,001 has at most 6 distinct prime factors (2*3*5*7*11*13*17 = 510,510).
struct factorization {
  std::array<prime_power, 8> factors{};
  std::uint32_t count = 0;
};

factorization factor(std::uint32_t n) {
  factorization f;
  for (std::uint32_t p = 2; p * p <= n; ++p) {
    if (n % p != 0) continue;
    std::uint32_t e = 0;
    while (n % p == 0) {
      n /= p;
      ++e;
    }
    f.factors[f.count++] = {p, e};
  }
  if (n > 1) f.factors[f.count++] = {n, 1};
  return f;
}

std::uint32_t collatz_length(std::uint64_t n) {  // steps to reach 1
  std::uint32_t steps = 0;
  for (; n != 1; ++steps)
    n = n % 2 == 0 ? n / 2 : 3 * n + 1;
  return steps;
}

struct divisor_figures {
  std::uint32_t count = 0;
  std::uint64_t sum = 0;
};

divisor_figures from_factors(const factorization& f) {
  divisor_figures d{1, 1};
  for (std::uint32_t i = 0; i < f.count; ++i) {
    const auto [p, e] = f.factors[i];
    d.count *= e + 1;
    std::uint64_t power_sum = 1, power = 1;  // 1 + p + ... + p^e
    for (std::uint32_t k = 0; k < e; ++k) {
      power *= p;
      power_sum += power;
    }
    d.sum *= power_sum;
  }
  return d;
}

// ---- what goes on the board ----

struct problem {
  std::uint64_t id;
  std::uint32_t n;
  clock_type::time_point posted_at;
};
// Each part carries its problem's number and publication time along.
struct factors_found {
  std::uint64_t id;
  clock_type::time_point posted_at;
  factorization f;
};
struct collatz_found {
  std::uint64_t id;
  clock_type::time_point posted_at;
  std::uint32_t length;
};
struct divisors_found {
  std::uint64_t id;
  clock_type::time_point posted_at;
  divisor_figures d;
};
struct solution {
  std::uint64_t id;
  std::uint32_t collatz;
  divisor_figures divisors;
};
struct producer_done {
  std::uint32_t producer;
  std::uint64_t posted;
};
struct close_board {};

// The topics, by name and payload type. Short names: published<T> carries a copy of the name,
// and up to 15 characters stay inside std::string (no allocation).
struct board {
  std::vector<topic<problem>> problems;       // one per shard
  std::vector<topic<factors_found>> factors;  // one per shard
  topic<collatz_found> collatz{"collatz"};
  topic<divisors_found> divisors{"divisors"};
  topic<solution> solutions{"solutions"};
  topic<producer_done> done{"control"};
  topic<close_board> close{"control"};  // another type: another topic
};

// ---- what the agents leave behind for the check ----

struct solved_record {  // per problem id, written by the assembler
  std::uint32_t times = 0;
  solution value{};
};
struct assembler_log {
  std::vector<solved_record> solved;  // indexed by problem id
  std::uint64_t duplicate_parts = 0;  // a part for a problem already solved, or a part twice
  std::uint64_t closes = 0;
  latency_histogram latency;
  clock_type::time_point closed_at;
};
struct producer_log {
  std::uint64_t posted = 0;
  std::vector<std::uint32_t> seen;  // per own problem (id / producer_count): solutions seen
};

struct shared {
  const topology_params* params;
  progress* meter;
  const board* topics;
  clock_type::time_point start;
  std::uint32_t shards = 0;
  assembler_log assembler;
  std::vector<producer_log> producers;
  std::vector<std::uint64_t> parts_made;  // per specialist, written when it stops
};

// ---- the agents ----

struct start_posting {};

struct producer : actor<producer, start_posting, published<solution>> {
  producer(shared* s, std::uint32_t i, ref<topic_broker> b)
      : state(s), index(i), broker(std::move(b)) {}

  void on(start_posting&) {
    for (std::uint32_t k = 0; k < open_per_producer; ++k)
      post_next();
    finish_if_done();
  }

  void on(published<solution>& p) {
    if (p.value.id % producer_count != index) return;  // another producer's
    ++log.seen[p.value.id / producer_count];
    --open;
    post_next();
    finish_if_done();
  }

  void post_next() {
    const shared& s = *state;
    if (stopped || log.posted == planned() || s.params->time_is_up(s.start)) {
      stopped = true;
      return;
    }
    const std::uint64_t id = log.posted++ * producer_count + index;
    log.seen.push_back(0);
    ++open;
    const std::uint32_t shard = static_cast<std::uint32_t>(id % s.shards);
    actors::publish(broker, s.topics->problems[shard],
                    problem{id, number_of(id), clock_type::now()});
  }

  // The problems this producer publishes: ids index, index + 2, ... below --messages.
  std::uint64_t planned() const {
    const std::uint64_t m = state->params->messages;
    return m / producer_count + (index < m % producer_count ? 1 : 0);
  }

  void finish_if_done() {
    if (!stopped || open > 0 || finished) return;
    finished = true;
    actors::publish(broker, state->topics->done, producer_done{index, log.posted});
    state->producers[index] = std::move(log);
    quit();
  }

  shared* state;
  std::uint32_t index;
  ref<topic_broker> broker;
  std::uint32_t open = 0;
  bool stopped = false, finished = false;
  producer_log log;
};

// A specialist: takes what it can work on from one topic, publishes its finding on another, and
// quits when the board closes. `Solve` maps the input to the published finding.
template <class In, class Out, Out (*Solve)(const In&)>
struct specialist : actor<specialist<In, Out, Solve>, published<In>, published<close_board>> {
  specialist(shared* s, std::size_t slot, ref<topic_broker> b, topic<Out> out)
      : state(s), index(slot), broker(std::move(b)), output(std::move(out)) {}

  void on(published<In>& p) {
    actors::publish(broker, output, Solve(p.value));
    ++made;
  }
  void on(published<close_board>&) { this->quit(); }
  void on_stop(const exit_reason&) override { state->parts_made[index] = made; }

  shared* state;
  std::size_t index;
  ref<topic_broker> broker;
  topic<Out> output;
  std::uint64_t made = 0;
};

// The specialists' skills.
factors_found factorize(const problem& p) {
  return {p.id, p.posted_at, factor(p.n)};
}
collatz_found solve_collatz(const problem& p) {
  return {p.id, p.posted_at, collatz_length(p.n)};
}
divisors_found count_divisors(const factors_found& f) {
  return {f.id, f.posted_at, from_factors(f.f)};
}

using factorizer = specialist<problem, factors_found, factorize>;
using collatz_solver = specialist<problem, collatz_found, solve_collatz>;
using divisor_counter = specialist<factors_found, divisors_found, count_divisors>;

struct assembler : actor<assembler, published<collatz_found>, published<divisors_found>,
                         published<producer_done>> {
  assembler(shared* s, ref<topic_broker> b) : state(s), broker(std::move(b)) {}

  // The parts of a problem that came in so far.
  struct partial {
    bool collatz = false, divisors = false;
    solution value{};
  };

  void on(published<collatz_found>& p) {
    partial* part = open_part(p.value.id);
    if (part == nullptr || part->collatz) {
      ++log.duplicate_parts;
      return;
    }
    part->collatz = true;
    part->value.collatz = p.value.length;
    complete_if_whole(p.value.id, p.value.posted_at, *part);
  }

  void on(published<divisors_found>& p) {
    partial* part = open_part(p.value.id);
    if (part == nullptr || part->divisors) {
      ++log.duplicate_parts;
      return;
    }
    part->divisors = true;
    part->value.divisors = p.value.d;
    complete_if_whole(p.value.id, p.value.posted_at, *part);
  }

  void on(published<producer_done>&) {
    if (++producers_done < producer_count) return;
    // Each producer saw all its solutions before saying so: no part is left in flight.
    actors::publish(broker, state->topics->close, close_board{});
    ++log.closes;
    log.closed_at = clock_type::now();
    state->meter->add(solved_count % progress_batch);
    state->assembler = std::move(log);
    quit();
  }

  // The open parts of problem `id`, or nullptr if it was solved already.
  partial* open_part(std::uint64_t id) {
    if (id < log.solved.size() && log.solved[id].times > 0) return nullptr;
    return &open[id];
  }

  void complete_if_whole(std::uint64_t id, clock_type::time_point posted_at, partial& part) {
    if (!part.collatz || !part.divisors) return;
    log.latency.record(static_cast<std::uint64_t>((clock_type::now() - posted_at).count()));
    if (id >= log.solved.size()) log.solved.resize(id + 1);
    solved_record& r = log.solved[id];
    ++r.times;
    r.value = part.value;
    r.value.id = id;
    open.erase(id);
    actors::publish(broker, state->topics->solutions, r.value);
    if (++solved_count % progress_batch == 0) state->meter->add(progress_batch);
  }

  shared* state;
  ref<topic_broker> broker;
  std::unordered_map<std::uint64_t, partial> open;
  std::uint32_t producers_done = 0;
  std::uint64_t solved_count = 0;
  assembler_log log;
};

// ---- the check ----

// Divisor counts and sums of 0..n by a sieve: independent of the agents' factoring, and a few
// milliseconds for every number a problem can be.
struct divisor_table {
  explicit divisor_table(std::uint32_t n) : count(n + 1, 0), sum(n + 1, 0) {
    for (std::uint32_t d = 1; d <= n; ++d) {
      for (std::uint32_t m = d; m <= n; m += d) {
        ++count[m];
        sum[m] += d;
      }
    }
  }
  std::vector<std::uint32_t> count;
  std::vector<std::uint64_t> sum;
};

struct verdict {
  std::uint64_t posted = 0, missing = 0, twice = 0, wrong = 0, not_seen_once = 0, unposted = 0;
};

verdict check(const shared& state) {
  const assembler_log& a = state.assembler;
  const divisor_table divisors(largest_number);
  verdict v;
  std::vector<bool> posted(a.solved.size(), false);
  for (std::uint32_t p = 0; p < producer_count; ++p) {
    const producer_log& log = state.producers[p];
    v.posted += log.posted;
    for (std::uint64_t k = 0; k < log.posted; ++k) {
      const std::uint64_t id = k * producer_count + p;
      if (log.seen[k] != 1) ++v.not_seen_once;
      if (id >= a.solved.size() || a.solved[id].times == 0) {
        ++v.missing;
        continue;
      }
      posted[id] = true;
      const solved_record& r = a.solved[id];
      if (r.times > 1) ++v.twice;
      const std::uint32_t n = number_of(id);
      if (r.value.collatz != collatz_length(n) || r.value.divisors.count != divisors.count[n] ||
          r.value.divisors.sum != divisors.sum[n]) {
        ++v.wrong;
      }
    }
  }
  for (std::uint64_t id = 0; id < a.solved.size(); ++id) {
    if (a.solved[id].times > 0 && !posted[id]) ++v.unposted;
  }
  return v;
}

std::string validate(const topology_params& p) {
  if (p.agents % 3 != 0) {
    return "--agents must be a multiple of 3: a factorizer, a Collatz solver and a divisor "
           "counter per shard";
  }
  return {};
}

outcome run(actor_system& system, const topology_params& params, progress& meter) {
  const auto shards = static_cast<std::uint32_t>(params.agents / 3);
  board topics;
  for (std::uint32_t s = 0; s < shards; ++s) {
    std::string name = "problems/";
    name += std::to_string(s);
    topics.problems.emplace_back(name);
    name = "factors/";
    name += std::to_string(s);
    topics.factors.emplace_back(name);
  }
  shared state{&params,
               &meter,
               &topics,
               {},
               shards,
               {},
               std::vector<producer_log>(producer_count),
               std::vector<std::uint64_t>(params.agents, 0)};
  meter.set_total(params.messages);

  // Everyone subscribes before the first problem: the subscriptions are sent from this thread
  // before the producers are told to start, so the broker has them before any publication.
  ref<topic_broker> broker = system.spawn<topic_broker>();
  auto boss = system.spawn<assembler>(&state, broker);
  actors::subscribe(broker, topics.collatz, boss);
  actors::subscribe(broker, topics.divisors, boss);
  actors::subscribe(broker, topics.done, boss);
  std::size_t slot = 0;
  for (std::uint32_t s = 0; s < shards; ++s) {
    auto f = system.spawn<factorizer>(&state, slot++, broker, topics.factors[s]);
    actors::subscribe(broker, topics.problems[s], f);
    actors::subscribe(broker, topics.close, f);
    auto c = system.spawn<collatz_solver>(&state, slot++, broker, topics.collatz);
    actors::subscribe(broker, topics.problems[s], c);
    actors::subscribe(broker, topics.close, c);
    auto d = system.spawn<divisor_counter>(&state, slot++, broker, topics.divisors);
    actors::subscribe(broker, topics.factors[s], d);
    actors::subscribe(broker, topics.close, d);
  }
  std::vector<ref<producer>> producers;
  for (std::uint32_t p = 0; p < producer_count; ++p) {
    producers.push_back(system.spawn<producer>(&state, p, broker));
    actors::subscribe(broker, topics.solutions, producers.back());
  }
  state.start = clock_type::now();
  for (const ref<producer>& p : producers)
    p.send(start_posting{});
  // From here the agents keep each other (and the broker) alive until the board closes.
  producers.clear();
  boss.reset();
  broker.reset();
  system.await_all_actors_done();

  const assembler_log& a = state.assembler;
  const verdict v = check(state);
  std::uint64_t parts = 0;
  for (std::uint64_t made : state.parts_made)
    parts += made;
  outcome o;
  o.elapsed = a.closed_at - state.start;
  o.completed = v.posted - v.missing;
  // Per problem: the problem published and delivered to 2 specialists, each of the 3 parts
  // published and delivered once, the solution published and delivered to every producer.
  // Then each producer's "done" to the assembler, and the close to every specialist.
  o.messages = v.posted * (3 + 3 * 2 + 1 + producer_count) + 2 * producer_count + 1 + params.agents;
  o.stopped_early = params.time_limit.count() > 0 && v.posted < params.messages;
  o.latency = a.latency;
  o.invariant_held = v.missing == 0 && v.twice == 0 && v.wrong == 0 && v.not_seen_once == 0 &&
                     v.unposted == 0 && a.duplicate_parts == 0 && a.closes == 1 &&
                     parts == 3 * v.posted && (v.posted == params.messages || o.stopped_early);
  o.invariant = std::to_string(v.posted);
  o.invariant += " problems published; unsolved ";
  o.invariant += std::to_string(v.missing);
  o.invariant += ", solved twice ";
  o.invariant += std::to_string(v.twice);
  o.invariant += ", wrong ";
  o.invariant += std::to_string(v.wrong);
  o.invariant += ", not seen exactly once by their producer ";
  o.invariant += std::to_string(v.not_seen_once);
  o.invariant += ", solved but never published ";
  o.invariant += std::to_string(v.unposted);
  o.invariant += ", duplicate parts ";
  o.invariant += std::to_string(a.duplicate_parts);
  o.invariant += "; ";
  o.invariant += std::to_string(parts);
  o.invariant += " parts made (3 per problem)";
  o.figures = {
      {"shards (a factorizer, a Collatz solver, a divisor counter each)",
       static_cast<double>(shards)},
      {"producers", static_cast<double>(producer_count)},
      {"parts published per problem", static_cast<double>(parts) / std::max<double>(1, v.posted)},
  };
  return o;
}

}  // namespace

extern const topology blackboard_topology;
const topology blackboard_topology{
    .name = "blackboard",
    .summary = "specialists cooperate through pub/sub topics, each solving part of a problem",
    .unit = "problems",
    .latency_of = "a problem published to its solution assembled",
    .agents_help = "specialists, a multiple of 3: three per shard",
    .default_agents = 12,
    .messages_help = "problems",
    .default_messages = 500'000,
    .time_limited = true,
    .validate = validate,
    .run = run,
};

}  // namespace jaegis::samples
