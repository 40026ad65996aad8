#include "jaegis/framework/registry.hpp"

#include <bit>
#include <stdexcept>

#include "jaegis/framework/actor_system.hpp"

namespace jaegis {

/// A name's binding. Created once per distinct name, freed with the registry.
struct registry::entry {
  entry(std::string_view n, std::uint64_t h) : name(n), hash(h) {}
  const std::string name;
  const std::uint64_t hash;
  std::atomic<actor_id> bound{0};  ///< holds one counted reference to the actor while non-zero
};

namespace {

std::uint64_t hash_name(std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a: short names, no adversary
  for (unsigned char c : name)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

registry::registry(actor_system& system, std::size_t name_capacity)
    : system_(system),
      mask_(std::bit_ceil(name_capacity < 8 ? std::size_t{8} : name_capacity) - 1),
      slots_(std::make_unique<std::atomic<entry*>[]>(mask_ + 1)) {}

registry::~registry() {
  clear();
  for (std::size_t i = 0; i <= mask_; ++i) {
    delete slots_[i].load(std::memory_order_relaxed);  // relaxed: no concurrent users left
  }
}

registry::entry* registry::find(std::string_view name, std::uint64_t hash) const noexcept {
  for (std::size_t i = hash & mask_, probes = 0; probes <= mask_; i = (i + 1) & mask_, ++probes) {
    // acquire: pairs with the release CAS that published the entry (its name is then visible).
    entry* e = slots_[i].load(std::memory_order_acquire);
    if (e == nullptr) return nullptr;
    if (e->hash == hash && e->name == name) return e;
  }
  return nullptr;
}

registry::entry& registry::find_or_insert(std::string_view name, std::uint64_t hash) {
  entry* fresh = nullptr;
  for (std::size_t i = hash & mask_, probes = 0; probes <= mask_; i = (i + 1) & mask_, ++probes) {
    // acquire: as in find().
    entry* e = slots_[i].load(std::memory_order_acquire);
    if (e == nullptr) {
      if (fresh == nullptr) fresh = new entry(name, hash);
      // release: publishes the entry's name and hash; acquire on failure: read the winner's.
      if (slots_[i].compare_exchange_strong(e, fresh, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
        return *fresh;
      }
    }
    if (e->hash == hash && e->name == name) {
      delete fresh;
      return *e;
    }
  }
  delete fresh;
  throw std::length_error("jaegis: registry full (" + std::to_string(mask_ + 1) +
                          " names); raise actor_system_config::registry_names");
}

bool registry::unbind(entry& e, actor_id expected) noexcept {
  // acq_rel: whoever clears the binding owns its reference and releases it.
  if (expected == 0 || !e.bound.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
    return false;
  }
  if (detail::actor_slot* slot = system_.table().slot_of(expected)) {
    // relaxed: we hold the binding's reference, so the cell pointer is stable.
    slot->cell(std::memory_order_relaxed)->release();
  }
  return true;
}

actor_ref registry::get(actor_id id) const {
  detail::actor_cell* cell = system_.table().try_retain(id);
  actor_ref found = actor_ref::adopt(cell);
  if (cell != nullptr && cell->terminated()) found.reset();
  return found;
}

actor_ref registry::lookup(std::string_view name, type_id_t expected_type) const {
  entry* e = find(name, hash_name(name));
  if (e == nullptr) return {};
  // acquire: pairs with put()'s release, so the actor's slot is set up.
  const actor_id id = e->bound.load(std::memory_order_acquire);
  if (id == 0) return {};
  actor_ref found = actor_ref::adopt(system_.table().try_retain(id));
  if (!found) return {};
  if (found.cell()->terminated()) {
    // Bound after its actor stopped (a put racing the stop): drop the stale binding now.
    const_cast<registry*>(this)->unbind(*e, id);
    return {};
  }
  if (expected_type != 0 && found.cell()->actor_type() != expected_type) return {};
  return found;
}

void registry::put(std::string_view name, const actor_ref& actor) {
  entry& e = find_or_insert(name, hash_name(name));
  actor_id id = 0;
  if (actor) {
    actor.cell()->retain();  // the binding's reference
    actor.cell()->mark_named();
    id = actor.id();
  }
  // acq_rel: release publishes the reference we took; acquire lets us release the old one.
  const actor_id old = e.bound.exchange(id, std::memory_order_acq_rel);
  if (old != 0) {
    if (detail::actor_slot* slot = system_.table().slot_of(old)) {
      // relaxed: the binding's reference keeps the old cell alive until this release.
      slot->cell(std::memory_order_relaxed)->release();
    }
  }
}

bool registry::erase(std::string_view name) {
  entry* e = find(name, hash_name(name));
  // acquire: as in lookup().
  return e != nullptr && unbind(*e, e->bound.load(std::memory_order_acquire));
}

void registry::erase_actor(actor_id id) noexcept {
  for (std::size_t i = 0; i <= mask_; ++i) {
    // acquire: as in find().
    entry* e = slots_[i].load(std::memory_order_acquire);
    if (e != nullptr && e->bound.load(std::memory_order_relaxed) == id) unbind(*e, id);
  }
}

void registry::clear() noexcept {
  for (std::size_t i = 0; i <= mask_; ++i) {
    // acquire: as in find().
    entry* e = slots_[i].load(std::memory_order_acquire);
    if (e != nullptr) unbind(*e, e->bound.load(std::memory_order_acquire));
  }
}

std::size_t registry::size() const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i <= mask_; ++i) {
    entry* e = slots_[i].load(std::memory_order_acquire);                // acquire: as in find()
    n += e != nullptr && e->bound.load(std::memory_order_relaxed) != 0;  // relaxed: a snapshot
  }
  return n;
}

}  // namespace jaegis
