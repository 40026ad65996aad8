#include "jaegis/framework/type_id.hpp"

#include <atomic>
#include <mutex>
#include <vector>

namespace jaegis {
namespace {

struct type_names {
  std::mutex mutex;  // taken once per type (first use) and when a log line names a type
  std::vector<std::string_view> names{"?"};
};

type_names& names() {
  static type_names instance;
  return instance;
}

}  // namespace

namespace detail {

type_id_t next_type_id(std::string_view name) noexcept {
  type_names& n = names();
  std::lock_guard lock(n.mutex);
  n.names.push_back(name);
  return static_cast<type_id_t>(n.names.size() - 1);
}

}  // namespace detail

std::string_view type_name_of(type_id_t id) noexcept {
  type_names& n = names();
  std::lock_guard lock(n.mutex);
  return id < n.names.size() ? n.names[id] : std::string_view("?");
}

}  // namespace jaegis
