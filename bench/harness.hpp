#pragma once

#include "jaegis/schedulers/cpu_relax.hpp"
#include "jaegis/schedulers/topology.hpp"

// The benchmark harness: command line, rounds, the results table and the JSON file. It knows
// nothing of what it measures, so that jaegis-microbench (the scheduler layer) and the later
// jaegis-bench (JAEGIS beside CAF) share it.
//
// A workload is a function that runs its own rounds (it interleaves the variants it compares,
// A B A B ..., so that a disturbance of the machine hits all of them alike) and reports one value
// per figure per round. The harness prints, per figure, the median, min and max over the rounds,
// and writes the median to the JSON file.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jaegis::bench {

/// Monotonic nanoseconds. steady_clock is clock_gettime(CLOCK_MONOTONIC) through the vDSO: no
/// system call where the clock source is the TSC (check /sys/.../current_clocksource).
inline std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

/// The body of a busy-wait loop: the scheduler layer's.
using sched::cpu_relax;

/// The cpus this process may run on, and pinning a thread to one: the scheduler layer's.
using sched::allowed_cpus;
using sched::pin_this_thread;
/// "0.52 0.61 0.70": the load averages, to judge how quiet the machine was.
std::string load_average();

struct options {
  unsigned rounds = 5;
  bool quick = false;
  std::size_t workers = 0;  ///< resolved to the allowed cpu count when 0
  bool pin = true;          ///< pin the benchmark's own threads (floor, deque, cross pingpong)
  std::string json_path;
  std::vector<std::string> only;  ///< workloads named on the command line; empty: all
};

/// Every figure of a run, in the order first reported.
class results {
 public:
  void add(std::string_view workload, std::string_view impl, std::string_view metric,
           std::string_view unit, double value);

  /// The figures of one workload: impl, metric, unit, median, min, max, rounds, and for a figure
  /// that a floor figure of the same workload and metric bounds, the ratio of their medians.
  void print_table(std::ostream& out, std::string_view workload) const;
  /// A JSON array of {"workload","impl","metric","value","unit"}, value = the median over rounds.
  void write_json(std::ostream& out) const;

 private:
  struct row {
    std::string workload, impl, metric, unit;
    std::vector<double> values;
  };
  std::vector<row> rows_;
};

/// What a workload gets: the options and where to put its figures.
class context {
 public:
  context(const options& opt, results& out, std::string_view workload)
      : opt_(opt), out_(out), workload_(workload) {}

  const options& opt() const noexcept { return opt_; }
  unsigned rounds() const noexcept { return opt_.rounds; }
  bool quick() const noexcept { return opt_.quick; }
  std::size_t workers() const noexcept { return opt_.workers; }
  /// `full` normally, `quick` under --quick.
  std::uint64_t size(std::uint64_t full, std::uint64_t quick) const noexcept {
    return opt_.quick ? quick : full;
  }

  /// Records one round's value of a figure.
  void report(std::string_view impl, std::string_view metric, std::string_view unit, double value) {
    out_.add(workload_, impl, metric, unit, value);
  }
  /// A line printed under the workload's table (counters, checks, remarks).
  void note(std::string line) { notes_.push_back(std::move(line)); }
  const std::vector<std::string>& notes() const noexcept { return notes_; }

 private:
  const options& opt_;
  results& out_;
  std::string workload_;
  std::vector<std::string> notes_;
};

struct workload {
  std::string name;
  std::string summary;
  std::function<void(context&)> run;
};

/// Parses the command line, runs the selected workloads in order, prints their tables and writes
/// the JSON file. Returns the process exit status.
int run_main(int argc, char** argv, std::string_view program, std::span<const workload> workloads);

}  // namespace jaegis::bench
