// libFuzzer target: the frame decoder fed arbitrary bytes in arbitrary chunks. Beyond the
// sanitizers' checks it asserts the decoder's promises: every frame it returns passes
// validate_header, lies inside the bytes given, and re-encodes to exactly those bytes; an error
// comes with a reason; nothing is returned after an error.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <jaegis/transports/frame_codec.hpp>
#include <string>
#include <vector>

using namespace jaegis::transports;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the chunk size: TCP may split the stream anywhere.
  const std::size_t chunk = 1 + data[0] % 64;
  const std::span<const std::byte> stream(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
  constexpr std::uint32_t limit = 4096;

  frame_decoder decoder(limit);
  std::size_t consumed = 0;  // stream offset of the next frame
  std::vector<std::byte> reencoded(frame_header_size + limit);
  bool failed = false;
  for (std::size_t offset = 0; offset < stream.size() && !failed; offset += chunk) {
    decoder.feed(stream.subspan(offset, std::min(chunk, stream.size() - offset)));
    for (;;) {
      frame_view frame;
      const auto status = decoder.next(frame);
      if (status == frame_decoder::status::need_more) break;
      if (status == frame_decoder::status::error) {
        require(decoder.error() != decode_error::none);
        require(!decoder.error_message().empty());
        failed = true;
        break;
      }
      std::string why;
      require(validate_header(frame.header, limit, why) == decode_error::none);
      require(frame.payload.size() == frame.header.payload_length);
      const std::size_t total = frame_header_size + frame.payload.size();
      require(consumed + total <= stream.size());
      if (frame.header.version == protocol_version) {
        const auto result = encode_frame(frame.header, frame.payload, reencoded, limit);
        require(result && result.size == total);
        require(std::memcmp(reencoded.data(), stream.data() + consumed, total) == 0);
      }
      consumed += total;
    }
  }
  if (!failed) {
    const auto end = decoder.finish();
    require(end == (consumed == stream.size() ? frame_decoder::status::need_more
                                              : frame_decoder::status::error));
  }
  return 0;
}
