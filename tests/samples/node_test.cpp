// The runner's two-process mode (--node): parsing the option, and real runs of jaegis-samples as
// two separate processes on loopback, started from here (a listener, then a connector).
#include <sys/wait.h>
#include <unistd.h>

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

TEST_CASE("the node option over shm: a socket path", "[samples][node]") {
  const node_option l = parsed("listen:shm:///tmp/x.sock");
  CHECK(l.side == node_option::role::listen);
  CHECK(l.via == node_option::carrier::shm);
  CHECK(l.path == "/tmp/x.sock");
  const node_option c = parsed("connect:shm:///tmp/dir:1/x.sock");
  CHECK(c.side == node_option::role::connect);
  CHECK(c.via == node_option::carrier::shm);
  CHECK(c.path == "/tmp/dir:1/x.sock");
  const node_option b = parsed("both:shm");
  CHECK(b.side == node_option::role::both);
  CHECK(b.via == node_option::carrier::shm);
  CHECK(b.path.empty());
  CHECK(parsed("both:tcp").via == node_option::carrier::tcp);
  CHECK(parsed("both").via == node_option::carrier::tcp);
  CHECK(parsed("listen:0").via == node_option::carrier::tcp);
  CHECK(parsed("listen:shm://" + std::string(107, '/')).path.size() == 107);
}

TEST_CASE("bad shm node option values are refused with the reason", "[samples][node]") {
  CHECK(refused("listen:shm://") ==
        "--node listen: shm:// needs a socket path, as in shm:///tmp/node.sock");
  CHECK(refused("connect:shm://") ==
        "--node connect: shm:// needs a socket path, as in shm:///tmp/node.sock");
  CHECK(refused("listen:shm://tmp/x.sock") ==
        "--node listen: needs an absolute socket path (shm:///tmp/x.sock), not 'tmp/x.sock'");
  CHECK(refused("connect:shm:/tmp/x.sock") ==
        "--node connect: needs shm:///PATH, not 'shm:/tmp/x.sock'");
  CHECK(refused("listen:shm:") == "--node listen: needs shm:///PATH, not 'shm:'");
  const std::string long_path(108, '/');
  CHECK(refused("listen:shm://" + long_path) ==
        "--node listen: the socket path is longer than 107 bytes: '" + long_path + "'");
  CHECK(refused("both:udp") == "--node both: needs tcp or shm after the colon, not 'udp'");
  CHECK(refused("both:") == "--node both: needs tcp or shm after the colon, not ''");
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
  CHECK(address_text(parsed("connect:127.0.0.1:4100")) == "127.0.0.1:4100");
  const auto tcp = target_of_listening_line("jaegis-samples: listening on 127.0.0.1:4100\n");
  REQUIRE(tcp.has_value());
  CHECK(tcp->via == node_option::carrier::tcp);
  CHECK(tcp->host == "127.0.0.1");
  CHECK(tcp->port == 4100);
  CHECK_FALSE(target_of_listening_line("something else: 4100").has_value());
  CHECK_FALSE(target_of_listening_line("jaegis-samples: listening on 127.0.0.1:0").has_value());
}

TEST_CASE("the listening line over shm carries the socket path", "[samples][node]") {
  const node_option where = parsed("listen:shm:///tmp/a:80.sock");
  const std::string line = listening_line(where);
  CHECK(line == "jaegis-samples: listening on shm:///tmp/a:80.sock");
  CHECK(address_text(where) == "shm:///tmp/a:80.sock");
  CHECK(port_of_listening_line(line) == 0);  // the path's ":80" is no port
  const auto target = target_of_listening_line(line + "\n");
  REQUIRE(target.has_value());
  CHECK(target->side == node_option::role::connect);
  CHECK(target->via == node_option::carrier::shm);
  CHECK(target->path == "/tmp/a:80.sock");
  CHECK_FALSE(target_of_listening_line("jaegis-samples: listening on shm://").has_value());
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

TEST_CASE("pingpong as two separate processes over shm", "[samples][node]") {
  std::string path = "/tmp/jaegis-samples-test-";
  path += std::to_string(getpid());
  path += ".sock";
  std::string side = "listen:shm://";
  side += path;
  peer_process listener({"pingpong", "--node", side, "--workers", "2"}, generous,
                        JAEGIS_SAMPLES_BIN);
  listener.remove_on_exit(path);
  CHECK(listener.port() == 0);
  CHECK(listener.target().via == node_option::carrier::shm);
  CHECK(listener.target().path == path);
  std::string command = JAEGIS_SAMPLES_BIN " pingpong --node connect:shm://";
  command += path;
  command += " --agents 4 --messages 3000 --workers 2 2>/dev/null";
  std::string out;
  const int rc = run_command(command, out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("connected to shm://" + path) != std::string::npos);
  CHECK(out.find("invariant   held: 3000 round trips over 2 pairs") != std::string::npos);
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink != nullptr);
  CHECK(listener.finish(generous, sink, "") == "");
  std::fclose(sink);
  // The listener removed its socket file when it stopped.
  CHECK(access(path.c_str(), F_OK) != 0);
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
