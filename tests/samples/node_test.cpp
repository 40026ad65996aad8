// The runner's two-process mode (--node): parsing the option, and real runs of jaegis-samples as
// two separate processes on loopback, started from here (a listener, then a connector).
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "jaegis/samples/node_option.hpp"
#include "jaegis/transports/remote_node.hpp"
#include "peer_process.hpp"

using namespace jaegis;
using namespace jaegis::samples;

namespace {

node_option parsed(std::string_view text) {
  auto r = parse_node_option(text);
  INFO(text);
  REQUIRE(std::holds_alternative<node_option>(r));
  return std::get<node_option>(r);
}

std::string refused(std::string_view text) {
  auto r = parse_node_option(text);
  INFO(text);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

// Runs `command` (a shell line), returns its exit status and stdout.
int run_command(const std::string& command, std::string& out) {
  std::FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0)
    out.append(buffer, n);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> listen_args(const char* topology) {
  return {topology, "--node", "listen:0", "--workers", "2"};
}

constexpr std::chrono::seconds generous{120};

}  // namespace

TEST_CASE("the node option: listen, connect, both", "[samples][node]") {
  CHECK(parsed("both").side == node_option::role::both);
  const node_option l = parsed("listen:0");
  CHECK(l.side == node_option::role::listen);
  CHECK(l.host == "127.0.0.1");
  CHECK(l.port == 0);
  CHECK(parsed("listen:65535").port == 65535);
  CHECK(parsed("listen:localhost:9000").host == "localhost");
  const node_option c = parsed("connect:127.0.0.1:4100");
  CHECK(c.side == node_option::role::connect);
  CHECK(c.host == "127.0.0.1");
  CHECK(c.port == 4100);
}

TEST_CASE("bad node option values are refused with the reason", "[samples][node]") {
  CHECK(refused("foo") == "--node needs listen:PORT, connect:HOST:PORT or both, not 'foo'");
  CHECK(refused("") == "--node needs listen:PORT, connect:HOST:PORT or both, not ''");
  CHECK(refused("listen:abc") == "--node listen: needs a port from 0 to 65535, not 'abc'");
  CHECK(refused("listen:65536") == "--node listen: needs a port from 0 to 65535, not '65536'");
  CHECK(refused("listen:-1") == "--node listen: needs a port from 0 to 65535, not '-1'");
  CHECK(refused("listen:") == "--node listen: needs a port from 0 to 65535, not ''");
  CHECK(refused("connect:host") == "--node connect: needs HOST:PORT, not 'host'");
  CHECK(refused("connect::80") == "--node connect: needs HOST:PORT, not ':80'");
  CHECK(refused("connect:127.0.0.1:0") == "--node connect: needs a port from 1 to 65535, not '0'");
  CHECK(refused("connect:127.0.0.1:70000") ==
        "--node connect: needs a port from 1 to 65535, not '70000'");
}

TEST_CASE("the listening line carries the port", "[samples][node]") {
  CHECK(listening_line("127.0.0.1", 4100) == "jaegis-samples: listening on 127.0.0.1:4100");
  CHECK(port_of_listening_line(listening_line("127.0.0.1", 4100)) == 4100);
  CHECK(port_of_listening_line("jaegis-samples: listening on 127.0.0.1:4100\n") == 4100);
  CHECK(port_of_listening_line("jaegis-samples: listening on 127.0.0.1:x") == 0);
  CHECK(port_of_listening_line("something else: 4100") == 0);
}

TEST_CASE("pingpong as two separate processes: a listener, then a connector", "[samples][node]") {
  peer_process listener(listen_args("pingpong"), generous, JAEGIS_SAMPLES_BIN);
  REQUIRE(listener.port() != 0);
  std::string command = JAEGIS_SAMPLES_BIN " pingpong --node connect:127.0.0.1:";
  command += std::to_string(listener.port());
  command += " --agents 4 --messages 3000 --workers 2 2>/dev/null";
  std::string out;
  const int rc = run_command(command, out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("completed   3000 round trips") != std::string::npos);
  CHECK(out.find("invariant   held: 3000 round trips over 2 pairs") != std::string::npos);
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink != nullptr);
  CHECK(listener.finish(generous, sink, "") == "");
  std::fclose(sink);
}

TEST_CASE("contract-net as two separate processes", "[samples][node]") {
  peer_process listener(listen_args("contract-net"), generous, JAEGIS_SAMPLES_BIN);
  std::string command = JAEGIS_SAMPLES_BIN " contract-net --node connect:127.0.0.1:";
  command += std::to_string(listener.port());
  command += " --agents 100 --messages 1000 --workers 2 2>/dev/null";
  std::string out;
  const int rc = run_command(command, out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("invariant   held: 1000 tasks announced; missing 0, completed twice 0") !=
        std::string::npos);
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink != nullptr);
  CHECK(listener.finish(generous, sink, "") == "");
  std::fclose(sink);
}

TEST_CASE("a listener whose peer leaves before the run is over fails", "[samples][node]") {
  peer_process listener(listen_args("pingpong"), generous, JAEGIS_SAMPLES_BIN);
  {
    actor_system_config config;
    config.executor.workers = 1;
    config.log = [](std::string_view) {};
    actor_system system(config);
    remote_node node(system);
    const node_info peer = node.connect("127.0.0.1", listener.port(), generous);
    CHECK(peer.node_id != 0);
    node.shutdown();  // goodbye, without saying the run is over
  }
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink != nullptr);
  CHECK(listener.finish(generous, sink, "") == "the listening process exited with status 1");
  std::fclose(sink);
}

TEST_CASE("a listener that cannot start is reported, not waited for", "[samples][node]") {
  // ring has no two-process variant: the child exits with status 2 before it listens.
  CHECK_THROWS_WITH(peer_process(listen_args("ring"), generous, JAEGIS_SAMPLES_BIN),
                    "the listening process exited with status 2 before it listened");
}
