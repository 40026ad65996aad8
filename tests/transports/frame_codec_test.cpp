#include <catch2/catch.hpp>
#include <cstring>
#include <jaegis/transports/frame_codec.hpp>
#include <jaegis/transports/little_endian.hpp>
#include <string>
#include <vector>

using namespace jaegis::transports;

namespace {

std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

frame_header message_header(std::uint64_t type = 0x1234, std::uint64_t receiver = 7) {
  frame_header h;
  h.kind = frame_kind::message;
  h.type_id = type;
  h.sender = 3;
  h.receiver = receiver;
  return h;
}

/// Appends one encoded frame to `stream`.
void append(std::vector<std::byte>& stream, frame_header h, std::span<const std::byte> payload) {
  std::vector<std::byte> buffer(frame_header_size + payload.size());
  const auto result = encode_frame(h, payload, buffer);
  REQUIRE(result);
  REQUIRE(result.size == buffer.size());
  stream.insert(stream.end(), buffer.begin(), buffer.end());
}

struct decoded {
  frame_header header;
  std::vector<std::byte> payload;
};

/// Decodes everything available; payloads are copied because views die on the next call.
frame_decoder::status drain(frame_decoder& decoder, std::vector<decoded>& out) {
  for (;;) {
    frame_view view;
    const auto status = decoder.next(view);
    if (status != frame_decoder::status::frame) return status;
    out.push_back({view.header, {view.payload.begin(), view.payload.end()}});
  }
}

}  // namespace

TEST_CASE("little-endian stores and loads put the low byte first", "[transports][frame]") {
  std::byte buffer[8]{};
  store_le(buffer, std::uint32_t{0x11223344});
  CHECK(buffer[0] == std::byte{0x44});
  CHECK(buffer[3] == std::byte{0x11});
  CHECK(load_le<std::uint32_t>(buffer) == 0x11223344u);
  store_le(buffer, std::int64_t{-2});
  CHECK(load_le<std::int64_t>(buffer) == -2);
}

TEST_CASE("the header layout matches PROTOCOL.md byte for byte", "[transports][frame]") {
  frame_header h;
  h.kind = frame_kind::request;
  h.flags = 0;
  h.type_id = 0x0807060504030201ull;
  h.sender = 0x11;
  h.receiver = 0x22;
  h.request_id = 0x33;
  const auto payload = bytes_of("abc");
  std::vector<std::byte> out(64);
  const auto result = encode_frame(h, payload, out);
  REQUIRE(result);
  CHECK(result.size == 51);
  CHECK(out[0] == std::byte{'J'});
  CHECK(out[1] == std::byte{'G'});
  CHECK(out[2] == std::byte{1});
  CHECK(out[3] == std::byte{17});
  CHECK(load_le<std::uint32_t>(&out[8]) == 3);
  CHECK(out[16] == std::byte{0x01});
  CHECK(out[23] == std::byte{0x08});
  CHECK(load_le<std::uint64_t>(&out[24]) == 0x11);
  CHECK(load_le<std::uint64_t>(&out[32]) == 0x22);
  CHECK(load_le<std::uint64_t>(&out[40]) == 0x33);
  CHECK(out[48] == std::byte{'a'});
  CHECK(out[50] == std::byte{'c'});
}

TEST_CASE("encode_frame refuses a small buffer and an oversized payload", "[transports][frame]") {
  const std::vector<std::byte> payload(100);
  std::vector<std::byte> out(frame_header_size + 99);
  CHECK(encode_frame(message_header(), payload, out).error == encode_error::buffer_too_small);
  out.resize(frame_header_size + 100);
  CHECK(encode_frame(message_header(), payload, out, 99).error == encode_error::payload_too_large);
  CHECK(encode_frame(message_header(), payload, out, 100));
}

TEST_CASE("frames round trip through the decoder", "[transports][frame]") {
  std::vector<std::byte> stream;
  const auto p1 = bytes_of("first payload");
  const auto p3 = bytes_of("third");
  frame_header request = message_header(0x99, 5);
  request.kind = frame_kind::request;
  request.request_id = 42;
  frame_header urgent = message_header();
  urgent.flags = frame_flags::urgent;
  frame_header heartbeat;
  append(stream, message_header(), p1);
  append(stream, heartbeat, {});
  append(stream, request, p3);
  append(stream, urgent, {});

  frame_decoder decoder;
  decoder.feed(stream);
  std::vector<decoded> frames;
  CHECK(drain(decoder, frames) == frame_decoder::status::need_more);
  REQUIRE(frames.size() == 4);
  frame_header expected = message_header();
  expected.payload_length = static_cast<std::uint32_t>(p1.size());
  CHECK(frames[0].header == expected);
  CHECK(frames[0].payload == p1);
  CHECK(frames[1].header.kind == frame_kind::heartbeat);
  CHECK(frames[1].payload.empty());
  CHECK(frames[2].header.request_id == 42);
  CHECK(frames[2].header.kind == frame_kind::request);
  CHECK(frames[2].payload == p3);
  CHECK(frames[3].header.flags == frame_flags::urgent);
  CHECK(decoder.buffered() == 0);
  CHECK(decoder.finish() == frame_decoder::status::need_more);
}

TEST_CASE("a stream split at every point, and byte by byte, decodes the same frames",
          "[transports][frame]") {
  std::vector<std::byte> stream;
  const auto p1 = bytes_of("0123456789");
  append(stream, message_header(), p1);
  append(stream, frame_header{}, {});
  append(stream, message_header(0x77, 9), bytes_of("x"));

  for (std::size_t split = 0; split <= stream.size(); ++split) {
    frame_decoder decoder;
    std::vector<decoded> frames;
    decoder.feed(std::span(stream).first(split));
    REQUIRE(drain(decoder, frames) == frame_decoder::status::need_more);
    decoder.feed(std::span(stream).subspan(split));
    REQUIRE(drain(decoder, frames) == frame_decoder::status::need_more);
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].payload == p1);
    CHECK(frames[1].header.kind == frame_kind::heartbeat);
    CHECK(frames[2].header.type_id == 0x77);
  }
  // Two split points at once: every pair (i, j).
  std::size_t checked = 0;
  for (std::size_t i = 0; i <= stream.size(); i += 3) {
    for (std::size_t j = i; j <= stream.size(); j += 5) {
      frame_decoder decoder;
      std::vector<decoded> frames;
      decoder.feed(std::span(stream).first(i));
      REQUIRE(drain(decoder, frames) == frame_decoder::status::need_more);
      decoder.feed(std::span(stream).subspan(i, j - i));
      REQUIRE(drain(decoder, frames) == frame_decoder::status::need_more);
      decoder.feed(std::span(stream).subspan(j));
      REQUIRE(drain(decoder, frames) == frame_decoder::status::need_more);
      REQUIRE(frames.size() == 3);
      ++checked;
    }
  }
  CHECK(checked > 100);

  frame_decoder decoder;
  std::vector<decoded> frames;
  for (const std::byte b : stream) {
    decoder.feed(std::span(&b, 1));
    REQUIRE(drain(decoder, frames) == frame_decoder::status::need_more);
  }
  CHECK(frames.size() == 3);
}

TEST_CASE("a stream that ends inside a frame is truncated", "[transports][frame]") {
  std::vector<std::byte> stream;
  append(stream, message_header(), bytes_of("payload"));
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    frame_decoder decoder;
    decoder.feed(std::span(stream).first(cut));
    frame_view view;
    REQUIRE(decoder.next(view) == frame_decoder::status::need_more);
    REQUIRE(decoder.finish() == frame_decoder::status::error);
    CHECK(decoder.error() == decode_error::truncated);
    CHECK_THAT(decoder.error_message(), Catch::Contains("ended inside a frame"));
  }
}

TEST_CASE("an oversized length is refused from the header alone, before its payload",
          "[transports][frame]") {
  frame_header h = message_header();
  h.payload_length = 0xFFFFFFFFu;  // a hostile length: nothing follows the header
  std::vector<std::byte> header(frame_header_size);
  encode_header(h, std::span<std::byte, frame_header_size>(header.data(), frame_header_size));
  frame_decoder decoder(1024);
  decoder.feed(header);
  frame_view view;
  REQUIRE(decoder.next(view) == frame_decoder::status::error);
  CHECK(decoder.error() == decode_error::oversized);
  CHECK_THAT(decoder.error_message(), Catch::Contains("exceeds the limit of 1024"));
  CHECK(decoder.buffered() == 0);

  // Exactly at the limit is fine.
  std::vector<std::byte> stream;
  append(stream, message_header(), std::vector<std::byte>(1024));
  frame_decoder at_limit(1024);
  at_limit.feed(stream);
  CHECK(at_limit.next(view) == frame_decoder::status::frame);
  CHECK(view.payload.size() == 1024);
}

TEST_CASE("header fields outside the protocol are errors with a reason", "[transports][frame]") {
  std::vector<std::byte> stream;
  append(stream, message_header(), bytes_of("abc"));
  const auto decode = [](std::vector<std::byte> bytes) {
    frame_decoder decoder;
    decoder.feed(bytes);
    frame_view view;
    const auto status = decoder.next(view);
    INFO(decoder.error_message());
    CHECK(status == frame_decoder::status::error);
    // The error is sticky: later bytes are ignored, the connection must close.
    decoder.feed(bytes);
    CHECK(decoder.next(view) == frame_decoder::status::error);
    return decoder.error();
  };
  SECTION("bad magic") {
    auto bytes = stream;
    bytes[0] = std::byte{'G'};
    CHECK(decode(bytes) == decode_error::bad_magic);
    bytes = stream;
    bytes[1] = std::byte{'X'};
    CHECK(decode(bytes) == decode_error::bad_magic);
  }
  SECTION("unknown kind") {
    auto bytes = stream;
    bytes[3] = std::byte{99};
    CHECK(decode(bytes) == decode_error::unknown_kind);
    bytes[3] = std::byte{0};
    CHECK(decode(bytes) == decode_error::unknown_kind);
  }
  SECTION("another version, except on hello") {
    auto bytes = stream;
    bytes[2] = std::byte{2};
    CHECK(decode(bytes) == decode_error::unsupported_version);
  }
  SECTION("unknown flags, and flags on a kind that has none") {
    auto bytes = stream;
    bytes[4] = std::byte{0x02};
    CHECK(decode(bytes) == decode_error::unknown_flags);
    std::vector<std::byte> heartbeat;
    frame_header h;
    h.flags = frame_flags::urgent;
    append(heartbeat, h, {});
    CHECK(decode(heartbeat) == decode_error::bad_fields);
  }
  SECTION("reserved bytes") {
    auto bytes = stream;
    bytes[6] = std::byte{1};
    CHECK(decode(bytes) == decode_error::nonzero_reserved);
    bytes = stream;
    bytes[15] = std::byte{1};
    CHECK(decode(bytes) == decode_error::nonzero_reserved);
  }
  SECTION("fields a kind forbids") {
    const auto with = [](frame_header h, std::size_t payload_size = 0) {
      std::vector<std::byte> bytes;
      append(bytes, h, std::vector<std::byte>(payload_size));
      return bytes;
    };
    frame_header h = message_header(0);
    CHECK(decode(with(h)) == decode_error::bad_fields);  // message of type 0
    h = message_header(5, 0);
    CHECK(decode(with(h)) == decode_error::bad_fields);  // message to nobody
    h = message_header();
    h.request_id = 1;
    CHECK(decode(with(h)) == decode_error::bad_fields);  // message with a request id
    h.kind = frame_kind::request;
    h.request_id = 0;
    CHECK(decode(with(h)) == decode_error::bad_fields);  // request without one
    h = frame_header{};
    CHECK(decode(with(h, 1)) == decode_error::bad_fields);  // heartbeat with a payload
    h.kind = frame_kind::hello;
    h.sender = 1;
    CHECK(decode(with(h, 56)) == decode_error::bad_fields);  // handshake frame with ids
    h = frame_header{};
    h.kind = frame_kind::credit;
    CHECK(decode(with(h, 3)) == decode_error::bad_fields);  // credit is exactly 4 bytes
    h.kind = frame_kind::error_response;
    h.request_id = 4;
    h.type_id = 1;
    CHECK(decode(with(h)) == decode_error::bad_fields);  // error response carries no type
  }
}

TEST_CASE("a hello of another version reaches the handshake, which rejects it",
          "[transports][frame]") {
  frame_header h;
  h.kind = frame_kind::hello;
  h.version = 7;
  h.type_id = 0xdead;  // a later version may lay out bytes 12-47 differently
  std::vector<std::byte> bytes(frame_header_size);
  encode_header(h, std::span<std::byte, frame_header_size>(bytes.data(), frame_header_size));
  frame_decoder decoder;
  decoder.feed(bytes);
  frame_view view;
  REQUIRE(decoder.next(view) == frame_decoder::status::frame);
  CHECK(view.header.version == 7);
}

TEST_CASE("garbage never yields a frame past its own bytes", "[transports][frame]") {
  // A fixed pseudo-random sequence: whatever it decodes to, the decoder must stop with an error or
  // wait, and every frame it returns must lie inside the bytes it was given.
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  std::size_t errors = 0;
  for (int round = 0; round < 200; ++round) {
    std::vector<std::byte> bytes(1 + round * 7 % 300);
    for (auto& b : bytes) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      b = static_cast<std::byte>(state);
    }
    if (round % 2 == 0) {  // half of them start like a frame, to get past the magic
      bytes[0] = std::byte{'J'};
      if (bytes.size() > 1) bytes[1] = std::byte{'G'};
    }
    frame_decoder decoder(4096);
    decoder.feed(bytes);
    frame_view view;
    frame_decoder::status status;
    while ((status = decoder.next(view)) == frame_decoder::status::frame) {
      CHECK(view.payload.size() <= 4096);
    }
    if (status == frame_decoder::status::error) ++errors;
  }
  CHECK(errors > 150);
}
