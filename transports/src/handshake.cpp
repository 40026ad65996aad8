#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <jaegis/transports/frame_codec.hpp>
#include <jaegis/transports/handshake.hpp>
#include <jaegis/transports/little_endian.hpp>
#include <jaegis/transports/secure_random.hpp>
#include <sstream>
#include <stdexcept>

namespace jaegis::transports {

namespace {

// The MAC labels (PROTOCOL.md, "Handshake"): equal length, so label | H | C is unambiguous.
constexpr std::string_view responder_label = "jaegis/1 responder";
constexpr std::string_view initiator_label = "jaegis/1 initiator";
static_assert(responder_label.size() == initiator_label.size());

// Offsets in the hello payload (and the first part of the challenge payload).
constexpr std::size_t at_node_id = 0;
constexpr std::size_t at_incarnation = 8;
constexpr std::size_t at_heartbeat = 16;
constexpr std::size_t at_max_payload = 20;
constexpr std::size_t at_nonce = 24;
static_assert(at_nonce + handshake_nonce_size == hello_payload_size);

/// A peer must accept at least this much payload: less could not carry ordinary messages.
constexpr std::uint32_t min_peer_max_payload = 1024;

reject_reason reason_for(handshake_error error) noexcept {
  switch (error) {
    case handshake_error::unsupported_version:
      return reject_reason::unsupported_version;
    case handshake_error::authentication_failed:
      return reject_reason::authentication_failed;
    case handshake_error::self_connection:
      return reject_reason::self_connection;
    default:
      return reject_reason::protocol_error;
  }
}

std::string_view to_string(reject_reason reason) noexcept {
  switch (reason) {
    case reject_reason::protocol_error:
      return "protocol error";
    case reject_reason::unsupported_version:
      return "unsupported version";
    case reject_reason::authentication_failed:
      return "authentication failed";
    case reject_reason::self_connection:
      return "self connection";
  }
  return "unknown reason";
}

}  // namespace

std::string_view to_string(handshake_state state) noexcept {
  switch (state) {
    case handshake_state::idle:
      return "idle";
    case handshake_state::awaiting_hello:
      return "awaiting hello";
    case handshake_state::awaiting_challenge:
      return "awaiting challenge";
    case handshake_state::awaiting_response:
      return "awaiting auth_response";
    case handshake_state::awaiting_accept:
      return "awaiting accept";
    case handshake_state::established:
      return "established";
    case handshake_state::failed:
      return "failed";
  }
  return "unknown state";
}

std::string_view to_string(handshake_error error) noexcept {
  switch (error) {
    case handshake_error::none:
      return "none";
    case handshake_error::unexpected_frame:
      return "unexpected frame";
    case handshake_error::malformed_frame:
      return "malformed handshake frame";
    case handshake_error::unsupported_version:
      return "unsupported protocol version";
    case handshake_error::authentication_failed:
      return "authentication failed";
    case handshake_error::self_connection:
      return "connection to self";
    case handshake_error::rejected_by_peer:
      return "rejected by peer";
  }
  return "unknown handshake error";
}

handshake::handshake(handshake_role role, handshake_config config)
    : role_(role), config_(std::move(config)) {
  if (config_.self.node_id == 0) throw std::invalid_argument("handshake: node id 0 is reserved");
  if (config_.heartbeat_interval_ms == 0) {
    throw std::invalid_argument("handshake: the heartbeat interval must be at least 1 ms");
  }
  if (config_.max_payload < min_peer_max_payload) {
    throw std::invalid_argument("handshake: max_payload must be at least 1024 bytes");
  }
  if (config_.random == nullptr) config_.random = fill_secure_random;
}

handshake_state handshake::start() {
  outbox_size_ = 0;
  if (state_ != handshake_state::idle) return state_;
  if (role_ == handshake_role::responder) {
    state_ = handshake_state::awaiting_hello;
    return state_;
  }
  write_own_fields(hello_);
  queue(frame_kind::hello, hello_);
  state_ = handshake_state::awaiting_challenge;
  return state_;
}

handshake_state handshake::on_frame(const frame_view& frame) {
  outbox_size_ = 0;
  if (state_ == handshake_state::failed) return state_;
  const frame_kind kind = frame.header.kind;
  if (kind == frame_kind::reject && state_ != handshake_state::established &&
      state_ != handshake_state::idle) {
    return on_reject(frame);
  }
  const auto expect = [&](frame_kind expected) {
    if (kind == expected) return true;
    std::ostringstream text;
    text << "unexpected " << to_string(kind) << " frame while " << to_string(state_);
    if (!is_handshake_kind(kind)) text << ": no traffic before the handshake completes";
    fail(handshake_error::unexpected_frame, text.str());
    return false;
  };
  switch (state_) {
    case handshake_state::awaiting_hello:
      return expect(frame_kind::hello) ? on_hello(frame) : state_;
    case handshake_state::awaiting_challenge:
      return expect(frame_kind::challenge) ? on_challenge(frame) : state_;
    case handshake_state::awaiting_response:
      return expect(frame_kind::auth_response) ? on_auth_response(frame) : state_;
    case handshake_state::awaiting_accept:
      return expect(frame_kind::accept) ? on_accept(frame) : state_;
    case handshake_state::idle:
      return fail(handshake_error::unexpected_frame, "a frame before start()");
    case handshake_state::established: {
      std::ostringstream text;
      text << "unexpected " << to_string(kind) << " frame: the handshake has completed";
      return fail(handshake_error::unexpected_frame, text.str());
    }
    case handshake_state::failed:
      break;
  }
  return state_;
}

handshake_state handshake::on_hello(const frame_view& frame) {
  if (frame.header.version != protocol_version) {
    std::ostringstream text;
    text << "the peer speaks protocol version " << unsigned{frame.header.version}
         << ", this node version " << unsigned{protocol_version};
    return fail(handshake_error::unsupported_version, text.str());
  }
  std::string why;
  if (frame.payload.size() != hello_payload_size || !read_parameters(frame.payload, peer_, why)) {
    if (why.empty()) why = "hello payload of wrong size";
    return fail(handshake_error::malformed_frame, why);
  }
  if (peer_.identity.node_id == config_.self.node_id) {
    return fail(handshake_error::self_connection, "the peer has this node's own id");
  }
  std::memcpy(hello_.data(), frame.payload.data(), hello_payload_size);
  write_own_fields(challenge_fields_);

  std::array<std::byte, challenge_payload_size> payload{};
  std::memcpy(payload.data(), challenge_fields_.data(), hello_payload_size);
  compute_mac(responder_label, std::span<std::byte, handshake_mac_size>(
                                   payload.data() + hello_payload_size, handshake_mac_size));
  queue(frame_kind::challenge, payload);
  state_ = handshake_state::awaiting_response;
  return state_;
}

handshake_state handshake::on_challenge(const frame_view& frame) {
  std::string why;
  if (frame.payload.size() != challenge_payload_size ||
      !read_parameters(frame.payload.first(hello_payload_size), peer_, why)) {
    if (why.empty()) why = "challenge payload of wrong size";
    return fail(handshake_error::malformed_frame, why);
  }
  if (peer_.identity.node_id == config_.self.node_id) {
    return fail(handshake_error::self_connection, "the peer has this node's own id");
  }
  std::memcpy(challenge_fields_.data(), frame.payload.data(), hello_payload_size);

  std::array<std::byte, handshake_mac_size> expected{};
  compute_mac(responder_label, expected);
  // Constant time: the comparison must not tell an attacker how many leading bytes were right.
  if (CRYPTO_memcmp(expected.data(), frame.payload.data() + hello_payload_size,
                    handshake_mac_size) != 0) {
    return fail(handshake_error::authentication_failed,
                "the responder's MAC is wrong: it does not hold this node's secret");
  }
  std::array<std::byte, handshake_mac_size> mac{};
  compute_mac(initiator_label, mac);
  queue(frame_kind::auth_response, mac);
  state_ = handshake_state::awaiting_accept;
  return state_;
}

handshake_state handshake::on_auth_response(const frame_view& frame) {
  if (frame.payload.size() != handshake_mac_size) {
    return fail(handshake_error::malformed_frame, "auth_response payload of wrong size");
  }
  std::array<std::byte, handshake_mac_size> expected{};
  compute_mac(initiator_label, expected);
  if (CRYPTO_memcmp(expected.data(), frame.payload.data(), handshake_mac_size) != 0) {
    return fail(handshake_error::authentication_failed,
                "the initiator's MAC is wrong: it does not hold this node's secret");
  }
  queue(frame_kind::accept, {});
  state_ = handshake_state::established;
  return state_;
}

handshake_state handshake::on_accept(const frame_view& frame) {
  if (!frame.payload.empty()) {
    return fail(handshake_error::malformed_frame, "accept frame with a payload");
  }
  state_ = handshake_state::established;
  return state_;
}

handshake_state handshake::on_reject(const frame_view& frame) {
  std::ostringstream text;
  text << "rejected by the peer";
  if (frame.payload.size() >= 4) {
    const auto reason = static_cast<reject_reason>(load_le<std::uint16_t>(frame.payload.data()));
    const std::size_t length = load_le<std::uint16_t>(frame.payload.data() + 2);
    text << ": " << to_string(reason);
    // The text is the peer's: printed only if it fits, and only its printable ASCII.
    if (length <= max_reject_text && length <= frame.payload.size() - 4 && length > 0) {
      text << " (";
      for (std::size_t i = 0; i < length; ++i) {
        const auto c = static_cast<unsigned char>(frame.payload[4 + i]);
        text << (c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
      }
      text << ")";
    }
  }
  return fail(handshake_error::rejected_by_peer, text.str(), false);
}

handshake_state handshake::fail(handshake_error error, std::string message, bool send_reject) {
  state_ = handshake_state::failed;
  error_ = error;
  message_ = std::move(message);
  if (send_reject) {
    const std::size_t length = std::min(message_.size(), max_reject_text);
    std::array<std::byte, 4 + max_reject_text> payload{};
    store_le(payload.data(), static_cast<std::uint16_t>(reason_for(error)));
    store_le(payload.data() + 2, static_cast<std::uint16_t>(length));
    std::memcpy(payload.data() + 4, message_.data(), length);
    queue(frame_kind::reject, std::span<const std::byte>(payload.data(), 4 + length));
  }
  return state_;
}

bool handshake::read_parameters(std::span<const std::byte> payload, peer_parameters& peer,
                                std::string& why) const {
  if (payload.size() != hello_payload_size) return false;
  peer_parameters p;
  p.identity.node_id = load_le<std::uint64_t>(payload.data() + at_node_id);
  p.identity.incarnation = load_le<std::uint64_t>(payload.data() + at_incarnation);
  p.heartbeat_interval_ms = load_le<std::uint32_t>(payload.data() + at_heartbeat);
  p.max_payload = load_le<std::uint32_t>(payload.data() + at_max_payload);
  if (p.identity.node_id == 0) {
    why = "the peer announces node id 0";
    return false;
  }
  if (p.heartbeat_interval_ms == 0) {
    why = "the peer announces a heartbeat interval of 0 ms";
    return false;
  }
  if (p.max_payload < min_peer_max_payload) {
    why = "the peer announces a payload limit below 1024 bytes";
    return false;
  }
  peer = p;
  return true;
}

void handshake::write_own_fields(std::span<std::byte, hello_payload_size> out) const {
  store_le(out.data() + at_node_id, config_.self.node_id);
  store_le(out.data() + at_incarnation, config_.self.incarnation);
  store_le(out.data() + at_heartbeat, config_.heartbeat_interval_ms);
  store_le(out.data() + at_max_payload, config_.max_payload);
  config_.random(out.subspan(at_nonce, handshake_nonce_size));
}

void handshake::compute_mac(std::string_view label,
                            std::span<std::byte, handshake_mac_size> out) const {
  std::array<std::byte, responder_label.size() + 2 * hello_payload_size> input{};
  std::memcpy(input.data(), label.data(), label.size());
  std::memcpy(input.data() + label.size(), hello_.data(), hello_payload_size);
  std::memcpy(input.data() + label.size() + hello_payload_size, challenge_fields_.data(),
              hello_payload_size);
  const auto key = config_.secret.bytes();
  // HMAC() wants a non-null key pointer even when the key is empty (no secret configured).
  static const unsigned char empty_key = 0;
  const auto* key_data =
      key.empty() ? &empty_key : reinterpret_cast<const unsigned char*>(key.data());
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(),
           reinterpret_cast<unsigned char*>(out.data()), &length) == nullptr ||
      length != handshake_mac_size) {
    throw std::runtime_error("jaegis: HMAC-SHA256 failed");
  }
}

void handshake::queue(frame_kind kind, std::span<const std::byte> payload) {
  frame_header header;
  header.kind = kind;
  const auto result = encode_frame(header, payload, outbox_);
  outbox_size_ = result.size;  // the outbox is sized for the largest handshake frame
}

}  // namespace jaegis::transports
