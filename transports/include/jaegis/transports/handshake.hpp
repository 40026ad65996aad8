#pragma once

// The connection handshake (PROTOCOL.md, "Handshake") as a pure state machine: frames in, frames
// out, no sockets and no clocks, so every carrier shares it and tests drive it frame by frame.
//
//   initiator                                     responder
//   start()        -- hello(id, nonce_i) -->
//                  <-- challenge(id, nonce_r, mac_r) --   mac_r = HMAC(secret, "jaegis/1 responder"
//                  | H | C)
//   check mac_r    -- auth_response(mac_i) -->            mac_i = HMAC(secret, "jaegis/1 initiator"
//   | H | C)
//                  <-- accept --                          check mac_i
//   established                                   established
//
// H is the hello payload, C the challenge payload without its MAC. Both sides prove the secret;
// each MAC covers the other side's fresh nonce, so a recorded MAC is useless on a new connection,
// and the two labels keep one side's MAC from being reflected as the other's. Until the state is
// `established` no frame other than these is accepted: a peer without the secret cannot get a
// single message delivered. Any failure queues a reject frame (unless the peer sent one) and ends
// in `failed`: the carrier sends the outbox, closes the connection and logs error_message().
// The carrier also bounds the handshake's duration (PROTOCOL.md suggests 5 s).

#include <array>
#include <cstddef>
#include <cstdint>
#include <jaegis/transports/frame.hpp>
#include <jaegis/transports/shared_secret.hpp>
#include <span>
#include <string>
#include <string_view>

namespace jaegis::transports {

inline constexpr std::size_t handshake_nonce_size = 32;
inline constexpr std::size_t handshake_mac_size = 32;  // HMAC-SHA256
/// hello: node id, incarnation, heartbeat interval, max payload, nonce.
inline constexpr std::size_t hello_payload_size = 8 + 8 + 4 + 4 + handshake_nonce_size;
/// challenge: the same fields as hello, then the responder's MAC.
inline constexpr std::size_t challenge_payload_size = hello_payload_size + handshake_mac_size;
inline constexpr std::size_t max_reject_text = 200;

/// Who a node is: its id, and the incarnation that changes on every restart, so that refs to a
/// node's previous life are recognisably stale.
struct node_identity {
  std::uint64_t node_id = 0;
  std::uint64_t incarnation = 0;
  friend bool operator==(const node_identity&, const node_identity&) = default;
};

/// What each side announces about itself.
struct peer_parameters {
  node_identity identity;
  std::uint32_t heartbeat_interval_ms = 0;
  std::uint32_t max_payload = 0;
};

struct handshake_config {
  node_identity self;
  shared_secret secret;
  std::uint32_t heartbeat_interval_ms = 1000;
  std::uint32_t max_payload = default_max_payload;
  /// Fills nonces; nullptr means fill_secure_random. Tests of the deterministic transport may
  /// give a seeded generator; production code never should.
  void (*random)(std::span<std::byte>) = nullptr;
};

enum class handshake_role : std::uint8_t { initiator, responder };

enum class handshake_state : std::uint8_t {
  idle,                ///< before start()
  awaiting_hello,      ///< responder
  awaiting_challenge,  ///< initiator, hello sent
  awaiting_response,   ///< responder, challenge sent
  awaiting_accept,     ///< initiator, response sent
  established,
  failed,
};

enum class handshake_error : std::uint8_t {
  none,
  unexpected_frame,       ///< a frame this state does not accept (a message before accept...)
  malformed_frame,        ///< wrong payload size, ids set that must be zero, bad parameters
  unsupported_version,    ///< hello of another protocol version
  authentication_failed,  ///< the peer's MAC is wrong: it does not have our secret
  self_connection,        ///< the peer has our own node id
  rejected_by_peer,       ///< the peer sent reject
};

/// The reason code carried by a reject frame.
enum class reject_reason : std::uint16_t {
  protocol_error = 1,
  unsupported_version = 2,
  authentication_failed = 3,
  self_connection = 4,
};

[[nodiscard]] std::string_view to_string(handshake_state state) noexcept;
[[nodiscard]] std::string_view to_string(handshake_error error) noexcept;

class handshake {
 public:
  handshake(handshake_role role, handshake_config config);

  /// Initiator: queues hello. Responder: starts waiting for hello. Call once.
  handshake_state start();

  /// Feeds the next frame from the peer; may queue one frame to send. Once established, the
  /// carrier routes frames to the actors instead; a frame fed to an established handshake is out of
  /// order (a handshake frame after completion) and fails it.
  handshake_state on_frame(const frame_view& frame);

  /// The frame produced by the last start() or on_frame() (empty if none): send it before the
  /// next call, which replaces it.
  [[nodiscard]] std::span<const std::byte> outbox() const noexcept {
    return {outbox_.data(), outbox_size_};
  }

  [[nodiscard]] handshake_role role() const noexcept { return role_; }
  [[nodiscard]] handshake_state state() const noexcept { return state_; }
  [[nodiscard]] bool established() const noexcept { return state_ == handshake_state::established; }
  [[nodiscard]] handshake_error error() const noexcept { return error_; }
  [[nodiscard]] const std::string& error_message() const noexcept { return message_; }
  /// The peer's identity and parameters; meaningful once established.
  [[nodiscard]] const peer_parameters& peer() const noexcept { return peer_; }

 private:
  handshake_state on_hello(const frame_view& frame);
  handshake_state on_challenge(const frame_view& frame);
  handshake_state on_auth_response(const frame_view& frame);
  handshake_state on_accept(const frame_view& frame);
  handshake_state on_reject(const frame_view& frame);
  handshake_state fail(handshake_error error, std::string message, bool send_reject = true);
  bool read_parameters(std::span<const std::byte> payload, peer_parameters& peer,
                       std::string& why) const;
  void write_own_fields(std::span<std::byte, hello_payload_size> out) const;
  void compute_mac(std::string_view label, std::span<std::byte, handshake_mac_size> out) const;
  void queue(frame_kind kind, std::span<const std::byte> payload);

  handshake_role role_;
  handshake_config config_;
  handshake_state state_ = handshake_state::idle;
  handshake_error error_ = handshake_error::none;
  std::string message_;
  peer_parameters peer_;
  std::array<std::byte, hello_payload_size> hello_{};             // H, as sent or received
  std::array<std::byte, hello_payload_size> challenge_fields_{};  // C without the MAC
  std::array<std::byte, frame_header_size + 4 + max_reject_text> outbox_{};
  std::size_t outbox_size_ = 0;
};

}  // namespace jaegis::transports
