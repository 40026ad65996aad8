#pragma once

// How the JAEGIS side of a remote workload reaches its peer: the carrier is the only difference
// between remote-* (TCP, jaegis_remote.cpp) and shm-* (shared memory, jaegis_shm.cpp); the actors
// and the traffic (jaegis_remote.cpp) are the same, so that the two compare the carriers alone.

#include <cstdint>
#include <jaegis/transports/remote_node.hpp>

#include "remote.hpp"

namespace jaegis::bench::vs::jaegis_side {

struct link {
  const char* name;  ///< in figures' and failures' messages: "jaegis shm-pingpong"
  /// Peer: adds the carrier if needed and listens; returns what the peer reports as its "port".
  std::uint16_t (*listen)(jaegis::remote_node& node, const peer_args& a);
  /// Parent: adds the carrier if needed and connects to the peer (throws on failure).
  jaegis::node_info (*connect)(jaegis::remote_node& node, const peer_process& peer);
};

/// remote_pingpong() / remote_throughput() / serve_remote_*() of remote.hpp over `l`.
figures pingpong_over(const link& l, const run_params& p, const peer_process& peer);
figures throughput_over(const link& l, const run_params& p, const peer_process& peer);
int serve_pingpong_over(const link& l, const peer_args& a);
int serve_throughput_over(const link& l, const peer_args& a);

}  // namespace jaegis::bench::vs::jaegis_side
