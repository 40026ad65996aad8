#include <openssl/crypto.h>

#include <cstdlib>
#include <jaegis/transports/shared_secret.hpp>

namespace jaegis::transports {

namespace {

std::string too_short(std::string_view source, std::size_t size) {
  std::string text = source.empty() ? std::string("the shared secret") : std::string(source);
  text += " holds ";
  text += std::to_string(size);
  text += " bytes; a secret needs at least ";
  text += std::to_string(shared_secret::min_size);
  text += " (or none at all, for loopback-only nodes)";
  return text;
}

}  // namespace

shared_secret shared_secret::from_string(std::string_view secret) {
  if (!secret.empty() && secret.size() < min_size) {
    throw std::invalid_argument(too_short({}, secret.size()));
  }
  shared_secret result;
  result.bytes_.assign(secret.data(), secret.size());
  return result;
}

shared_secret shared_secret::from_environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return {};
  const std::string_view secret(value);
  if (!secret.empty() && secret.size() < min_size) {
    std::string source = "the environment variable ";
    source += name;
    throw std::invalid_argument(too_short(source, secret.size()));
  }
  return from_string(secret);
}

shared_secret& shared_secret::operator=(const shared_secret& other) {
  if (this != &other) {
    wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

shared_secret& shared_secret::operator=(shared_secret&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.wipe();
  }
  return *this;
}

void shared_secret::wipe() noexcept {
  // OPENSSL_cleanse is not optimised away the way a memset before free may be.
  // The whole capacity: a string that shrank keeps old bytes beyond its size.
  OPENSSL_cleanse(bytes_.data(), bytes_.capacity());
  bytes_.clear();
}

}  // namespace jaegis::transports
