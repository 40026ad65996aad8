// libFuzzer target: one side of the handshake (the responder, or with the first byte's low bit
// set the initiator) fed arbitrary bytes through the frame decoder, as a hostile peer would send
// them. It asserts what the protocol promises: the machine never reaches `established` without a
// valid MAC (impossible to forge here: the fuzzer does not know the secret), every failure has a
// reason, and every frame it queues decodes as a handshake frame.
#include <cstddef>
#include <cstdint>
#include <jaegis/transports/frame_codec.hpp>
#include <jaegis/transports/handshake.hpp>

using namespace jaegis::transports;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

// Reproducible runs: a fixed nonce (the property checked does not depend on its value).
void fixed_random(std::span<std::byte> out) {
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::byte>(i * 31 + 7);
}

void check_outbox(const handshake& side) {
  if (side.outbox().empty()) return;
  frame_decoder decoder;
  decoder.feed(side.outbox());
  frame_view frame;
  require(decoder.next(frame) == frame_decoder::status::frame);
  require(is_handshake_kind(frame.header.kind));
  require(decoder.buffered() == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto role = (data[0] & 1) != 0 ? handshake_role::initiator : handshake_role::responder;
  handshake_config config;
  config.self = {42, 7};
  config.secret = shared_secret::from_string("a secret the fuzzer does not know");
  config.random = fixed_random;
  handshake side(role, config);
  side.start();
  check_outbox(side);

  frame_decoder decoder(4096);
  decoder.feed(std::span(reinterpret_cast<const std::byte*>(data) + 1, size - 1));
  for (;;) {
    frame_view frame;
    if (decoder.next(frame) != frame_decoder::status::frame) break;
    const auto state = side.on_frame(frame);
    check_outbox(side);
    // Nothing the fuzzer sends can complete an authenticated handshake.
    require(state != handshake_state::established);
    if (state == handshake_state::failed) {
      require(side.error() != handshake_error::none);
      require(!side.error_message().empty());
    }
  }
  return 0;
}
