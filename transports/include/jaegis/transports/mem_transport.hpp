#pragma once

// A carrier that connects nodes inside one process without sockets or threads: bytes written on
// one side are delivered to the other by tasks on the receiving node's executor. With the
// deterministic executor, a protocol test (handshake, node down, request failure) then runs the
// same way every time for a given seed: the only threads are the ones the test drives.
//
//     jaegis::transports::mem_network net;
//     node_a.add_transport(net.endpoint("a", system_a.executor()));
//     node_b.add_transport(net.endpoint("b", system_b.executor()));
//     auto peer = node_a.connect_async("mem", "b", 0, 1s);   // then run both executors
//
// sever("a", "b") breaks the links between two endpoints as a crash would: nothing queued is
// flushed, and each side learns it on its own executor. The network must outlive its endpoints'
// nodes.

#include <cstdint>
#include <jaegis/framework/transport.hpp>
#include <jaegis/schedulers/executor.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace jaegis::transports {

class mem_network {
 public:
  mem_network();
  ~mem_network();
  mem_network(const mem_network&) = delete;
  mem_network& operator=(const mem_network&) = delete;

  /// A carrier (scheme "mem") for the node whose executor is `executor`, reachable as `name`
  /// once its node listens (any host string given to listen is ignored; the port is 0).
  std::unique_ptr<net::transport> endpoint(std::string name, sched::executor& executor);

  /// Breaks every open link between endpoints `a` and `b` without flushing (a crash or a cut
  /// cable). Returns how many links it broke.
  std::size_t sever(std::string_view a, std::string_view b);

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace jaegis::transports
