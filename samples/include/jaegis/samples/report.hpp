#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "jaegis/samples/topology.hpp"
#include "jaegis/schedulers/worker_counters.hpp"

namespace jaegis::samples {

/// Everything the runner says about one run.
struct run_report {
  const topology* topo = nullptr;
  topology_params params;
  std::size_t workers = 0;
  std::string executor;  ///< "work-stealing", "sharing", "deterministic"
  outcome result;
  /// What each worker did during the run: the executor's counters after minus before.
  std::vector<sched::worker_counters> workers_delta;
};

/// Each worker's counters after minus before (counters are cumulative).
std::vector<sched::worker_counters> counters_delta(
    const std::vector<sched::worker_counters>& before,
    const std::vector<sched::worker_counters>& after);

/// The report as text for a person.
void print_report(std::FILE* out, const run_report& report);

/// The same report as a JSON object.
std::string report_json(const run_report& report);

/// "1.23 ms", "456 us", "78 ns": a duration in nanoseconds, three significant digits.
std::string format_duration(double nanoseconds);

/// "12.3k", "4.56M": a count or a rate, three significant digits.
std::string format_count(double value);

}  // namespace jaegis::samples
