#pragma once

// The secret that nodes of one cluster share, the key of the handshake's HMAC (PROTOCOL.md,
// "Handshake"). From configuration, or from the environment (JAEGIS_SECRET). Its bytes are wiped
// when it is destroyed, so a core dump of a long-running node is less likely to hold it.
//
// An empty secret is allowed: the handshake then runs with an empty HMAC key and proves nothing,
// which is what loopback-only nodes of one user get. Carriers refuse to listen beyond loopback
// without a secret.

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace jaegis::transports {

class shared_secret {
 public:
  /// Fewer bytes than this are refused: a short secret can be guessed offline from one recorded
  /// handshake.
  static constexpr std::size_t min_size = 16;
  static constexpr const char* environment_variable = "JAEGIS_SECRET";

  /// No secret.
  shared_secret() = default;

  /// Throws std::invalid_argument if `secret` is non-empty and shorter than min_size.
  static shared_secret from_string(std::string_view secret);

  /// The value of the environment variable `name` (no secret if unset); throws
  /// std::invalid_argument, naming the variable, if it is set but too short.
  static shared_secret from_environment(const char* name = environment_variable);

  shared_secret(const shared_secret& other) : bytes_(other.bytes_) {}
  shared_secret(shared_secret&& other) noexcept : bytes_(std::move(other.bytes_)) { other.wipe(); }
  shared_secret& operator=(const shared_secret& other);
  shared_secret& operator=(shared_secret&& other) noexcept;
  ~shared_secret() { wipe(); }

  [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return std::as_bytes(std::span<const char>(bytes_.data(), bytes_.size()));
  }

 private:
  void wipe() noexcept;

  std::string bytes_;
};

}  // namespace jaegis::transports
