#include <stdexcept>
#include <string>

#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"
#include "system_envelopes.hpp"

namespace jaegis {

namespace detail {
void throw_empty_ref() {
  throw std::logic_error("jaegis: send through an empty ref");
}
}  // namespace detail

actor_base::actor_base() : cell_(detail::constructing_cell()) {
  if (cell_ == nullptr) {
    throw std::logic_error("jaegis: actors are created with actor_system::spawn, not directly");
  }
}

void actor_base::stop_hook(const exit_reason& reason) noexcept {
  try {
    on_stop(reason);
  } catch (const std::exception& e) {
    system().log(std::string("jaegis: on_stop of actor ") + std::to_string(id()) +
                 " threw: " + e.what());
  } catch (...) {
    system().log("jaegis: on_stop of actor " + std::to_string(id()) + " threw");
  }
}

void actor_base::on_unhandled(type_id_t, actor_id) {}

actor_ref actor_base::current_sender() const {
  const detail::envelope* e = cell_->current();
  if (e == nullptr || e->sender == 0) return {};
  return system().registry().get(e->sender);
}

void actor_base::monitor(const actor_ref& whom) {
  if (!whom) throw std::invalid_argument("jaegis: monitor of an empty ref");
  detail::send_system(system().table(), whom.id(), id(), detail::add_watcher{id()});
}

void actor_base::demonitor(const actor_ref& whom) {
  if (!whom) return;
  detail::send_system(system().table(), whom.id(), id(), detail::remove_watcher{id()});
}

void actor_base::link(const actor_ref& other) {
  if (!other) throw std::invalid_argument("jaegis: link to an empty ref");
  auto& links = cell_->extras().links;
  if (std::find(links.begin(), links.end(), other.id()) == links.end()) links.push_back(other.id());
  detail::send_system(system().table(), other.id(), id(), detail::add_link{id()});
}

void actor_base::unlink(const actor_ref& other) {
  if (!other) return;
  std::erase(cell_->extras().links, other.id());
  detail::send_system(system().table(), other.id(), id(), detail::remove_link{id()});
}

void actor_base::trap_exit(bool on) {
  cell_->extras().trap_exit = on;
}

}  // namespace jaegis

namespace jaegis::detail {
timers::timer_service& timers_of(actor_cell& cell) noexcept {
  return cell.system().timers();
}
}  // namespace jaegis::detail
