#include "jaegis/schedulers/topology.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <stdexcept>

using jaegis::sched::topology;

TEST_CASE("topology override NxM gives N nodes of M distinct cpus", "[topology]") {
  const topology t = topology::parse("2x3");
  REQUIRE(t.is_override());
  REQUIRE(t.node_count() == 2);
  REQUIRE(t.cpu_count() == 6);
  CHECK(t.nodes()[0].cpus == std::vector<int>{0, 1, 2});
  CHECK(t.nodes()[1].cpus == std::vector<int>{3, 4, 5});
  CHECK(t.node_of_cpu(4) == 1);
  CHECK(t.node_of_cpu(99) == -1);
  CHECK(t.cpus_in_placement_order() == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(t.describe() == "2 nodes: 0:[0,1,2] 1:[3,4,5] (override)");
  CHECK(t.real_cpu(0) >= 0);
}

TEST_CASE("a malformed topology override is refused with a clear message", "[topology]") {
  for (const char* bad : {"", "2", "x2", "2x", "0x1", "2x0", "ax1", "2x1x", "-1x2", "2000x1"}) {
    INFO(bad);
    try {
      topology::parse(bad);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("bad topology") != std::string::npos);
      CHECK(std::string(e.what()).find("NxM") != std::string::npos);
    }
  }
}

TEST_CASE("detect reports at least one node with the online cpus", "[topology]") {
  const topology t = topology::detect();
  REQUIRE_FALSE(t.is_override());
  REQUIRE(t.node_count() >= 1);
  REQUIRE(t.cpu_count() >= 1);
  CHECK(t.fits_real_cpus());
  for (int cpu : t.cpus_in_placement_order())
    CHECK(t.real_cpu(cpu) == cpu);
}

TEST_CASE("resolve prefers the argument, then JAEGIS_TOPOLOGY, then libnuma", "[topology]") {
  ::setenv("JAEGIS_TOPOLOGY", "4x1", 1);
  CHECK(topology::resolve("2x1").node_count() == 2);
  CHECK(topology::resolve().node_count() == 4);
  ::setenv("JAEGIS_TOPOLOGY", "nonsense", 1);
  CHECK_THROWS_AS(topology::resolve(), std::invalid_argument);
  ::unsetenv("JAEGIS_TOPOLOGY");
  CHECK_FALSE(topology::resolve().is_override());
}

TEST_CASE("an override larger than the machine does not fit its real cpus", "[topology]") {
  const topology t = topology::parse("64x16");
  CHECK_FALSE(t.fits_real_cpus());
  CHECK(t.real_cpu(1023) >= 0);
}
