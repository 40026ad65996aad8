// A node in a process of its own, for the remoting tests that kill a peer: it serves a calc as
// "calc" and a sink as "sink", says one line on stdout once it listens, and runs until its stdin
// closes (or it is killed).
// Usage: transports_remote_peer SECRET             TCP on 127.0.0.1, an ephemeral port: "port <n>"
//        transports_remote_peer SECRET shm PATH    the shm carrier on socket PATH: "ready"
#include <iostream>
#include <jaegis/transports/shm_transport.hpp>
#include <string>
#include <string_view>

#include "remote_test_support.hpp"
#include "shm_remote_support.hpp"

int main(int argc, char** argv) {
  const bool shm = argc == 4 && std::string_view(argv[2]) == "shm";
  if (argc != 2 && !shm) {
    std::cerr << "usage: transports_remote_peer SECRET [shm SOCKET_PATH]\n";
    return 2;
  }
  const auto quiet = [](std::string_view) {};
  jaegis::actor_system_config config;
  config.executor.workers = 2;
  config.log = quiet;
  jaegis::actor_system system(config);
  jaegis::remote_node_config node_config;
  node_config.secret = jaegis::transports::shared_secret::from_string(argv[1]);
  node_config.log = quiet;
  jaegis::remote_node node(system, node_config);
  remote_test::observed seen;
  node.publish("calc", system.spawn<remote_test::calc>(&seen));
  node.publish("sink", system.spawn<shm_test::sink>());
  if (shm) {
    jaegis::transports::shm_config carrier;
    carrier.log = quiet;
    node.add_transport(jaegis::transports::make_shm_transport(carrier));
    node.listen("shm", argv[3], 0);
    std::cout << "ready" << std::endl;
  } else {
    std::cout << "port " << node.listen("127.0.0.1", 0) << std::endl;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
