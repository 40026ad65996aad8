#pragma once

// What the shared-memory remoting test and its peer process (remote_peer_main.cpp) share: a sink
// that counts numbered messages and the ones that came out of order, and reports on request.

#include <cstdint>
#include <jaegis/transports/remote_node.hpp>

namespace shm_test {

struct numbered {
  std::uint64_t n = 0;
};
struct report_ask {
  std::uint32_t unused = 0;
};
struct report {
  std::uint64_t count = 0;
  std::uint64_t out_of_order = 0;  ///< messages whose number was not the one expected next
};

}  // namespace shm_test

JAEGIS_REMOTE_TYPE(shm_test::numbered, "shm_test.numbered")
JAEGIS_REMOTE_TYPE(shm_test::report_ask, "shm_test.report_ask")
JAEGIS_REMOTE_TYPE(shm_test::report, "shm_test.report")

namespace shm_test {

struct sink : jaegis::actor<sink, numbered, report_ask> {
  void on(numbered& m) {
    if (m.n != count) ++out_of_order;
    ++count;
  }
  report on(report_ask&) { return {count, out_of_order}; }
  std::uint64_t count = 0;
  std::uint64_t out_of_order = 0;
};

}  // namespace shm_test
