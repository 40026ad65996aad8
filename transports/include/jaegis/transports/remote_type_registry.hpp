#pragma once

// The remote types a node knows, by wire type id. A frame whose type id is not here is refused
// (PROTOCOL.md, "Errors"). Registration is where two names that hash to the same id, or one name
// given to two C++ types, are caught: the 64-bit hash makes a collision very unlikely, not
// impossible, and a silent collision would deliver one type's bytes as another's.
//
// Not synchronised: register every type before the node starts (during setup), then only look up.

#include <cstdint>
#include <jaegis/transports/remote_type.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>

namespace jaegis::transports {

/// A registration that would make two types indistinguishable on the wire.
class remote_type_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

struct remote_type_info {
  std::uint64_t id = 0;
  std::string_view name;  ///< the declared name (a string literal: static storage)
  std::type_index type = typeid(void);
};

class remote_type_registry {
 public:
  /// Registers T (declared with JAEGIS_REMOTE_TYPE). Registering the same type again is a no-op.
  template <class T>
  const remote_type_info& add() {
    require_remote_type<T>();
    using U = std::remove_cvref_t<T>;
    return add(remote_type_info{remote_type_id<U>, remote_type_name<U>::value, typeid(U)});
  }

  /// Registers `info`, trusting its id (add<T>() computes it from the name); throws
  /// remote_type_error on a duplicate name, a hash collision, or id 0.
  const remote_type_info& add(const remote_type_info& info);

  /// The type with this wire id, or nullptr (an unknown type id).
  [[nodiscard]] const remote_type_info* find(std::uint64_t id) const noexcept;

  template <class T>
  [[nodiscard]] bool contains() const noexcept {
    const auto* info = find(remote_type_id<std::remove_cvref_t<T>>);
    return info != nullptr && info->type == typeid(std::remove_cvref_t<T>);
  }

  [[nodiscard]] std::size_t size() const noexcept { return by_id_.size(); }

 private:
  std::unordered_map<std::uint64_t, remote_type_info> by_id_;
  std::unordered_map<std::type_index, std::uint64_t> by_type_;
};

}  // namespace jaegis::transports
