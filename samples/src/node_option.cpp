#include "jaegis/samples/node_option.hpp"

#include <sys/un.h>

#include <charconv>
#include <optional>
#include <utility>

namespace jaegis::samples {

namespace {

constexpr std::string_view listening_prefix = "jaegis-samples: listening on ";
constexpr std::string_view shm_prefix = "shm://";
// The longest socket path: sun_path less its terminator.
constexpr std::size_t max_socket_path = sizeof(sockaddr_un::sun_path) - 1;

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

std::string side_error(std::string_view side, std::string_view what) {
  std::string m = "--node ";
  m += side;
  m += ": ";
  m += what;
  return m;
}

// What is wrong with `rest`, the text after "listen:" or "connect:" that starts a shm address
// ("shm://PATH"), or nothing if PATH (what follows "shm://") is good.
std::optional<std::string> shm_address_error(std::string_view side, std::string_view rest) {
  std::string m;
  if (!rest.starts_with(shm_prefix)) {
    m = "needs shm:///PATH, not '";
    m += rest;
    m += "'";
    return side_error(side, m);
  }
  const std::string_view path = rest.substr(shm_prefix.size());
  if (path.empty()) {
    m = "shm:// needs a socket path, as in shm:///tmp/node.sock";
  } else if (path.front() != '/') {
    // Both processes must name the same file whatever their working directory; and
    // shm://tmp/x.sock is most likely shm:///tmp/x.sock missing a slash.
    m = "needs an absolute socket path (shm:///tmp/x.sock), not '";
    m += path;
    m += "'";
  } else if (path.size() > max_socket_path) {
    m = "the socket path is longer than ";
    m += std::to_string(max_socket_path);
    m += " bytes: '";
    m += path;
    m += "'";
  } else {
    return std::nullopt;
  }
  return side_error(side, m);
}

}  // namespace

std::variant<node_option, std::string> parse_node_option(std::string_view text) {
  node_option o;
  if (text == "both" || text == "both:tcp") return o;
  if (text == "both:shm") {
    o.via = node_option::carrier::shm;
    return o;
  }
  if (text.starts_with("both:")) {
    std::string m = "--node both: needs tcp or shm after the colon, not '";
    m += text.substr(5);
    m += "'";
    return m;
  }
  const auto colon = text.find(':');
  const std::string_view side = text.substr(0, colon);
  if (colon == std::string_view::npos || (side != "listen" && side != "connect")) {
    std::string m = "--node needs listen:PORT, connect:HOST:PORT or both, not '";
    m += text;
    m += "'";
    return m;
  }
  const std::string_view rest = text.substr(colon + 1);
  o.side = side == "listen" ? node_option::role::listen : node_option::role::connect;
  if (rest.starts_with("shm:")) {
    if (auto why = shm_address_error(side, rest)) return std::move(*why);
    o.via = node_option::carrier::shm;
    o.path = rest.substr(shm_prefix.size());
    return o;
  }
  // The port follows the last colon, so that an IPv6 literal keeps its own.
  const auto last = rest.rfind(':');
  const std::string_view host = last == std::string_view::npos ? "" : rest.substr(0, last);
  const std::string_view port = last == std::string_view::npos ? rest : rest.substr(last + 1);
  if (side == "listen") {
    if (last != std::string_view::npos && host.empty()) return bad_port(side, 0, rest);
    if (!host.empty()) o.host = host;
    const auto p = parse_port(port, 0);
    if (!p) return bad_port(side, 0, port);
    o.port = *p;
    return o;
  }
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

std::string address_text(const node_option& where) {
  std::string s;
  if (where.via == node_option::carrier::shm) {
    s = shm_prefix;
    s += where.path;
  } else {
    s = where.host;
    s += ':';
    s += std::to_string(where.port);
  }
  return s;
}

std::string listening_line(const node_option& where) {
  std::string s(listening_prefix);
  s += address_text(where);
  return s;
}

std::uint16_t port_of_listening_line(std::string_view line) {
  if (!line.starts_with(listening_prefix)) return 0;
  if (line.ends_with('\n')) line.remove_suffix(1);
  // A socket path may hold a colon and digits: it is no port.
  if (line.substr(listening_prefix.size()).starts_with(shm_prefix)) return 0;
  const auto colon = line.rfind(':');
  if (colon == std::string_view::npos || colon < listening_prefix.size()) return 0;
  return parse_port(line.substr(colon + 1), 1).value_or(0);
}

std::optional<node_option> target_of_listening_line(std::string_view line) {
  if (!line.starts_with(listening_prefix)) return std::nullopt;
  if (line.ends_with('\n')) line.remove_suffix(1);
  std::string text = "connect:";
  text += line.substr(listening_prefix.size());
  auto parsed = parse_node_option(text);
  if (auto* o = std::get_if<node_option>(&parsed)) return std::move(*o);
  return std::nullopt;
}

}  // namespace jaegis::samples
