#include <openssl/rand.h>

#include <climits>
#include <jaegis/transports/secure_random.hpp>
#include <stdexcept>

namespace jaegis::transports {

void fill_secure_random(std::span<std::byte> out) {
  while (!out.empty()) {
    const std::size_t n = out.size() < INT_MAX ? out.size() : INT_MAX;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
      throw std::runtime_error("jaegis: the secure random generator (RAND_bytes) failed");
    }
    out = out.subspan(n);
  }
}

}  // namespace jaegis::transports
