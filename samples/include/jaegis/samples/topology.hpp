#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jaegis/framework/actor_system.hpp"
#include "jaegis/samples/histogram.hpp"
#include "jaegis/samples/progress.hpp"

namespace jaegis::samples {

using clock_type = std::chrono::steady_clock;

/// What a run of a topology is asked to do. The runner fills in every field (the topology's
/// defaults where the user gave no flag); tests fill them in directly.
struct topology_params {
  std::uint64_t agents = 0;    ///< what an agent is depends on the topology (its `agents_help`)
  std::uint64_t messages = 0;  ///< likewise (its `messages_help`)
  /// Stop starting new work this long after the start (topologies with `time_limited`); 0: none.
  std::chrono::nanoseconds time_limit{0};

  /// True once `time_limit` has passed since `start` (never without a limit).
  bool time_is_up(clock_type::time_point start) const {
    return time_limit.count() > 0 && clock_type::now() - start >= time_limit;
  }
};

/// A figure a topology adds to its report beside the common ones ("re-announced tasks": 12).
struct named_figure {
  std::string name;
  double value = 0;
};

/// What a run produced. The runner turns it into the report.
struct outcome {
  std::uint64_t completed = 0;          ///< units of work done (the topology's `unit`)
  std::uint64_t messages = 0;           ///< actor messages sent during the measured phase
  std::chrono::nanoseconds elapsed{0};  ///< the measured phase: from the first message to the last
  latency_histogram latency;            ///< nanoseconds; see the topology's `latency_of`
  bool invariant_held = false;
  std::string invariant;       ///< what was checked and what was found, in one sentence
  bool stopped_early = false;  ///< the time limit cut the planned work short
  std::vector<named_figure> figures;
};

struct remote_mode;  // remote_mode.hpp

/// A sample coordination topology: a name, a description for --help and the README, defaults,
/// and the function that builds it on a running actor system, runs it to the end (every actor it
/// spawned has quit when it returns) and checks its invariant.
struct topology {
  std::string_view name;
  std::string_view summary;     ///< one line for --help
  std::string_view unit;        ///< what `outcome::completed` counts, plural ("round trips")
  std::string_view latency_of;  ///< what one latency sample measures
  std::string_view agents_help;
  std::uint64_t default_agents = 0;
  std::string_view messages_help;
  std::uint64_t default_messages = 0;
  bool time_limited = false;  ///< honours --seconds
  /// An error message for parameters this topology cannot run with, or "" (nullptr: any).
  std::string (*validate)(const topology_params&) = nullptr;
  outcome (*run)(actor_system&, const topology_params&, progress&) = nullptr;
  /// The same across two processes (the runner's --node), or nullptr: none.
  const remote_mode* remote = nullptr;
};

}  // namespace jaegis::samples
