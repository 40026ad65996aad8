#include <jaegis/transports/wire_codec.hpp>
#include <sstream>
#include <typeindex>

namespace jaegis::transports {

namespace {
std::size_t wire_slot(std::uint64_t wire_id) noexcept {
  // The ids are FNV-1a hashes already: their low bits are well spread.
  return static_cast<std::size_t>(wire_id) & (wire_codecs::wire_capacity - 1);
}
}  // namespace

wire_codecs& wire_codecs::instance() {
  // Built on first use and never destroyed: a thread or a static destructor that still sends at
  // exit finds it intact, and its codecs stay reachable (no leak report).
  static wire_codecs* const table = new wire_codecs();
  return *table;
}

wire_codecs::wire_codecs()
    // (): value-initialised, every entry nullptr.
    : by_local_(new std::atomic<const wire_codec*>[local_capacity]()),
      by_wire_(new std::atomic<const wire_codec*>[wire_capacity]()) {
  add<unit_t>();
}

const wire_codec& wire_codecs::add(const wire_codec& codec, const std::type_info& type) {
  std::lock_guard lock(mutex_);
  if (codec.local_id >= local_capacity) {
    throw remote_type_error("jaegis: more than 65536 message types in one process");
  }
  // relaxed: registration is serialised by the mutex.
  if (const wire_codec* known = by_local_[codec.local_id].load(std::memory_order_relaxed)) {
    return *known;
  }
  checks_.add(remote_type_info{codec.wire_id, codec.name, std::type_index(type)});
  if (2 * (wire_count_ + 1) > wire_capacity) {
    throw remote_type_error("jaegis: more than 2048 remote message types in one process");
  }
  // Entries are never freed: lookups hold plain pointers without a lock.
  const wire_codec* stored = new wire_codec(codec);
  std::size_t i = wire_slot(codec.wire_id);
  // relaxed: probing under the mutex; only this thread writes.
  while (by_wire_[i].load(std::memory_order_relaxed) != nullptr)
    i = (i + 1) & (wire_capacity - 1);
  // release: a reader that finds the pointer sees the codec's fields.
  by_wire_[i].store(stored, std::memory_order_release);
  by_local_[codec.local_id].store(stored, std::memory_order_release);  // release: as above
  ++wire_count_;
  return *stored;
}

const wire_codec* wire_codecs::by_wire(std::uint64_t wire_id) const noexcept {
  for (std::size_t i = wire_slot(wire_id);; i = (i + 1) & (wire_capacity - 1)) {
    // acquire: pairs with add()'s release store.
    const wire_codec* c = by_wire_[i].load(std::memory_order_acquire);
    if (c == nullptr) return nullptr;
    if (c->wire_id == wire_id) return c;
  }
}

}  // namespace jaegis::transports
