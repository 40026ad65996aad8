#pragma once

// The runner's --node: the two sides of a two-process run (samples/README.md, "Across two
// processes"). How the processes coordinate:
//
//   1. The listening process (--node listen:PORT or listen:shm:///PATH) publishes the topology's
//      served half (remote_mode::serve), listens, and prints listening_line() on stdout.
//   2. The connecting process (--node connect:HOST:PORT or connect:shm:///PATH) connects; with
//      --node both it first starts the listening process itself (--node listen:0, or
//      listen:shm:///tmp/jaegis-samples-<pid>.sock for both:shm) and reads the address from that
//      line.
//   3. The connecting process runs the topology against the served half (remote_mode::drive),
//      asks the served agents for their counts, tells the listening side the run is over (a
//      request: it is heard before the connection closes), reports, and disconnects.
//   4. The listening process prints one summary line and exits: 0 if it was told the run is
//      over, 1 if the connection was lost first. With --node both the connecting process waits
//      for it (with a timeout, then kills it) and fails if it failed.

#include <chrono>
#include <memory>
#include <optional>

#include "jaegis/framework/actor_system.hpp"
#include "jaegis/samples/options.hpp"
#include "jaegis/samples/topology.hpp"
#include "jaegis/transports/remote_node.hpp"
#include "peer_process.hpp"

namespace jaegis::samples {

/// How long the connecting side waits for a listening process it started to say its port, and
/// to exit after the run. Generous: a sanitizer build starts slowly on a loaded machine.
inline constexpr std::chrono::seconds listener_timeout{60};

/// The listening side, from start to exit status. Waits until the connecting side says the run
/// is over or the connection is lost.
int serve_node(const run_options& options, const topology& topo, actor_system_config config);

/// --node both: starts the listening copy of this program (call it before any thread exists);
/// its target() is where to connect. With both:shm the socket file is removed when it is gone.
std::unique_ptr<peer_process> start_listener(const run_options& options);

/// The connecting side's node, connected to the listening process. Throws remote_error.
struct node_connection {
  std::unique_ptr<remote_node> node;
  node_info peer;
};
node_connection connect_node(actor_system& system, const node_option& where);

}  // namespace jaegis::samples
