#include "jaegis/samples/node_option.hpp"

#include <charconv>
#include <optional>

namespace jaegis::samples {

namespace {

constexpr std::string_view listening_prefix = "jaegis-samples: listening on ";

// A port number, all of `text`, from `least` to 65535.
std::optional<std::uint16_t> parse_port(std::string_view text, unsigned least) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < least || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::string bad_port(std::string_view side, unsigned least, std::string_view text) {
  std::string m = "--node ";
  m += side;
  m += ": needs a port from ";
  m += std::to_string(least);
  m += " to 65535, not '";
  m += text;
  m += "'";
  return m;
}

}  // namespace

std::variant<node_option, std::string> parse_node_option(std::string_view text) {
  node_option o;
  if (text == "both") return o;
  const auto colon = text.find(':');
  const std::string_view side = text.substr(0, colon);
  if (colon == std::string_view::npos || (side != "listen" && side != "connect")) {
    std::string m = "--node needs listen:PORT, connect:HOST:PORT or both, not '";
    m += text;
    m += "'";
    return m;
  }
  const std::string_view rest = text.substr(colon + 1);
  // The port follows the last colon, so that an IPv6 literal keeps its own.
  const auto last = rest.rfind(':');
  const std::string_view host = last == std::string_view::npos ? "" : rest.substr(0, last);
  const std::string_view port = last == std::string_view::npos ? rest : rest.substr(last + 1);
  if (side == "listen") {
    o.side = node_option::role::listen;
    if (last != std::string_view::npos && host.empty()) return bad_port(side, 0, rest);
    if (!host.empty()) o.host = host;
    const auto p = parse_port(port, 0);
    if (!p) return bad_port(side, 0, port);
    o.port = *p;
    return o;
  }
  o.side = node_option::role::connect;
  if (last == std::string_view::npos || host.empty()) {
    std::string m = "--node connect: needs HOST:PORT, not '";
    m += rest;
    m += "'";
    return m;
  }
  o.host = host;
  const auto p = parse_port(port, 1);
  if (!p) return bad_port(side, 1, port);
  o.port = *p;
  return o;
}

std::string listening_line(std::string_view host, std::uint16_t port) {
  std::string s(listening_prefix);
  s += host;
  s += ':';
  s += std::to_string(port);
  return s;
}

std::uint16_t port_of_listening_line(std::string_view line) {
  if (!line.starts_with(listening_prefix)) return 0;
  if (line.ends_with('\n')) line.remove_suffix(1);
  const auto colon = line.rfind(':');
  if (colon == std::string_view::npos || colon < listening_prefix.size()) return 0;
  return parse_port(line.substr(colon + 1), 1).value_or(0);
}

}  // namespace jaegis::samples
