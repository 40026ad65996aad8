#include "jaegis/framework/actor_cell.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>

#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"
#include "jaegis/framework/inline_runs.hpp"
#include "jaegis/framework/pool.hpp"
#include "jaegis/framework/request.hpp"
#include "jaegis/framework/response.hpp"
#include "jaegis/framework/run_end.hpp"
#include "jaegis/framework/send_exit.hpp"
#include "jaegis/framework/system_messages.hpp"
#include "system_envelopes.hpp"

namespace jaegis::detail {
namespace {

thread_local actor_cell* tl_running = nullptr;

/// The reason of a plain quit(): an actor that stops so needs no extras to remember it.
const exit_reason normal_exit(errc::normal);
bool plain_normal(const exit_reason& reason) noexcept {
  return reason.code() == errc::normal && reason.what().empty();
}
/// The message being handled on this thread: one per thread, not per actor, since only the
/// running actor has one (and the cell stays smaller).
thread_local envelope* tl_current = nullptr;

/// What call_at_run_end() asked for on this thread (run_end.hpp).
thread_local run_end_fn tl_run_end = nullptr;

/// Sets the running actor for the scope (restoring the previous one and its current message:
/// destroy() may run an actor's stop hook on another actor's thread). The end of the outermost
/// scope is the end of the run: the deferred work runs then.
class running_scope {
 public:
  explicit running_scope(actor_cell* cell) noexcept
      : previous_(std::exchange(tl_running, cell)), previous_current_(tl_current) {}
  ~running_scope() {
    tl_running = previous_;
    tl_current = previous_current_;
    if (tl_run_end != nullptr && previous_ == nullptr) std::exchange(tl_run_end, nullptr)();
  }
  running_scope(const running_scope&) = delete;
  running_scope& operator=(const running_scope&) = delete;

 private:
  actor_cell* previous_;
  envelope* previous_current_;
};

/// Sets the current message for the scope.
class current_scope {
 public:
  explicit current_scope(envelope* e) noexcept { tl_current = e; }
  ~current_scope() { tl_current = nullptr; }
  current_scope(const current_scope&) = delete;
  current_scope& operator=(const current_scope&) = delete;
};

template <class M>
envelope* system_envelope(actor_id from, M&& msg) {
  envelope* e = make_envelope<std::remove_cvref_t<M>>(std::forward<M>(msg));
  e->flags = system_message;
  e->sender = from;
  return e;
}

}  // namespace

template <class M>
bool send_system(actor_table& table, actor_id to, actor_id from, M&& msg) {
  actor_cell* target = table.try_retain(to);
  if (target == nullptr) return false;
  target->enqueue(system_envelope(from, std::forward<M>(msg)));
  target->release();
  return true;
}

template bool send_system(actor_table&, actor_id, actor_id, add_watcher&&);
template bool send_system(actor_table&, actor_id, actor_id, remove_watcher&&);
template bool send_system(actor_table&, actor_id, actor_id, add_link&&);
template bool send_system(actor_table&, actor_id, actor_id, remove_link&&);
template bool send_system(actor_table&, actor_id, actor_id, kill_msg&&);
template bool send_system(actor_table&, actor_id, actor_id, request_timeout_msg&&);

}  // namespace jaegis::detail

namespace jaegis {

void send_exit(const actor_ref& to, exit_reason reason) {
  if (!to) throw std::invalid_argument("jaegis: send_exit through an empty ref");
  detail::actor_cell* self = detail::actor_cell::running();
  const actor_id from = self != nullptr ? self->id() : 0;
  if (reason.code() == errc::killed) {
    to.cell()->enqueue(detail::system_envelope(from, detail::kill_msg{std::move(reason)}));
  } else {
    to.cell()->enqueue(detail::system_envelope(from, exit_msg{from, std::move(reason)}));
  }
}

}  // namespace jaegis

namespace jaegis::detail {

actor_cell* actor_cell::running() noexcept {
  return tl_running;
}

void call_at_run_end(run_end_fn fn) noexcept {
  if (tl_running == nullptr) {
    fn();
    return;
  }
  if (run_end_fn pending = std::exchange(tl_run_end, fn); pending != nullptr && pending != fn) {
    pending();
  }
}

envelope* actor_cell::current() noexcept {
  return tl_current;
}

actor_base* actor_cell::object() const noexcept {
  if (!is(has_object)) return nullptr;
  const char* block = reinterpret_cast<const char*>(this);
  return reinterpret_cast<actor_base*>(const_cast<char*>(block) + cell_space + object_offset_);
}

actor_slot& actor_cell::slot() const noexcept {
  return system_->table().live_slot(id_);
}

void actor_cell::retain() noexcept {
  actor_table::retain(slot());
}

std::uint32_t actor_cell::references() const noexcept {
  // relaxed: a snapshot for diagnostics and tests.
  return static_cast<std::uint32_t>(slot().state.load(std::memory_order_relaxed) &
                                    actor_table::count_mask);
}

void actor_cell::schedule() noexcept {
  retain();  // the run's own reference, dropped when it goes idle
  if (is(detached)) {
    extras_->detached_home->schedule(*this);
  } else if (!inline_runs::take(*this)) {
    system_->executor().schedule(*this);
  }
}

actor_cell::~actor_cell() {
  if (extras_ != nullptr) {
    delete extras_->pending;
    delete extras_->behavior;
    mem::destroy(extras_);
  }
}

behavior_holder& actor_cell::behavior_for_become() {
  actor_extras& x = extras();
  if (x.behavior == nullptr) x.behavior = new behavior_holder();
  return *x.behavior;
}

actor_extras& actor_cell::extras() {
  if (extras_ == nullptr) extras_ = mem::make<actor_extras>();
  return *extras_;
}

void actor_cell::release() noexcept {
  // The last reference: nobody can send to the actor any more, and no run is queued or running
  // (a scheduled run holds a reference of its own), so it is idle for good.
  if (actor_table::release(slot())) destroy();
}

void actor_cell::quit(exit_reason reason) noexcept {
  if (is(stopping)) return;
  set(stopping);
  if (extras_ != nullptr || !plain_normal(reason)) extras().reason = std::move(reason);
}

bool actor_cell::holding_user_messages() const noexcept {
  return extras_ != nullptr && extras_->pending != nullptr && extras_->pending->exclusive_waits > 0;
}

void actor_cell::forward_current(actor_cell* to) {
  if (to == nullptr) throw std::invalid_argument("jaegis: forward to an empty ref");
  envelope* e = current();
  if (e == nullptr || e->has(response_message) ||
      (extras_ != nullptr && extras_->forwarded != nullptr)) {
    throw std::logic_error("jaegis: forward() outside a handler, or twice for one message");
  }
  to->retain();  // the envelope is handed over after the handler returns
  extras().forwarded = e;
  extras().forward_target = to;
}

sched::run_result actor_cell::run() noexcept {
  running_scope scope(this);
  if (!is(started)) start();
  std::uint32_t budget = system_->config().throughput;  // at least 1 (actor_system ensures it)
  // Urgent messages first, once per run: a backlog holds them back by at most one run's budget.
  handle_urgent();
  if (is_terminated()) drop_all();
  while (budget > 0 && !is_terminated()) {
    envelope* e = next_ordinary();
    if (e == nullptr) break;
    if (e->has(response_message)) {
      handle_response(e);
    } else if (holding_user_messages()) {
      extras_->held.push(e);  // an exclusive request waits: the response releases them
    } else {
      --budget;
      handle_ordinary(e);
    }
  }
  if (budget == 0) return sched::run_result::again;  // yield the worker; more may be waiting
  // Empty (or only user messages held back by an exclusive request, which the response or the
  // timeout will release by arriving), or stopped: go idle. A message or an urgent push that
  // raced in makes that fail, and the requeued run takes it.
  if (mailbox_.try_mark_idle() == idle_result::busy) {
    return sched::run_result::again;  // a push is half done, or one just came: requeue
  }
  // From here on another worker may run us (the next push schedules a new run with a reference
  // of its own). Drop this run's reference; if it was the last, nobody can reach the actor any
  // more, and we free it.
  release();
  return sched::run_result::done;  // hands off: we may be gone
}

void actor_cell::start() noexcept {
  set(started);
  if (is_terminated()) return;
  try {
    object()->start_hook();
  } catch (const std::exception& ex) {
    terminate(error(errc::unhandled_exception, std::string("on_start: ") + ex.what()));
  } catch (...) {
    terminate(error(errc::unhandled_exception, "on_start: unknown exception"));
  }
  if (is(stopping) && !is_terminated()) terminate(stop_reason());
}

void actor_cell::handle_urgent() noexcept {
  for (envelope* e = mailbox_.take_urgent(); e != nullptr;) {
    // relaxed: take_urgent() handed us a private, synchronised list.
    auto* next = static_cast<envelope*>(e->next.load(std::memory_order_relaxed));
    handle_system(e);
    e = next;
  }
}

envelope* actor_cell::next_ordinary() noexcept {
  if (extras_ != nullptr && !extras_->held.empty() && !holding_user_messages()) {
    return extras_->held.pop();  // released by the response: they came first
  }
  return mailbox_.pop();
}

void actor_cell::handle_system(envelope* e) noexcept {
  if (e->has(response_message)) {
    handle_response(e);
    return;
  }
  const actor_id from = e->sender;
  actor_table& table = system_->table();
  if (e->type == type_id<add_watcher>()) {
    e->destroy(e);
    if (is_terminated()) {
      send_system(table, from, id_, down_msg{id_, stop_reason()});
    } else {
      extras().watchers.push_back(from);
    }
    return;
  }
  if (e->type == type_id<remove_watcher>()) {
    e->destroy(e);
    if (extras_ != nullptr) std::erase(extras_->watchers, from);
    return;
  }
  if (e->type == type_id<add_link>()) {
    e->destroy(e);
    if (is_terminated()) {
      send_system(table, from, id_, exit_msg{id_, stop_reason()});
    } else if (std::find(extras().links.begin(), extras().links.end(), from) ==
               extras().links.end()) {
      extras().links.push_back(from);
    }
    return;
  }
  if (e->type == type_id<remove_link>()) {
    e->destroy(e);
    if (extras_ != nullptr) std::erase(extras_->links, from);
    return;
  }
  if (e->type == type_id<kill_msg>()) {
    exit_reason reason = std::move(e->payload<kill_msg>().reason);
    e->destroy(e);
    terminate(std::move(reason));
    return;
  }
  if (e->type == type_id<request_timeout_msg>()) {
    const std::uint64_t arm_seq = e->payload<request_timeout_msg>().arm_seq;
    e->destroy(e);
    if (!is_terminated() && extras_ != nullptr && extras_->pending != nullptr) {
      extras_->pending->expire(arm_seq, *this);
    }
    if (is(stopping) && !is_terminated()) terminate(stop_reason());
    return;
  }
  if (e->type == type_id<exit_msg>()) {
    if (is_terminated()) {
      e->destroy(e);
      return;
    }
    exit_msg& exit = e->payload<exit_msg>();
    if (extras_ != nullptr) std::erase(extras_->links, exit.source);
    if (extras_ != nullptr && extras_->trap_exit) {
      invoke(e);  // delivered as a message
      return;
    }
    exit_reason reason = std::move(exit.reason);
    e->destroy(e);
    if (!reason.is_normal()) terminate(std::move(reason));
    return;
  }
  // down_msg and any other system-flagged message: to the handlers.
  if (is_terminated()) {
    e->destroy(e);
  } else {
    invoke(e);
  }
}

void actor_cell::handle_ordinary(envelope* e) noexcept {
  if (is_terminated()) {
    drop(e);
  } else {
    invoke(e);
  }
}

void actor_cell::handle_response(envelope* e) noexcept {
  if (is(relays_responses) && !is_terminated()) {
    invoke(e);
    return;
  }
  if (is_terminated() || extras_ == nullptr || extras_->pending == nullptr) {
    e->destroy(e);
    return;
  }
  {
    current_scope scope(e);
    try {
      extras_->pending->complete(*e);
    } catch (const std::exception& ex) {
      quit(error(errc::unhandled_exception, ex.what()));
    } catch (...) {
      quit(error(errc::unhandled_exception, "unknown exception"));
    }
  }
  e->destroy(e);
  if (is(stopping) && !is_terminated()) terminate(stop_reason());
}

void actor_cell::invoke(envelope* e) noexcept {
  {
    current_scope scope(e);
    actor_base* self = object();
    try {
      if (!self->dispatch(*e)) {
        ++extras().unhandled;
        system_->on_unhandled(e->type);
        self->unhandled_hook(*e);
        respond_error(*e, error(errc::unexpected_message, "the receiver has no handler for it"));
      }
    } catch (const std::exception& ex) {
      respond_error(*e, error(errc::unhandled_exception, ex.what()));
      quit(error(errc::unhandled_exception, ex.what()));
    } catch (...) {
      respond_error(*e, error(errc::unhandled_exception, "unknown exception"));
      quit(error(errc::unhandled_exception, "unknown exception"));
    }
  }
  if (extras_ != nullptr && e == extras_->adopted) {
    extras_->adopted = nullptr;  // a suspended coroutine handler owns it now (task.hpp)
  } else if (extras_ != nullptr && e == extras_->forwarded) {
    extras_->forwarded = nullptr;  // it lives on in another mailbox
    actor_cell* target = std::exchange(extras_->forward_target, nullptr);
    target->enqueue(e);
    target->release();
  } else {
    if (e->reply_to != nullptr) respond(*e, unit_t{});  // a request whose handler returned void
    e->destroy(e);
  }
  if (is(stopping) && !is_terminated()) terminate(stop_reason());
}

void actor_cell::terminate(exit_reason reason) noexcept {
  if (is_terminated()) return;
  set(stopping);
  // A plain normal stop of an actor that never needed its extras allocates none.
  if (extras_ != nullptr || !plain_normal(reason)) extras().reason = std::move(reason);
  const exit_reason& final_reason = extras_ != nullptr ? extras_->reason : normal_exit;
  if (actor_base* self = object()) self->stop_hook(final_reason);
  // release: readers on other threads (the registry) then see a stopped actor.
  shared_flags_.fetch_or(shared_terminated, std::memory_order_release);
  set(terminated_here);
  if (extras_ != nullptr) tell_watchers_and_links(*extras_);
  if (actor_base* self = object()) {
    flags_ = static_cast<std::uint8_t>(flags_ & ~has_object);
    self->~actor_base();  // the virtual destructor: the whole object (and the refs it held);
    // then the handlers become() installed, which may hold refs too.
    if (extras_ != nullptr) delete std::exchange(extras_->behavior, nullptr);
  }
  system_->on_terminated(*this);
}

void actor_cell::tell_watchers_and_links(actor_extras& x) noexcept {
  actor_table& table = system_->table();
  for (actor_id watcher : x.watchers)
    send_system(table, watcher, id_, down_msg{id_, x.reason});
  for (actor_id other : x.links)
    send_system(table, other, id_, exit_msg{id_, x.reason});
  x.watchers.clear();
  x.links.clear();
  delete std::exchange(x.pending, nullptr);  // continuations die with the actor
}

exit_reason actor_cell::stop_reason() const {
  return extras_ != nullptr ? extras_->reason : normal_exit;
}

void actor_cell::drop(envelope* e) noexcept {
  if (e->reply_to != nullptr) {
    // A remote actor's proxy stops with node_down when its node is lost: say so, not just
    // "stopped", so that the requester can tell a lost node from a stopped actor.
    const bool lost_node = stop_reason().code() == errc::node_down;
    std::string what = "actor " + std::to_string(id_) + " has stopped";
    if (lost_node) what += ": " + stop_reason().what();
    respond_error(*e, error(lost_node ? errc::node_down : errc::actor_down, std::move(what)));
  }
  e->destroy(e);
}

void actor_cell::drop_all() noexcept {
  // Bookkeeping still matters after we stopped: monitors and links get their answer.
  handle_urgent();
  while (envelope* e = mailbox_.pop()) {
    if (e->has(response_message) || e->has(system_message)) {
      handle_system(e);
    } else {
      drop(e);
    }
  }
  if (extras_ != nullptr) {
    while (envelope* e = extras_->held.pop())
      drop(e);
  }
}

void actor_cell::destroy() noexcept {
  running_scope scope(this);
  if (!is_terminated()) terminate(error(errc::unreachable, "no reference to the actor is left"));
  drop_all();
  const actor_id id = id_;
  actor_slot& slot = this->slot();
  actor_system* system = system_;
  const std::size_t size = block_size_;
  sched::executor* home = is(detached) ? extras_->detached_home : nullptr;
  this->~actor_cell();
  mem::deallocate(this, size);
  system->table().free_slot(slot, id, system->executor().current_worker());
  system->on_freed(home);
}

}  // namespace jaegis::detail
