#include "node_runner.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "jaegis/samples/remote_mode.hpp"
#include "jaegis/transports/shm_transport.hpp"

namespace jaegis::samples {

namespace {

using namespace std::chrono_literals;

constexpr int exit_held = 0;
constexpr int exit_failed = 1;

}  // namespace

int serve_node(const run_options& options, const topology& topo, actor_system_config config) {
  if (options.agents || options.messages || options.seconds || !options.json_path.empty()) {
    std::fprintf(stderr,
                 "jaegis-samples: note: the connecting side chooses --agents, --messages and "
                 "--seconds and writes the report; --node listen ignores them\n");
  }
  const node_option& where = *options.node;
  serve_session session;  // before the system: its actors may call it until they stop
  actor_system system(config);
  remote_node_config node_config = remote_node_config::from_env();
  // Once the run is over, the connecting side's goodbye is the expected end, not news.
  node_config.log = [&session](std::string_view line) {
    if (!session.over()) std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  };
  auto node = std::make_unique<remote_node>(system, node_config);
  topo.remote->serve(system, *node, session);
  if (where.via == node_option::carrier::shm) {
    node->add_transport(transports::make_shm_transport());
    node->listen("shm", where.path, 0);
    std::printf("%s\n", listening_line(where).c_str());
  } else {
    const std::uint16_t port = node->listen(where.host, where.port);
    std::printf("%s\n", listening_line(where.host, port).c_str());
  }
  std::fflush(stdout);

  // Until the run is over; a peer that came and went without saying so failed it. The node
  // reports no connection events to its owner, so its counters are polled: nodes_down counts
  // established connections that closed, however briefly they lasted.
  std::optional<std::string> summary;
  while (!(summary = session.wait_for(100ms))) {
    if (node->stats().nodes_down > 0) {
      summary = session.wait_for(0ms);  // told just before it went?
      break;
    }
  }
  // The connecting side closes first (its goodbye, unlogged once the run is over), so that its
  // own node does not log this one going away; a peer that lingers is cut off after a while.
  for (int i = 0; summary && i < 100 && node->stats().nodes_down == 0; ++i)
    std::this_thread::sleep_for(100ms);
  node->shutdown();
  node.reset();
  if (!summary) {
    std::printf("jaegis-samples: %s: the connecting process went away before the run was over\n",
                std::string(topo.name).c_str());
    return exit_failed;
  }
  std::printf("jaegis-samples: %s\n", summary->c_str());
  return exit_held;
}

std::unique_ptr<peer_process> start_listener(const run_options& options) {
  std::string listen = "listen:0";
  std::string socket_path;
  if (options.node->via == node_option::carrier::shm) {
    // This process's id makes the path unique among live runs; a file left by a dead run with
    // the same id is a socket nobody listens on, which the carrier replaces.
    socket_path = "/tmp/jaegis-samples-";
    socket_path += std::to_string(getpid());
    socket_path += ".sock";
    listen = "listen:shm://";
    listen += socket_path;
  }
  std::vector<std::string> args{options.topology, "--node", listen};
  if (options.workers) {
    args.emplace_back("--workers");
    args.push_back(std::to_string(*options.workers));
  }
  auto child = std::make_unique<peer_process>(args, listener_timeout);
  child->remove_on_exit(socket_path);
  return child;
}

node_connection connect_node(actor_system& system, const node_option& where) {
  node_connection c;
  c.node = std::make_unique<remote_node>(system, remote_node_config::from_env());
  if (where.via == node_option::carrier::shm) {
    c.node->add_transport(transports::make_shm_transport());
    c.peer = c.node->connect_async("shm", where.path, 0, 10s).get(11s);
  } else {
    c.peer = c.node->connect(where.host, where.port, 10s);
  }
  return c;
}

}  // namespace jaegis::samples
