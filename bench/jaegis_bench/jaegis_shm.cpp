// The JAEGIS side of the shm workloads (remote.hpp): jaegis_remote.cpp's actors and traffic over
// the shared-memory carrier (jaegis/transports/shm_transport.hpp) instead of TCP.

#include <unistd.h>

#include <jaegis/transports/shm_transport.hpp>
#include <string>

#include "jaegis_link.hpp"
#include "remote.hpp"

namespace jaegis::bench::vs::jaegis_side {
namespace {

/// The most rendezvous numbers a peer tries: earlier peers' files are replaced when stale, so
/// the first is almost always free; more only if other runs of this pid left live listeners.
constexpr std::uint16_t max_rendezvous = 64;

void add_shm(jaegis::remote_node& node) {
  jaegis::transports::shm_config config;
  config.log = [](std::string_view) {};  // a peer killed at the end of a round is no news
  node.add_transport(jaegis::transports::make_shm_transport(config));
}

std::uint16_t shm_listen(jaegis::remote_node& node, const peer_args&) {
  add_shm(node);
  std::string last_error;
  for (std::uint16_t k = 1; k <= max_rendezvous; ++k) {
    try {
      node.listen("shm", shm_rendezvous(getppid(), k, "sock"), 0);
      return k;
    } catch (const std::exception& e) {  // another process listens there: the next number
      last_error = e.what();
    }
  }
  require(false, "jaegis shm peer: cannot listen: " + last_error);
  return 0;
}

jaegis::node_info shm_connect(jaegis::remote_node& node, const peer_process& peer) {
  add_shm(node);
  const std::string path = shm_rendezvous(getpid(), peer.port(), "sock");
  const std::chrono::seconds limit(10);
  jaegis::node_info info = node.connect_async("shm", path, 0, limit).get(limit + limit);
  // Connected: the listener keeps its socket without the name, and a killed peer removes nothing.
  unlink(path.c_str());
  return info;
}

constexpr link shm_pingpong_link{"jaegis shm-pingpong", shm_listen, shm_connect};
constexpr link shm_throughput_link{"jaegis shm-throughput", shm_listen, shm_connect};

}  // namespace

figures shm_pingpong(const run_params& p, const peer_process& peer) {
  return pingpong_over(shm_pingpong_link, p, peer);
}

figures shm_throughput(const run_params& p, const peer_process& peer) {
  return throughput_over(shm_throughput_link, p, peer);
}

int serve_shm_pingpong(const peer_args& a) {
  return serve_pingpong_over(shm_pingpong_link, a);
}

int serve_shm_throughput(const peer_args& a) {
  return serve_throughput_over(shm_throughput_link, a);
}

}  // namespace jaegis::bench::vs::jaegis_side
