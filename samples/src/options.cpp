#include "jaegis/samples/options.hpp"

#include <charconv>
#include <cmath>
#include <sstream>
#include <system_error>
#include <variant>

#include "jaegis/samples/catalog.hpp"
#include "jaegis/samples/remote_mode.hpp"

namespace jaegis::samples {

namespace {

std::string join(std::span<const std::string_view> names) {
  std::string s;
  for (std::string_view n : names) {
    if (!s.empty()) s += ", ";
    s += n;
  }
  return s;
}

// A whole number in [1, most], all of `text`; nothing else (no sign, no spaces, no suffix).
std::optional<std::uint64_t> parse_count(std::string_view text, std::uint64_t most) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > most) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parse_seconds(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
      value <= 0 || value > max_seconds) {
    return std::nullopt;
  }
  return value;
}

std::string bad_count(std::string_view flag, std::uint64_t most, std::string_view text) {
  std::ostringstream s;
  s << flag << " needs a whole number from 1 to " << most << ", not '" << text << "'";
  return s.str();
}

}  // namespace

parsed_options parse_options(std::span<const std::string_view> args,
                             std::span<const std::string_view> topologies) {
  run_options o;
  auto fail = [](std::string message) { return parsed_options{std::nullopt, std::move(message)}; };

  // --help anywhere wins: whoever asks for help gets it, whatever else the line holds.
  for (std::string_view arg : args) {
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      return {o, {}};
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (!arg.starts_with("-")) {
      if (!o.topology.empty()) {
        std::string m = "one topology at a time, not '";
        m += o.topology;
        m += "' and '";
        m += arg;
        m += "'";
        return fail(m);
      }
      o.topology = arg;
      continue;
    }
    // --flag value, or --flag=value
    std::string_view flag = arg;
    std::optional<std::string_view> value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (flag != "--agents" && flag != "--messages" && flag != "--workers" && flag != "--seconds" &&
        flag != "--json" && flag != "--node") {
      std::string m = "unknown flag '";
      m += arg;
      m += "' (see --help)";
      return fail(m);
    }
    if (!value) {
      if (i + 1 == args.size()) {
        std::string m(flag);
        m += " needs a value (see --help)";
        return fail(m);
      }
      value = args[++i];
    }
    const std::string_view v = *value;
    if (flag == "--agents") {
      o.agents = parse_count(v, max_agents);
      if (!o.agents) return fail(bad_count(flag, max_agents, v));
    } else if (flag == "--messages") {
      o.messages = parse_count(v, max_messages);
      if (!o.messages) return fail(bad_count(flag, max_messages, v));
    } else if (flag == "--workers") {
      const auto w = parse_count(v, max_workers);
      if (!w) return fail(bad_count(flag, max_workers, v));
      o.workers = static_cast<std::size_t>(*w);
    } else if (flag == "--seconds") {
      o.seconds = parse_seconds(v);
      if (!o.seconds) {
        std::ostringstream s;
        s << "--seconds needs a number of seconds above 0 and at most " << max_seconds << ", not '"
          << v << "'";
        return fail(s.str());
      }
    } else if (flag == "--node") {
      auto node = parse_node_option(v);
      if (auto* why = std::get_if<std::string>(&node)) return fail(*why);
      o.node = std::get<node_option>(node);
    } else {
      if (v.empty()) return fail("--json needs a file name");
      o.json_path = v;
    }
  }

  if (o.topology.empty()) {
    std::string m = "no topology given; one of: ";
    m += join(topologies);
    return fail(m);
  }
  bool known = false;
  for (std::string_view t : topologies)
    known = known || t == o.topology;
  if (!known) {
    std::string m = "unknown topology '";
    m += o.topology;
    m += "'; one of: ";
    m += join(topologies);
    return fail(m);
  }
  return {o, {}};
}

std::string usage_text() {
  std::ostringstream s;
  s << "usage: jaegis-samples <topology> [--agents N] [--messages M] [--workers W] [--seconds S]\n"
       "                      [--json FILE] [--node listen:PORT | connect:HOST:PORT | both]\n"
       "                      [--node listen:shm:///PATH | connect:shm:///PATH | both:shm]\n"
       "\n"
       "Runs one sample coordination topology of agents, shows its progress, and reports its\n"
       "throughput, latency percentiles, the workers' runs, steals and parks, and whether the\n"
       "topology's invariant held (exit status 0 if it did, 1 if not, 2 on a bad command line).\n"
       "\n"
       "topologies:\n";
  for (const topology* t : catalog())
    s << "  " << t->name << std::string(16 - std::min<std::size_t>(15, t->name.size()), ' ')
      << t->summary << "\n";
  s << "\n"
       "flags (what agents and messages mean depends on the topology; samples/README.md):\n"
       "  --agents N     how many agents (default: the topology's)\n"
       "  --messages M   how much work: round trips, hops, meetings, tasks, words, items, "
       "problems\n"
       "  --workers W    executor worker threads (default: JAEGIS_WORKERS, else one per cpu)\n"
       "  --seconds S    stop starting new work after S seconds (where a topology allows it)\n"
       "  --json FILE    also write the report as JSON to FILE\n"
       "  --node SIDE    run across two processes over TCP (samples/README.md, \"Across two\n"
       "                 processes\"): listen:PORT serves the remote half (PORT 0 picks one and\n"
       "                 prints it; listen:HOST:PORT binds HOST), connect:HOST:PORT runs the\n"
       "                 topology against it and reports, both starts a listening copy of this\n"
       "                 program and connects to it. Over shared memory instead:\n"
       "                 listen:shm:///PATH and connect:shm:///PATH meet at the Unix socket PATH\n"
       "                 (absolute); both:shm picks /tmp/jaegis-samples-<pid>.sock\n"
       "  --help         this text\n"
       "\n"
       "defaults per topology:\n";
  for (const topology* t : catalog()) {
    s << "  " << t->name << ": --agents " << t->default_agents << " (" << t->agents_help
      << "), --messages " << t->default_messages << " (" << t->messages_help << ")"
      << (t->time_limited ? "" : "; --seconds does not apply") << "\n";
  }
  s << "\n"
       "across two processes (--node); other topologies refuse it:\n";
  for (const topology* t : catalog()) {
    if (t->remote == nullptr) continue;
    s << "  " << t->name << ": the listening process serves " << t->remote->served
      << "; defaults --agents " << t->remote->default_agents << ", --messages "
      << t->remote->default_messages << " (smaller than one process's: every message crosses "
      << "the connection)\n";
  }
  return s.str();
}

}  // namespace jaegis::samples
