#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace jaegis::samples {

/// The runner's --node: which side of a two-process run this process plays.
///
///   listen:PORT, listen:HOST:PORT   serve the topology's remote half (HOST default 127.0.0.1;
///                                   PORT 0 picks a free one, printed on stdout)
///   connect:HOST:PORT               drive the run against a listening process
///   both                            start a listening copy of this program, then connect to it
struct node_option {
  enum class role : std::uint8_t { listen, connect, both };
  role side = role::both;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

/// The option, or one line saying what is wrong with `text` (the value after --node).
std::variant<node_option, std::string> parse_node_option(std::string_view text);

/// The line the listening process prints on stdout once it accepts connections, and the parser
/// of that line for whoever started it: "jaegis-samples: listening on 127.0.0.1:40312".
std::string listening_line(std::string_view host, std::uint16_t port);
/// The port of a listening_line() (with or without its newline), or 0 if `line` is not one.
std::uint16_t port_of_listening_line(std::string_view line);

}  // namespace jaegis::samples
