#include <jaegis/transports/remote_type_registry.hpp>
#include <sstream>

namespace jaegis::transports {

const remote_type_info& remote_type_registry::add(const remote_type_info& info) {
  if (info.id == 0) {
    std::ostringstream text;
    text << "remote type '" << info.name << "': id 0 is reserved for 'no type'";
    throw remote_type_error(text.str());
  }
  if (const auto it = by_id_.find(info.id); it != by_id_.end()) {
    const remote_type_info& known = it->second;
    if (known.type == info.type && known.name == info.name) return known;
    std::ostringstream text;
    if (known.name == info.name) {
      text << "remote type name '" << info.name << "' is declared for two C++ types ("
           << known.type.name() << " and " << info.type.name() << "): names must be unique";
    } else {
      text << "remote type names '" << known.name << "' and '" << info.name
           << "' hash to the same id 0x" << std::hex << info.id << ": rename one of them";
    }
    throw remote_type_error(text.str());
  }
  if (const auto it = by_type_.find(info.type); it != by_type_.end()) {
    std::ostringstream text;
    text << "C++ type " << info.type.name() << " is already registered as '"
         << by_id_.at(it->second).name << "', not '" << info.name << "'";
    throw remote_type_error(text.str());
  }
  by_type_.emplace(info.type, info.id);
  return by_id_.emplace(info.id, info).first->second;
}

const remote_type_info* remote_type_registry::find(std::uint64_t id) const noexcept {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

}  // namespace jaegis::transports
