#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <jaegis/transports/frame_codec.hpp>
#include <jaegis/transports/handshake.hpp>
#include <jaegis/transports/little_endian.hpp>
#include <string>
#include <vector>

using namespace jaegis::transports;

namespace {

const std::string secret_a = "correct horse battery staple";
const std::string secret_b = "a different secret of some length";

handshake_config config(std::uint64_t node, const std::string& secret,
                        std::uint64_t incarnation = 1) {
  handshake_config c;
  c.self = {node, incarnation};
  c.secret = shared_secret::from_string(secret);
  c.heartbeat_interval_ms = 250;
  c.max_payload = 1 << 20;
  return c;
}

/// One direction of a connection: the bytes one side wrote, decoded as the other side reads them.
struct wire {
  frame_decoder decoder;
  std::vector<std::byte> held;  // the last frame's payload, copied (views die on the next call)

  /// Decodes exactly one frame out of `bytes` (a handshake outbox holds one).
  frame_view carry(std::span<const std::byte> bytes) {
    decoder.feed(bytes);
    frame_view view;
    REQUIRE(decoder.next(view) == frame_decoder::status::frame);
    held.assign(view.payload.begin(), view.payload.end());
    view.payload = held;
    return view;
  }
};

/// Runs the whole exchange; returns after the first side fails or both are established.
void run(handshake& initiator, handshake& responder) {
  wire to_responder, to_initiator;
  responder.start();
  initiator.start();
  for (int step = 0; step < 8; ++step) {
    if (!initiator.outbox().empty()) {
      const auto bytes =
          std::vector<std::byte>(initiator.outbox().begin(), initiator.outbox().end());
      responder.on_frame(to_responder.carry(bytes));
    } else {
      break;
    }
    if (!responder.outbox().empty()) {
      const auto bytes =
          std::vector<std::byte>(responder.outbox().begin(), responder.outbox().end());
      initiator.on_frame(to_initiator.carry(bytes));
    } else {
      break;
    }
  }
}

/// Decodes the one frame in `bytes`; its payload is copied into `storage`, which it points to.
frame_view decode_one(std::span<const std::byte> bytes, std::vector<std::byte>& storage) {
  frame_decoder decoder;
  decoder.feed(bytes);
  frame_view view;
  REQUIRE(decoder.next(view) == frame_decoder::status::frame);
  storage.assign(view.payload.begin(), view.payload.end());
  view.payload = storage;
  return view;
}

frame_view make_frame(frame_kind kind, std::span<const std::byte> payload) {
  frame_view f;
  f.header.kind = kind;
  f.header.payload_length = static_cast<std::uint32_t>(payload.size());
  f.payload = payload;
  return f;
}

}  // namespace

TEST_CASE("two nodes with the same secret complete the handshake", "[transports][handshake]") {
  handshake initiator(handshake_role::initiator, config(1, secret_a, 10));
  handshake responder(handshake_role::responder, config(2, secret_a, 20));
  run(initiator, responder);
  REQUIRE(initiator.established());
  REQUIRE(responder.established());
  CHECK(initiator.peer().identity == node_identity{2, 20});
  CHECK(responder.peer().identity == node_identity{1, 10});
  CHECK(initiator.peer().heartbeat_interval_ms == 250);
  CHECK(responder.peer().max_payload == (1u << 20));
  CHECK(initiator.error() == handshake_error::none);

  // Established connections route frames to the actors; a handshake frame now is out of order.
  responder.on_frame(make_frame(frame_kind::hello, {}));
  CHECK(responder.error() == handshake_error::unexpected_frame);
  CHECK_THAT(responder.error_message(), Catch::Contains("the handshake has completed"));
}

TEST_CASE("nodes without a secret on both sides still handshake (loopback use)",
          "[transports][handshake]") {
  handshake_config a = config(1, secret_a);
  handshake_config b = config(2, secret_a);
  a.secret = shared_secret();
  b.secret = shared_secret();
  handshake initiator(handshake_role::initiator, a);
  handshake responder(handshake_role::responder, b);
  run(initiator, responder);
  CHECK(initiator.established());
  CHECK(responder.established());
}

TEST_CASE("a wrong secret on either side fails authentication", "[transports][handshake]") {
  SECTION("the responder lacks the secret: the initiator refuses it") {
    handshake initiator(handshake_role::initiator, config(1, secret_a));
    handshake responder(handshake_role::responder, config(2, secret_b));
    run(initiator, responder);
    CHECK(initiator.state() == handshake_state::failed);
    CHECK(initiator.error() == handshake_error::authentication_failed);
    CHECK_THAT(initiator.error_message(), Catch::Contains("responder's MAC is wrong"));
    CHECK_FALSE(responder.established());
    // The initiator's reject tells the responder why.
    std::vector<std::byte> storage;
    responder.on_frame(decode_one(initiator.outbox(), storage));
    CHECK(responder.error() == handshake_error::rejected_by_peer);
    CHECK_THAT(responder.error_message(), Catch::Contains("authentication failed"));
  }
  SECTION("the initiator lacks the secret: the responder refuses it") {
    // The initiator is made to skip its own check by giving it the responder's view of things:
    // a real attacker would simply ignore the responder's MAC and send any auth_response.
    handshake responder(handshake_role::responder, config(2, secret_a));
    handshake attacker(handshake_role::initiator, config(1, secret_b));
    responder.start();
    attacker.start();
    std::vector<std::byte> s1, s2;
    responder.on_frame(decode_one(attacker.outbox(), s1));
    REQUIRE(responder.state() == handshake_state::awaiting_response);
    // Without the secret the best the attacker can send is a MAC under its own key.
    const std::vector<std::byte> guess(handshake_mac_size, std::byte{0x5A});
    responder.on_frame(make_frame(frame_kind::auth_response, guess));
    CHECK(responder.state() == handshake_state::failed);
    CHECK(responder.error() == handshake_error::authentication_failed);
    CHECK_THAT(responder.error_message(), Catch::Contains("initiator's MAC is wrong"));
    const frame_view reject = decode_one(responder.outbox(), s2);
    CHECK(reject.header.kind == frame_kind::reject);
    CHECK(load_le<std::uint16_t>(reject.payload.data()) ==
          static_cast<std::uint16_t>(reject_reason::authentication_failed));
  }
  SECTION("one side with a secret, the other without") {
    handshake_config none = config(1, secret_a);
    none.secret = shared_secret();
    handshake initiator(handshake_role::initiator, none);
    handshake responder(handshake_role::responder, config(2, secret_a));
    run(initiator, responder);
    CHECK(initiator.error() == handshake_error::authentication_failed);
    CHECK_FALSE(responder.established());
  }
}

TEST_CASE("a recorded auth_response is useless on a new connection", "[transports][handshake]") {
  // Record a genuine exchange.
  handshake initiator(handshake_role::initiator, config(1, secret_a));
  handshake responder(handshake_role::responder, config(2, secret_a));
  wire to_responder, to_initiator;
  responder.start();
  initiator.start();
  const std::vector<std::byte> hello(initiator.outbox().begin(), initiator.outbox().end());
  responder.on_frame(to_responder.carry(hello));
  initiator.on_frame(to_initiator.carry(
      std::vector<std::byte>(responder.outbox().begin(), responder.outbox().end())));
  const std::vector<std::byte> recorded(initiator.outbox().begin(), initiator.outbox().end());
  responder.on_frame(to_responder.carry(recorded));
  REQUIRE(responder.established());

  // Replay hello and auth_response to a fresh responder: its new nonce makes the MAC wrong.
  handshake victim(handshake_role::responder, config(2, secret_a));
  wire replay;
  victim.start();
  victim.on_frame(replay.carry(hello));
  REQUIRE(victim.state() == handshake_state::awaiting_response);
  victim.on_frame(replay.carry(recorded));
  CHECK(victim.state() == handshake_state::failed);
  CHECK(victim.error() == handshake_error::authentication_failed);
}

TEST_CASE("truncated and garbled handshake frames fail cleanly", "[transports][handshake]") {
  handshake initiator(handshake_role::initiator, config(1, secret_a));
  initiator.start();
  std::vector<std::byte> storage;
  const frame_view hello = decode_one(initiator.outbox(), storage);
  const std::vector<std::byte> payload(hello.payload.begin(), hello.payload.end());

  SECTION("every truncation of hello") {
    for (std::size_t n = 0; n < payload.size(); ++n) {
      handshake responder(handshake_role::responder, config(2, secret_a));
      responder.start();
      responder.on_frame(make_frame(frame_kind::hello, std::span(payload).first(n)));
      CHECK(responder.error() == handshake_error::malformed_frame);
      CHECK_FALSE(responder.outbox().empty());  // a reject goes back
    }
  }
  SECTION("hello with a byte too many") {
    auto longer = payload;
    longer.push_back(std::byte{0});
    handshake responder(handshake_role::responder, config(2, secret_a));
    responder.start();
    responder.on_frame(make_frame(frame_kind::hello, longer));
    CHECK(responder.error() == handshake_error::malformed_frame);
  }
  SECTION("hello with impossible parameters") {
    for (const std::size_t field : {0u, 16u, 20u}) {  // node id, heartbeat, max payload
      auto bad = payload;
      std::memset(bad.data() + field, 0, field == 0 ? 8 : 4);
      handshake responder(handshake_role::responder, config(2, secret_a));
      responder.start();
      responder.on_frame(make_frame(frame_kind::hello, bad));
      CHECK(responder.error() == handshake_error::malformed_frame);
    }
  }
  SECTION("a garbled challenge: every byte flipped in turn") {
    handshake responder(handshake_role::responder, config(2, secret_a));
    responder.start();
    responder.on_frame(make_frame(frame_kind::hello, payload));
    std::vector<std::byte> s2;
    const frame_view challenge = decode_one(responder.outbox(), s2);
    const std::vector<std::byte> good(challenge.payload.begin(), challenge.payload.end());
    for (std::size_t i = 0; i < good.size(); ++i) {
      // A copy of the initiator that sent this hello: the MAC covers that hello.
      handshake copy = initiator;
      auto garbled = good;
      garbled[i] ^= std::byte{0x01};
      copy.on_frame(make_frame(frame_kind::challenge, garbled));
      INFO("byte " << i);
      CHECK(copy.state() == handshake_state::failed);
      CHECK((copy.error() == handshake_error::authentication_failed ||
             copy.error() == handshake_error::malformed_frame));
    }
    handshake copy = initiator;
    copy.on_frame(make_frame(frame_kind::challenge, good));
    CHECK(copy.state() == handshake_state::awaiting_accept);  // the ungarbled one passes
  }
  SECTION("auth_response and accept of the wrong size") {
    handshake responder(handshake_role::responder, config(2, secret_a));
    responder.start();
    responder.on_frame(make_frame(frame_kind::hello, payload));
    const std::vector<std::byte> short_mac(handshake_mac_size - 1);
    responder.on_frame(make_frame(frame_kind::auth_response, short_mac));
    CHECK(responder.error() == handshake_error::malformed_frame);

    handshake a(handshake_role::initiator, config(1, secret_a));
    handshake b(handshake_role::responder, config(2, secret_a));
    a.start();
    b.start();
    std::vector<std::byte> s1, s2, s3;
    b.on_frame(decode_one(a.outbox(), s1));
    a.on_frame(decode_one(b.outbox(), s2));
    REQUIRE(a.state() == handshake_state::awaiting_accept);
    const std::vector<std::byte> junk(3);
    a.on_frame(make_frame(frame_kind::accept, junk));
    CHECK(a.error() == handshake_error::malformed_frame);
  }
}

TEST_CASE("a hello of another protocol version is rejected with the reason",
          "[transports][handshake]") {
  handshake initiator(handshake_role::initiator, config(1, secret_a));
  initiator.start();
  std::vector<std::byte> bytes(initiator.outbox().begin(), initiator.outbox().end());
  bytes[2] = std::byte{2};  // version 2
  frame_decoder decoder;
  decoder.feed(bytes);
  frame_view hello;
  REQUIRE(decoder.next(hello) == frame_decoder::status::frame);

  handshake responder(handshake_role::responder, config(2, secret_a));
  responder.start();
  responder.on_frame(hello);
  CHECK(responder.error() == handshake_error::unsupported_version);
  CHECK_THAT(responder.error_message(), Catch::Contains("version 2"));
  std::vector<std::byte> storage;
  const frame_view reject = decode_one(responder.outbox(), storage);
  CHECK(reject.header.kind == frame_kind::reject);
  CHECK(reject.header.version == protocol_version);
  CHECK(load_le<std::uint16_t>(reject.payload.data()) ==
        static_cast<std::uint16_t>(reject_reason::unsupported_version));
}

TEST_CASE("no traffic is accepted before the handshake completes", "[transports][handshake]") {
  const std::vector<std::byte> body(8);
  frame_view message = make_frame(frame_kind::message, body);
  message.header.type_id = 1;
  message.header.receiver = 1;

  SECTION("a message as the very first frame") {
    handshake responder(handshake_role::responder, config(2, secret_a));
    responder.start();
    responder.on_frame(message);
    CHECK(responder.error() == handshake_error::unexpected_frame);
    CHECK_THAT(responder.error_message(),
               Catch::Contains("no traffic before the handshake completes"));
    CHECK_FALSE(responder.outbox().empty());
  }
  SECTION("a message after hello, in place of the auth_response") {
    handshake initiator(handshake_role::initiator, config(1, secret_a));
    handshake responder(handshake_role::responder, config(2, secret_a));
    initiator.start();
    responder.start();
    std::vector<std::byte> s1;
    responder.on_frame(decode_one(initiator.outbox(), s1));
    REQUIRE(responder.state() == handshake_state::awaiting_response);
    responder.on_frame(message);
    CHECK(responder.error() == handshake_error::unexpected_frame);
  }
  SECTION("handshake frames out of order") {
    handshake responder(handshake_role::responder, config(2, secret_a));
    responder.start();
    responder.on_frame(make_frame(frame_kind::accept, {}));
    CHECK(responder.error() == handshake_error::unexpected_frame);
    handshake initiator(handshake_role::initiator, config(1, secret_a));
    initiator.start();
    initiator.on_frame(make_frame(frame_kind::hello, {}));
    CHECK(initiator.error() == handshake_error::unexpected_frame);
  }
  SECTION("heartbeats do not count either") {
    handshake responder(handshake_role::responder, config(2, secret_a));
    responder.start();
    responder.on_frame(make_frame(frame_kind::heartbeat, {}));
    CHECK(responder.error() == handshake_error::unexpected_frame);
  }
  SECTION("a failed handshake stays failed") {
    handshake responder(handshake_role::responder, config(2, secret_a));
    responder.start();
    responder.on_frame(message);
    handshake initiator(handshake_role::initiator, config(1, secret_a));
    initiator.start();
    std::vector<std::byte> s1;
    responder.on_frame(decode_one(initiator.outbox(), s1));
    CHECK(responder.state() == handshake_state::failed);
    CHECK(responder.outbox().empty());
  }
}

TEST_CASE("a node that connects to itself is refused", "[transports][handshake]") {
  handshake initiator(handshake_role::initiator, config(5, secret_a));
  handshake responder(handshake_role::responder, config(5, secret_a));
  run(initiator, responder);
  CHECK(responder.error() == handshake_error::self_connection);
  CHECK(initiator.error() == handshake_error::rejected_by_peer);
  CHECK_THAT(initiator.error_message(), Catch::Contains("self connection"));
}

TEST_CASE("the peer's reject text is shown printable only", "[transports][handshake]") {
  handshake initiator(handshake_role::initiator, config(1, secret_a));
  initiator.start();
  std::vector<std::byte> payload(4 + 3);
  store_le(payload.data(), std::uint16_t{3});
  store_le(payload.data() + 2, std::uint16_t{3});
  payload[4] = std::byte{'o'};
  payload[5] = std::byte{0x07};  // BEL: not echoed into a log
  payload[6] = std::byte{'k'};
  initiator.on_frame(make_frame(frame_kind::reject, payload));
  CHECK(initiator.error() == handshake_error::rejected_by_peer);
  CHECK_THAT(initiator.error_message(), Catch::Contains("authentication failed (o?k)"));
}

TEST_CASE("nonces come from the configured generator and differ per connection",
          "[transports][handshake]") {
  handshake a(handshake_role::initiator, config(1, secret_a));
  handshake b(handshake_role::initiator, config(1, secret_a));
  a.start();
  b.start();
  const auto nonce = [](const handshake& h) {
    const auto out = h.outbox();
    return std::vector<std::byte>(out.begin() + frame_header_size + 24, out.end());
  };
  CHECK(nonce(a).size() == handshake_nonce_size);
  CHECK(nonce(a) != nonce(b));

  handshake_config fixed = config(1, secret_a);
  fixed.random = [](std::span<std::byte> out) {
    for (auto& x : out)
      x = std::byte{0xAB};
  };
  handshake c(handshake_role::initiator, fixed);
  c.start();
  CHECK(nonce(c) == std::vector<std::byte>(handshake_nonce_size, std::byte{0xAB}));
}

TEST_CASE("the shared secret comes from config or the environment, never too short",
          "[transports][handshake]") {
  CHECK(shared_secret().empty());
  CHECK(shared_secret::from_string("").empty());
  CHECK(shared_secret::from_string(secret_a).bytes().size() == secret_a.size());
  CHECK_THROWS_WITH(shared_secret::from_string("short"),
                    Catch::Contains("holds 5 bytes; a secret needs at least 16"));

  ::unsetenv("JAEGIS_TEST_SECRET_VAR");
  CHECK(shared_secret::from_environment("JAEGIS_TEST_SECRET_VAR").empty());
  ::setenv("JAEGIS_TEST_SECRET_VAR", secret_b.c_str(), 1);
  const auto from_env = shared_secret::from_environment("JAEGIS_TEST_SECRET_VAR");
  CHECK(from_env.bytes().size() == secret_b.size());
  ::setenv("JAEGIS_TEST_SECRET_VAR", "tiny", 1);
  CHECK_THROWS_WITH(
      shared_secret::from_environment("JAEGIS_TEST_SECRET_VAR"),
      Catch::Contains("the environment variable JAEGIS_TEST_SECRET_VAR holds 4 bytes"));
  ::unsetenv("JAEGIS_TEST_SECRET_VAR");

  shared_secret moved = shared_secret::from_string(secret_a);
  shared_secret target = std::move(moved);
  CHECK(target.bytes().size() == secret_a.size());
  CHECK(moved.empty());  // NOLINT(bugprone-use-after-move): the moved-from secret is wiped
}

TEST_CASE("invalid own configuration is refused up front", "[transports][handshake]") {
  CHECK_THROWS_WITH(handshake(handshake_role::initiator, config(0, secret_a)),
                    Catch::Contains("node id 0"));
  auto c = config(1, secret_a);
  c.heartbeat_interval_ms = 0;
  CHECK_THROWS_WITH(handshake(handshake_role::initiator, c), Catch::Contains("heartbeat"));
  c = config(1, secret_a);
  c.max_payload = 10;
  CHECK_THROWS_WITH(handshake(handshake_role::responder, c), Catch::Contains("max_payload"));
}
