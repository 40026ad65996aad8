#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "jaegis/samples/node_option.hpp"

namespace jaegis::samples {

/// The command line of jaegis-samples, as given (unset fields take the topology's defaults).
struct run_options {
  std::string topology;
  std::optional<std::uint64_t> agents;
  std::optional<std::uint64_t> messages;
  std::optional<std::size_t> workers;
  std::optional<double> seconds;
  std::string json_path;            ///< empty: no JSON report
  std::optional<node_option> node;  ///< --node: one side of a two-process run
  bool help = false;
};

/// The largest values the flags take: beyond them a run would not fit in memory or in a day.
inline constexpr std::uint64_t max_agents = 10'000'000;
inline constexpr std::uint64_t max_messages = 1'000'000'000'000;
inline constexpr std::size_t max_workers = 1024;
inline constexpr double max_seconds = 86'400;

/// Either the options, or one line saying what is wrong with the command line.
struct parsed_options {
  std::optional<run_options> options;
  std::string error;
};

/// Parses `args` (without the program name): one topology name out of `topologies`, and the
/// flags `--agents N`, `--messages M`, `--workers W`, `--seconds S`, `--json FILE`, `--node ...`
/// (node_option.hpp; all also written
/// `--flag=value`), `--help` / `-h`. A flag given twice takes its last value (so that a script can
/// pass defaults before "$@"). With --help anywhere nothing else is checked.
parsed_options parse_options(std::span<const std::string_view> args,
                             std::span<const std::string_view> topologies);

/// The --help text: usage, flags, and each topology with its one-line summary.
std::string usage_text();

}  // namespace jaegis::samples
