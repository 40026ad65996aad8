#include "jaegis/framework/actor_cell.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>

#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"
#include "jaegis/framework/pool.hpp"
#include "jaegis/framework/request.hpp"
#include "jaegis/framework/response.hpp"
#include "jaegis/framework/send_exit.hpp"
#include "jaegis/framework/system_messages.hpp"
#include "system_envelopes.hpp"

namespace jaegis::detail {
namespace {

thread_local actor_cell* tl_running = nullptr;

/// Sets the running actor for the scope (restoring the previous one: destroy() may run an
/// actor's stop hook on another actor's thread).
class running_scope {
 public:
  explicit running_scope(actor_cell* cell) noexcept : previous_(std::exchange(tl_running, cell)) {}
  ~running_scope() { tl_running = previous_; }
  running_scope(const running_scope&) = delete;
  running_scope& operator=(const running_scope&) = delete;

 private:
  actor_cell* previous_;
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

actor_cell::actor_cell(actor_system& system, sched::executor& home, std::size_t block_size) noexcept
    : system_(&system), home_(&home), block_size_(static_cast<std::uint32_t>(block_size)) {}

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
  if (!actor_table::release(*slot_)) return;
  if (mailbox_.mark_orphaned()) destroy();
}

void actor_cell::quit(exit_reason reason) noexcept {
  if (stopping_) return;
  stopping_ = true;
  extras().reason = std::move(reason);
}

bool actor_cell::holding_user_messages() const noexcept {
  return extras_ != nullptr && extras_->pending != nullptr && extras_->pending->exclusive_waits > 0;
}

void actor_cell::forward_current(actor_cell* to) {
  if (to == nullptr) throw std::invalid_argument("jaegis: forward to an empty ref");
  if (current_ == nullptr || current_->has(response_message) ||
      (extras_ != nullptr && extras_->forwarded != nullptr)) {
    throw std::logic_error("jaegis: forward() outside a handler, or twice for one message");
  }
  to->retain();  // the envelope is handed over after the handler returns
  extras().forwarded = current_;
  extras().forward_target = to;
}

sched::run_result actor_cell::run() noexcept {
  running_scope scope(this);
  std::uint32_t budget = system_->config().throughput;  // at least 1 (actor_system ensures it)
  for (;;) {
    drain_mailbox();
    while (envelope* e = system_queue_.pop())
      handle_system(e);
    if (terminated_) drop_all();
    while (budget > 0 && !terminated_ && system_queue_.empty() && !holding_user_messages()) {
      envelope* e = user_queue_.pop();
      if (e == nullptr) break;
      --budget;
      handle_user(e);
    }
    if (!system_queue_.empty()) continue;
    const bool user_work = !user_queue_.empty() && !holding_user_messages();
    if (user_work) return sched::run_result::again;  // budget spent: yield the worker
    drain_mailbox();
    if (!system_queue_.empty() || (!user_queue_.empty() && !holding_user_messages())) {
      if (budget == 0) return sched::run_result::again;
      continue;
    }
    // Empty (or only user messages held back by an exclusive request, which the response or
    // the timeout will release by arriving): go idle.
    switch (mailbox_.try_mark_idle()) {
      case idle_result::idle:
        return sched::run_result::done;  // from here on another worker may own us: hands off
      case idle_result::busy:
        return sched::run_result::again;  // a push is half done; come back for it
      case idle_result::orphaned:
        if (!mailbox_.clear_orphan()) continue;  // a message raced in (we were resurrected)
        if (references() == 0) {
          destroy();
          return sched::run_result::done;
        }
        continue;  // resurrected by this run: carry on, and try to go idle again
    }
  }
}

void actor_cell::drain_mailbox() noexcept {
  while (envelope* e = mailbox_.pop()) {
    (e->flags & (system_message | response_message) ? system_queue_ : user_queue_).push(e);
  }
}

void actor_cell::handle_system(envelope* e) noexcept {
  if (e->has(response_message)) {
    handle_response(e);
    return;
  }
  const actor_id from = e->sender;
  actor_table& table = system_->table();
  if (e->type == type_id<start_msg>()) {
    e->destroy(e);
    started_ = true;
    if (!terminated_) {
      try {
        object_->start_hook();
      } catch (const std::exception& ex) {
        terminate(error(errc::unhandled_exception, std::string("on_start: ") + ex.what()));
      } catch (...) {
        terminate(error(errc::unhandled_exception, "on_start: unknown exception"));
      }
      if (stopping_ && !terminated_) terminate(extras().reason);
    }
    return;
  }
  if (e->type == type_id<add_watcher>()) {
    e->destroy(e);
    if (terminated_) {
      send_system(table, from, id_, down_msg{id_, extras().reason});
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
    if (terminated_) {
      send_system(table, from, id_, exit_msg{id_, extras().reason});
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
    const std::uint64_t request = e->payload<request_timeout_msg>().request_id;
    e->destroy(e);
    if (!terminated_ && extras_ != nullptr && extras_->pending != nullptr) {
      extras_->pending->fail(request,
                             error(errc::request_timeout, "no response within the timeout"));
    }
    if (stopping_ && !terminated_) terminate(extras().reason);
    return;
  }
  if (e->type == type_id<exit_msg>()) {
    if (terminated_) {
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
  if (terminated_) {
    e->destroy(e);
  } else {
    invoke(e);
  }
}

void actor_cell::handle_user(envelope* e) noexcept {
  if (terminated_) {
    drop(e);
  } else {
    invoke(e);
  }
}

void actor_cell::handle_response(envelope* e) noexcept {
  if (terminated_ || extras_ == nullptr || extras_->pending == nullptr) {
    e->destroy(e);
    return;
  }
  current_ = e;
  try {
    extras_->pending->complete(*e);
  } catch (const std::exception& ex) {
    quit(error(errc::unhandled_exception, ex.what()));
  } catch (...) {
    quit(error(errc::unhandled_exception, "unknown exception"));
  }
  current_ = nullptr;
  e->destroy(e);
  if (stopping_ && !terminated_) terminate(extras().reason);
}

void actor_cell::invoke(envelope* e) noexcept {
  current_ = e;
  try {
    if (!object_->dispatch(*e)) {
      ++extras().unhandled;
      system_->on_unhandled(e->type);
      object_->unhandled_hook(*e);
      respond_error(*e, error(errc::unexpected_message, "the receiver has no handler for it"));
    }
  } catch (const std::exception& ex) {
    respond_error(*e, error(errc::unhandled_exception, ex.what()));
    quit(error(errc::unhandled_exception, ex.what()));
  } catch (...) {
    respond_error(*e, error(errc::unhandled_exception, "unknown exception"));
    quit(error(errc::unhandled_exception, "unknown exception"));
  }
  current_ = nullptr;
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
  if (stopping_ && !terminated_) terminate(extras().reason);
}

void actor_cell::terminate(exit_reason reason) noexcept {
  if (terminated_) return;
  stopping_ = true;
  actor_extras& x = extras();
  x.reason = std::move(reason);
  if (object_ != nullptr) object_->stop_hook(x.reason);
  // release: readers on other threads (the registry) then see a stopped actor.
  terminated_flag_.store(true, std::memory_order_release);
  terminated_ = true;
  actor_table& table = system_->table();
  for (actor_id watcher : x.watchers)
    send_system(table, watcher, id_, down_msg{id_, x.reason});
  for (actor_id other : x.links)
    send_system(table, other, id_, exit_msg{id_, x.reason});
  x.watchers.clear();
  x.links.clear();
  delete std::exchange(x.pending, nullptr);  // continuations die with the actor
  if (object_ != nullptr) {
    std::exchange(object_, nullptr)->~actor_base();  // the virtual destructor: the whole object
    // (and the refs it held); then the handlers become() installed, which may hold refs too.
    delete std::exchange(x.behavior, nullptr);
  }
  system_->on_terminated(*this);
}

void actor_cell::drop(envelope* e) noexcept {
  if (e->reply_to != nullptr) {
    respond_error(*e, error(errc::actor_down, "actor " + std::to_string(id_) + " has stopped"));
  }
  e->destroy(e);
}

void actor_cell::drop_all() noexcept {
  drain_mailbox();
  while (envelope* e = system_queue_.pop()) {
    if (e->has(response_message) || e->has(system_message)) {
      // Bookkeeping still matters after we stopped: monitors and links get their answer.
      handle_system(e);
    } else {
      drop(e);
    }
  }
  while (envelope* e = user_queue_.pop())
    drop(e);
}

void actor_cell::destroy() noexcept {
  running_scope scope(this);
  if (!terminated_) terminate(error(errc::unreachable, "no reference to the actor is left"));
  drop_all();
  const actor_id id = id_;
  actor_slot* slot = slot_;
  actor_system* system = system_;
  const std::size_t size = block_size_;
  sched::executor* home = detached_ ? home_ : nullptr;
  this->~actor_cell();
  mem::deallocate(this, size);
  system->table().free_slot(*slot, id);
  system->on_freed(home);
}

}  // namespace jaegis::detail
