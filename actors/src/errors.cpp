#include "jaegis/actors/errors.hpp"

namespace jaegis::actors {

std::string_view to_string(reason r) noexcept {
  switch (r) {
    case reason::overloaded:
      return "overloaded";
    case reason::no_routee:
      return "no_routee";
    case reason::intensity_exceeded:
      return "intensity_exceeded";
    case reason::child_failed:
      return "child_failed";
  }
  return "unknown";
}

error make_error(reason r, std::string_view detail) {
  std::string what(to_string(r));
  what += ": ";
  what += detail;
  return error(errc::linked_exit, std::move(what));
}

bool is(const error& err, reason r) noexcept {
  if (err.code() != errc::linked_exit) return false;
  const std::string_view name = to_string(r);
  const std::string_view what = err.what();
  return what.size() > name.size() && what.substr(0, name.size()) == name &&
         what[name.size()] == ':';
}

}  // namespace jaegis::actors
