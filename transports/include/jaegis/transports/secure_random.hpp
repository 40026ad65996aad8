#pragma once

// Bytes from the operating system's cryptographically secure generator (OpenSSL's RAND_bytes),
// for handshake nonces: a predictable nonce would let a recorded handshake be replayed.

#include <cstddef>
#include <span>

namespace jaegis::transports {

/// Fills `out`; throws std::runtime_error if the generator fails (it never returns weak bytes).
void fill_secure_random(std::span<std::byte> out);

}  // namespace jaegis::transports
