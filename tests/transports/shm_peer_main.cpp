// A node in a process of its own for the shared-memory remoting tests: serves a calc as "calc"
// and a sink as "sink" on a Unix socket path over the shm carrier, prints "ready" once it
// listens, and runs until its stdin closes (or it is killed).
// Usage: transports_shm_peer SECRET SOCKET_PATH
#include <iostream>
#include <jaegis/transports/shm_transport.hpp>
#include <string>

#include "remote_test_support.hpp"
#include "shm_remote_support.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: transports_shm_peer SECRET SOCKET_PATH\n";
    return 2;
  }
  jaegis::actor_system_config config;
  config.executor.workers = 2;
  config.log = [](std::string_view) {};
  jaegis::actor_system system(config);
  jaegis::remote_node_config node_config;
  node_config.secret = jaegis::transports::shared_secret::from_string(argv[1]);
  node_config.log = [](std::string_view) {};
  jaegis::remote_node node(system, node_config);
  jaegis::transports::shm_config shm;
  shm.log = [](std::string_view) {};
  node.add_transport(jaegis::transports::make_shm_transport(shm));
  remote_test::observed seen;
  node.publish("calc", system.spawn<remote_test::calc>(&seen));
  node.publish("sink", system.spawn<shm_test::sink>());
  node.listen("shm", argv[2], 0);
  std::cout << "ready" << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
