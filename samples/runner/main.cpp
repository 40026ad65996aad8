// jaegis-samples: runs one sample coordination topology and reports on it.
//
//   jaegis-samples <topology> [--agents N] [--messages M] [--workers W] [--seconds S] [--json FILE]
//                  [--node listen:PORT | connect:HOST:PORT | listen:shm:///PATH |
//                          connect:shm:///PATH | both | both:shm]
//
// The runner is generic: it parses the flags, builds an actor system, shows progress while the
// topology runs, and prints the report (throughput, latency percentiles, each worker's runs,
// steals and parks, the invariant). The topologies themselves are in samples/topologies/. With
// --node the run spans two processes (node_runner.hpp).
//
// Exit status: 0 if the topology's invariant held, 1 if not (or the run failed), 2 on a bad
// command line or environment.

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/catalog.hpp"
#include "jaegis/samples/options.hpp"
#include "jaegis/samples/remote_mode.hpp"
#include "jaegis/samples/report.hpp"
#include "node_runner.hpp"
#include "progress_line.hpp"

namespace {

using namespace jaegis::samples;

constexpr int exit_held = 0;
constexpr int exit_violated = 1;
constexpr int exit_usage = 2;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "jaegis-samples: %s\n", message.c_str());
  return exit_usage;
}

const char* kind_name(jaegis::sched::executor_kind kind) {
  switch (kind) {
    case jaegis::sched::executor_kind::work_stealing:
      return "work-stealing";
    case jaegis::sched::executor_kind::sharing:
      return "sharing";
    case jaegis::sched::executor_kind::deterministic:
      return "deterministic";
  }
  return "?";
}

int run(const run_options& options) {
  const topology& topo = *find_topology(options.topology);
  const bool remote = options.node.has_value();
  if (remote && topo.remote == nullptr) {
    std::string m(topo.name);
    m += " has no two-process variant; --node works with:";
    for (const topology* t : catalog()) {
      if (t->remote != nullptr) {
        m += ' ';
        m += t->name;
      }
    }
    return usage_error(m);
  }

  topology_params params;
  params.agents =
      options.agents.value_or(remote ? topo.remote->default_agents : topo.default_agents);
  params.messages =
      options.messages.value_or(remote ? topo.remote->default_messages : topo.default_messages);
  if (options.seconds) {
    if (!topo.time_limited) {
      std::fprintf(stderr,
                   "jaegis-samples: note: %s runs its planned work to the end; --seconds "
                   "does not apply to it\n",
                   std::string(topo.name).c_str());
    } else {
      params.time_limit = std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(*options.seconds));
    }
  }
  if (topo.validate != nullptr) {
    if (std::string why = topo.validate(params); !why.empty()) {
      std::string m(topo.name);
      m += ": ";
      m += why;
      return usage_error(m);
    }
  }

  jaegis::actor_system_config config;
  try {
    config = jaegis::actor_system_config::from_env();
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
  if (options.workers) config.executor.workers = *options.workers;
  if (remote && options.node->side == node_option::role::listen) {
    return serve_node(options, topo, config);
  }

  // Opened before the run, so that an unwritable path fails at once, not after it.
  std::ofstream json;
  if (!options.json_path.empty()) {
    json.open(options.json_path);
    if (!json) {
      std::string m = "cannot write the JSON report to '";
      m += options.json_path;
      m += "'";
      return usage_error(m);
    }
  }

  // --node both: the listening copy starts before this process has any other thread (it forks).
  // Declared before the system, so that every way out of here kills and reaps it last.
  std::unique_ptr<peer_process> listener;
  node_option where = remote ? *options.node : node_option{};
  if (remote && where.side == node_option::role::both) {
    listener = start_listener(options);
    where = listener->target();
  }

  jaegis::actor_system system(config);
  node_connection link;  // after the system: the node goes first
  if (remote) link = connect_node(system, where);
  run_report report;
  report.topo = &topo;
  report.params = params;
  report.workers = system.executor().worker_count();
  report.executor = kind_name(config.executor.kind);

  std::printf("jaegis-samples %s: --agents %llu --messages %llu, %zu worker%s (%s)\n",
              std::string(topo.name).c_str(), static_cast<unsigned long long>(params.agents),
              static_cast<unsigned long long>(params.messages), report.workers,
              report.workers == 1 ? "" : "s", report.executor.c_str());
  if (remote) {
    std::printf("node        connected to %s, node %llx; every message crosses the connection\n",
                address_text(where).c_str(), static_cast<unsigned long long>(link.peer.node_id));
  }
  std::fflush(stdout);

  // The live line goes to a terminal, stderr first (stdout may be the report's file).
  const bool err_tty = isatty(STDERR_FILENO) == 1;
  const bool out_tty = isatty(STDOUT_FILENO) == 1;
  std::FILE* progress_out = err_tty || !out_tty ? stderr : stdout;

  progress meter;
  const std::vector<jaegis::sched::worker_counters> before = system.executor().counters();
  {
    progress_line line(meter, std::string(topo.name), std::string(topo.unit), progress_out,
                       err_tty || out_tty, params.time_limit);
    report.result = remote ? topo.remote->drive(system, *link.node, link.peer, params, meter)
                           : topo.run(system, params, meter);
  }
  report.workers_delta = counters_delta(before, system.executor().counters());

  print_report(stdout, report);
  std::string listener_failed;
  if (remote) {
    link.node->shutdown();  // a goodbye: the listening side sees the connection close at once
    if (listener) listener_failed = listener->finish(listener_timeout, stdout, "listener    ");
  }
  if (json.is_open()) {
    json << report_json(report);
    json.close();
    if (!json) {
      std::fprintf(stderr, "jaegis-samples: writing '%s' failed\n", options.json_path.c_str());
      return exit_violated;
    }
  }
  if (!listener_failed.empty()) {
    std::fprintf(stderr, "jaegis-samples: %s\n", listener_failed.c_str());
    return exit_violated;
  }
  return report.result.invariant_held ? exit_held : exit_violated;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  std::vector<std::string_view> names;
  for (const topology* t : catalog())
    names.push_back(t->name);

  const parsed_options parsed = parse_options(args, names);
  if (!parsed.options) return usage_error(parsed.error);
  if (parsed.options->help) {
    std::fputs(usage_text().c_str(), stdout);
    return exit_held;
  }
  try {
    return run(*parsed.options);
  } catch (const std::invalid_argument& e) {  // a bad JAEGIS_SECRET, a non-loopback listen
    return usage_error(e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jaegis-samples: %s failed: %s\n", parsed.options->topology.c_str(),
                 e.what());
    return exit_violated;
  }
}
