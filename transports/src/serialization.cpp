#include <jaegis/transports/serialization.hpp>

namespace jaegis::transports {

std::string_view to_string(serialization_error error) noexcept {
  switch (error) {
    case serialization_error::none:
      return "none";
    case serialization_error::buffer_too_small:
      return "output buffer too small";
    case serialization_error::truncated:
      return "input ends inside a value";
    case serialization_error::length_too_large:
      return "length larger than the remaining input";
    case serialization_error::invalid_value:
      return "invalid bool or optional tag";
    case serialization_error::duplicate_key:
      return "duplicate map key";
    case serialization_error::trailing_bytes:
      return "bytes left after the value";
    case serialization_error::user_error:
      return "a serialize function reported failure";
  }
  return "unknown serialization error";
}

}  // namespace jaegis::transports
