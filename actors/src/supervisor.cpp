#include "jaegis/actors/supervisor.hpp"

#include <stdexcept>

#include "jaegis/actors/errors.hpp"
#include "jaegis/framework/registry.hpp"
#include "jaegis/framework/send_exit.hpp"

namespace jaegis::actors {

supervisor::supervisor(supervisor_options options, std::vector<child_spec> children)
    : options_(options), window_(options.max_restarts, options.within) {
  for (child_spec& spec : children) {
    if (spec.name.empty()) throw std::invalid_argument("supervisor: a child spec has no name");
    if (!spec.start) {
      throw std::invalid_argument("supervisor: child spec '" + spec.name + "' has no factory");
    }
    for (const child& c : children_) {
      if (c.spec.name == spec.name) {
        throw std::invalid_argument("supervisor: two children named '" + spec.name + "'");
      }
    }
    children_.push_back({std::move(spec), {}});
  }
}

void supervisor::on_start() {
  for (std::size_t i = 0; i < children_.size(); ++i) {
    if (!start(i)) return;
  }
}

void supervisor::on_stop(const exit_reason& /*reason*/) {
  for (std::size_t i = children_.size(); i-- > 0;)
    stop(i);
}

actor_ref supervisor::on(which_child& w) {
  for (const child& c : children_) {
    if (c.spec.name == w.name) return c.current;
  }
  return {};
}

bool supervisor::start(std::size_t i) {
  child& c = children_[i];
  std::string failure;
  try {
    c.current = c.spec.start(system());
    if (!c.current) failure = "the factory returned an empty ref";
  } catch (const std::exception& ex) {
    failure = ex.what();
  }
  if (!failure.empty()) {
    std::string what = "cannot start child '";
    what += c.spec.name;
    what += "': ";
    what += failure;
    give_up(make_error(reason::child_failed, what));
    return false;
  }
  monitor(c.current);
  if (options_.register_names) system().registry().put(c.spec.name, c.current);
  return true;
}

void supervisor::stop(std::size_t i) {
  actor_ref old = std::move(children_[i].current);
  children_[i].current.reset();
  if (!old) return;
  demonitor(old);  // its down message is not a failure to react to
  send_exit(old, error(errc::killed, "stopped by its supervisor"));
}

void supervisor::on(down_msg& d) {
  std::size_t i = 0;
  while (i < children_.size() && children_[i].current.id() != d.source)
    ++i;
  if (i == children_.size()) return;  // one we stopped ourselves, or already replaced
  children_[i].current.reset();
  const restart policy = children_[i].spec.policy;
  const bool failed = !d.reason.is_normal();
  if (d.reason.code() == errc::user_shutdown || policy == restart::temporary ||
      (policy == restart::transient && !failed)) {
    return;
  }
  if (!window_.record(restart_window::clock::now())) {
    std::string what = "more than ";
    what += std::to_string(options_.max_restarts);
    what += " restarts within ";
    what += std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.within).count());
    what += " ms; the last: child '";
    what += children_[i].spec.name;
    what += "' stopped with ";
    what += d.reason.to_string();
    give_up(make_error(reason::intensity_exceeded, what));
    return;
  }
  restart_after(i);
}

void supervisor::restart_after(std::size_t failed) {
  std::size_t first = failed;
  std::size_t last = failed + 1;
  if (options_.how == strategy::all_for_one) first = 0;
  if (options_.how != strategy::one_for_one) last = children_.size();
  // Siblings that are running and whose policy would bring them back; temporary ones just stop.
  std::vector<bool> again(children_.size(), false);
  again[failed] = true;
  for (std::size_t j = last; j-- > first;) {
    if (j == failed || !children_[j].current) continue;
    again[j] = children_[j].spec.policy != restart::temporary;
    stop(j);
  }
  for (std::size_t j = first; j < last; ++j) {
    if (again[j] && !start(j)) return;
  }
}

void supervisor::give_up(error reason) {
  for (std::size_t i = children_.size(); i-- > 0;)
    stop(i);
  quit(std::move(reason));
}

}  // namespace jaegis::actors
