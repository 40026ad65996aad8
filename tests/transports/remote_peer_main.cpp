// A node in a process of its own, for the tests that kill a peer: it serves a calc as "calc",
// prints "port <n>" on stdout once it listens, and runs until its stdin closes (or it is killed).
// Usage: transports_remote_peer SECRET
#include <cstdio>
#include <iostream>
#include <string>

#include "remote_test_support.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: transports_remote_peer SECRET\n";
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
  remote_test::observed seen;
  node.publish("calc", system.spawn<remote_test::calc>(&seen));
  const std::uint16_t port = node.listen("127.0.0.1", 0);
  std::cout << "port " << port << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
