#pragma once

// How a message crosses the wire: for each remote type (remote_type.hpp), the functions that
// write an envelope's payload into frame bytes and build an envelope from frame bytes, found by
// the framework's local type id when sending and by the stable wire id when receiving.
//
// The table is process-wide: a type's codec does not depend on the node, and a process with two
// nodes (tests, the in-memory transport) shares it. Registration (add<T>()) happens when a typed
// remote ref is looked up or an actor is published (every message type of its class, and their
// response types), or explicitly for untyped use; it takes a lock and checks for name and id
// collisions. Lookups take no lock: two arrays of atomic pointers, written once per entry.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <jaegis/framework/envelope.hpp>
#include <jaegis/framework/response.hpp>
#include <jaegis/transports/remote_type.hpp>
#include <jaegis/transports/remote_type_registry.hpp>
#include <jaegis/transports/serialization.hpp>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <type_traits>

JAEGIS_REMOTE_TYPE(jaegis::unit_t, "jaegis.unit")

namespace jaegis::transports {

struct wire_codec {
  std::uint64_t wire_id = 0;
  type_id_t local_id = 0;
  std::string_view name;
  /// The payload's encoded size.
  std::size_t (*size)(jaegis::detail::envelope& e) = nullptr;
  /// Writes the payload into `out` (exactly size() bytes).
  serialize_result (*write)(jaegis::detail::envelope& e, std::span<std::byte> out) = nullptr;
  /// A new envelope holding the decoded value, or nullptr with `error` set.
  jaegis::detail::envelope* (*read)(std::span<const std::byte> in,
                                    serialization_error& error) = nullptr;
};

namespace detail_codec {
template <class T>
struct codec_of {
  static std::size_t size(jaegis::detail::envelope& e) { return serialized_size(e.payload<T>()); }
  static serialize_result write(jaegis::detail::envelope& e, std::span<std::byte> out) {
    return serialize_to(out, e.payload<T>());
  }
  static jaegis::detail::envelope* read(std::span<const std::byte> in, serialization_error& error) {
    jaegis::detail::envelope* e = jaegis::detail::make_envelope<T>();
    error = deserialize_from(in, e->payload<T>());
    if (error == serialization_error::none) return e;
    e->destroy(e);
    return nullptr;
  }
};
}  // namespace detail_codec

class wire_codecs {
 public:
  /// The process's table.
  static wire_codecs& instance();

  /// Registers T (declared with JAEGIS_REMOTE_TYPE, default-constructible, serializable); a
  /// no-op if it is registered. Throws remote_type_error on a name or id collision.
  template <class T>
  const wire_codec& add() {
    using U = std::remove_cvref_t<T>;
    require_remote_type<U>();
    static_assert(std::is_default_constructible_v<U>,
                  "JAEGIS: a remote message type must be default-constructible (it is built, "
                  "then read from the wire)");
    const type_id_t local = type_id<U>();
    if (const wire_codec* known = by_local(local)) return *known;
    using codec = detail_codec::codec_of<U>;
    return add(wire_codec{remote_type_id<U>, local, remote_type_name<U>::value, &codec::size,
                          &codec::write, &codec::read},
               typeid(U));
  }

  /// The codec of a local type id, or nullptr (not registered for remoting).
  const wire_codec* by_local(type_id_t local) const noexcept {
    if (local >= local_capacity) return nullptr;
    // acquire: pairs with add()'s release store, so the codec's fields are visible.
    return by_local_[local].load(std::memory_order_acquire);
  }
  /// The codec of a wire type id, or nullptr (unknown type: a protocol error).
  const wire_codec* by_wire(std::uint64_t wire_id) const noexcept;

  static constexpr std::size_t local_capacity = std::size_t{1} << 16;
  static constexpr std::size_t wire_capacity = std::size_t{1} << 12;

 private:
  wire_codecs();
  const wire_codec& add(const wire_codec& codec, const std::type_info& type);

  std::mutex mutex_;  ///< registration only
  remote_type_registry checks_;
  std::unique_ptr<std::atomic<const wire_codec*>[]> by_local_;
  std::unique_ptr<std::atomic<const wire_codec*>[]> by_wire_;
  std::size_t wire_count_ = 0;
};

}  // namespace jaegis::transports
