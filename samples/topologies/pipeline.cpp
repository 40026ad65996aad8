// pipeline: items flow through a chain of stages with backpressure (actors/ pipeline.hpp).
//
// A source pulls numbered items; N stages each scramble an item's value with a key of their own
// (one round of a hash); a sink checks each item as it comes out. Every link (source -> stage 1
// -> ... -> stage N -> sink) carries at most `window` items at a time: the sender sends each
// item as a request and sends no more while `window` are unacknowledged, and a stage
// acknowledges an item only once it has sent the result on. So a slow stage slows everything in
// front of it down, and the items between the source and the sink never exceed the sum of the
// windows, (N + 1) * window, whatever the number of items. The run measures that number at every
// pull (items pulled minus items consumed) and reports its maximum beside the bound.
//
// After the last item the source sends end_of_stream, which each stage passes on after its last
// result; the source stops once everything it sent was acknowledged, and the stages and the sink,
// each referenced only by the one before it, stop in turn (unreachable).
//
//   --agents    stages between the source and the sink (default 8)
//   --messages  items (default 1,000,000)
//   --seconds   stop pulling new items after this long
//   invariant   every item reached the sink exactly once, in order, with the value the N
//               transformations give, the end came after the last item, and the items in the
//               pipeline never exceeded (N + 1) * window
//
// Latency: from an item's pull at the source to its arrival at the sink.

#include "jaegis/actors/pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/topology.hpp"

namespace jaegis::samples {

namespace {

using actors::link_options;

// Items per link: the pattern's default, enough to hide one scheduling round trip between two
// actors on different workers.
constexpr std::size_t window = 16;
// Progress and the time limit are looked at every this many items: one shared add per ~1 ms.
constexpr std::uint64_t progress_batch = 1024;

// A hash used as each stage's transformation (splitmix64's finalizer).
constexpr std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
// What stage k (0-based) does to a value.
constexpr std::uint64_t transform(std::uint64_t value, std::uint64_t k) {
  return mix(value ^ (k + 1));
}

struct item {
  std::uint64_t seq;    // 0, 1, 2, ... in pull order
  std::uint64_t value;  // starts as seq; each stage transforms it
  clock_type::time_point pulled_at;
};

// What the sink found, written by the sink only and read after the run.
struct sink_log {
  std::uint64_t received = 0;
  std::uint64_t out_of_order = 0;  // an item whose number is not the next one expected
  std::uint64_t wrong_value = 0;
  std::uint64_t ends = 0;  // end_of_stream arrivals: must be 1
  std::uint64_t received_at_end = 0;
  clock_type::time_point ended_at;
  latency_histogram latency;
};

struct shared {
  const topology_params* params;
  progress* meter;
  clock_type::time_point start;
  std::uint64_t stages = 0;
  // Written by the source only.
  std::uint64_t pulled = 0;
  std::uint64_t max_in_pipeline = 0;
  // Incremented by the sink as it consumes, read by the source at every pull.
  std::atomic<std::uint64_t> consumed{0};
  sink_log sink;
};

// The source's pull: the next item, or nullopt once all are out (or the time is up). Also
// measures the items between the source and the sink, this one included.
std::optional<item> pull(shared& s) {
  if (s.pulled == s.params->messages) return std::nullopt;
  if (s.pulled % progress_batch == 0 && s.params->time_is_up(s.start)) return std::nullopt;
  const std::uint64_t seq = s.pulled++;
  // relaxed: every consumption the source's credits depend on happened before this pull (through
  // the acknowledgement messages), and a load returns no older value than a store that happened
  // before it (write-read coherence); a newer one only makes the figure smaller.
  const std::uint64_t in_pipeline = s.pulled - s.consumed.load(std::memory_order_relaxed);
  s.max_in_pipeline = std::max(s.max_in_pipeline, in_pipeline);
  return item{seq, seq, clock_type::now()};
}

void consume(shared& s, const item& x) {
  sink_log& log = s.sink;
  log.latency.record(static_cast<std::uint64_t>((clock_type::now() - x.pulled_at).count()));
  if (x.seq != log.received) ++log.out_of_order;
  std::uint64_t expected = x.seq;
  for (std::uint64_t k = 0; k < s.stages; ++k)
    expected = transform(expected, k);
  if (x.value != expected) ++log.wrong_value;
  ++log.received;
  // relaxed: a count the source reads for its measurement only (see pull()).
  s.consumed.fetch_add(1, std::memory_order_relaxed);
  if (log.received % progress_batch == 0) s.meter->add(progress_batch);
}

void finish(shared& s) {
  sink_log& log = s.sink;
  if (log.ends++ == 0) {
    log.received_at_end = log.received;
    log.ended_at = clock_type::now();
    s.meter->add(log.received % progress_batch);
  }
}

outcome run(actor_system& system, const topology_params& params, progress& meter) {
  shared state;
  state.params = &params;
  state.meter = &meter;
  state.stages = params.agents;
  meter.set_total(params.messages);

  // Built from the sink back, each piece holding a ref to the next. Once the source is spawned
  // it pulls at once, so the clock starts just before.
  const link_options link{.window = window};
  actor_ref next = system.spawn<actors::sink<item>>([&state](item& x) { consume(state, x); },
                                                    [&state] { finish(state); });
  for (std::uint64_t k = params.agents; k-- > 0;) {
    next = system.spawn<actors::stage<item, item>>(
        [k](item& x) {
          x.value = transform(x.value, k);
          return x;
        },
        std::move(next), link);
  }
  state.start = clock_type::now();
  system.spawn<actors::source<item>>([&state] { return pull(state); }, std::move(next), link);
  system.await_all_actors_done();

  const sink_log& log = state.sink;
  const std::uint64_t links = params.agents + 1;
  const std::uint64_t bound = links * window;
  outcome o;
  o.elapsed = log.ended_at - state.start;
  o.completed = log.received;
  o.messages = 2 * links * state.pulled + links;  // each item as a request and its ack; the end
  o.stopped_early = params.time_limit.count() > 0 && state.pulled < params.messages;
  o.latency = log.latency;
  o.invariant_held = log.received == state.pulled && log.out_of_order == 0 &&
                     log.wrong_value == 0 && log.ends == 1 && log.received_at_end == state.pulled &&
                     state.max_in_pipeline <= bound &&
                     (state.pulled == params.messages || o.stopped_early);
  o.invariant = std::to_string(state.pulled);
  o.invariant += " items pulled, ";
  o.invariant += std::to_string(log.received);
  o.invariant += " reached the sink (";
  o.invariant += std::to_string(log.received_at_end);
  o.invariant += " before the end, which came ";
  o.invariant += std::to_string(log.ends);
  o.invariant += " time(s)); out of order ";
  o.invariant += std::to_string(log.out_of_order);
  o.invariant += ", wrong values ";
  o.invariant += std::to_string(log.wrong_value);
  o.invariant += "; at most ";
  o.invariant += std::to_string(state.max_in_pipeline);
  o.invariant += " items in the pipeline, bound ";
  o.invariant += std::to_string(bound);
  o.figures = {
      {"stages", static_cast<double>(params.agents)},
      {"window per link", static_cast<double>(window)},
      {"most items in the pipeline", static_cast<double>(state.max_in_pipeline)},
      {"bound, (stages + 1) * window", static_cast<double>(bound)},
  };
  return o;
}

}  // namespace

extern const topology pipeline_topology;
const topology pipeline_topology{
    .name = "pipeline",
    .summary = "items through a chain of stages with credit windows: backpressure, in order",
    .unit = "items",
    .latency_of = "an item pulled at the source to its arrival at the sink",
    .agents_help = "stages between the source and the sink",
    .default_agents = 8,
    .messages_help = "items",
    .default_messages = 1'000'000,
    .time_limited = true,
    .validate = nullptr,
    .run = run,
};

}  // namespace jaegis::samples
