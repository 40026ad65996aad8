#pragma once

#include <cstdint>
#include <sstream>
#include <string>

namespace jaegis::transports {

/// "0x1f": how type ids and flag bits appear in logged reasons.
inline std::string hex_text(std::uint64_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

}  // namespace jaegis::transports
