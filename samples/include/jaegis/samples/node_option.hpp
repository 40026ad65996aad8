#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace jaegis::samples {

/// The runner's --node: which side of a two-process run this process plays, and over which
/// carrier.
///
///   listen:PORT, listen:HOST:PORT   serve the topology's remote half over TCP (HOST default
///                                   127.0.0.1; PORT 0 picks a free one, printed on stdout)
///   connect:HOST:PORT               drive the run against a process listening over TCP
///   listen:shm:///PATH              the same over shared memory: PATH is the Unix socket where
///   connect:shm:///PATH             the processes meet (absolute, at most 107 bytes)
///   both, both:tcp, both:shm        start a listening copy of this program, then connect to it
///                                   (over shm at a fresh socket path under /tmp)
struct node_option {
  enum class role : std::uint8_t { listen, connect, both };
  enum class carrier : std::uint8_t { tcp, shm };
  role side = role::both;
  carrier via = carrier::tcp;
  std::string host = "127.0.0.1";  ///< tcp only
  std::uint16_t port = 0;          ///< tcp only
  std::string path;                ///< shm only; empty for both:shm until the listener is started
};

/// The option, or one line saying what is wrong with `text` (the value after --node).
std::variant<node_option, std::string> parse_node_option(std::string_view text);

/// Where a listening or connecting option points, for people: "127.0.0.1:4100" or
/// "shm:///tmp/x.sock".
std::string address_text(const node_option& where);

/// The line the listening process prints on stdout once it accepts connections, and the parser
/// of that line for whoever started it: "jaegis-samples: listening on 127.0.0.1:40312", or
/// "jaegis-samples: listening on shm:///tmp/x.sock".
std::string listening_line(std::string_view host, std::uint16_t port);
std::string listening_line(const node_option& where);
/// The port of a TCP listening_line() (with or without its newline), or 0 if `line` is not one.
std::uint16_t port_of_listening_line(std::string_view line);
/// Where to connect to reach the process that printed `line` (a connect option over its
/// carrier), or nothing if `line` is not a listening_line().
std::optional<node_option> target_of_listening_line(std::string_view line);

}  // namespace jaegis::samples
