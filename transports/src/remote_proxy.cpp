#include "remote_proxy.hpp"

#include <jaegis/framework/actor_system.hpp>
#include <jaegis/framework/send_exit.hpp>

#include "peer_session.hpp"

namespace jaegis::detail {

remote_proxy::remote_proxy(std::shared_ptr<peer_session> session, actor_id remote)
    : session_(std::move(session)), remote_(remote) {
  cell().relay_responses();
  trap_exit(true);  // a linked local actor's exit goes to the remote actor as a frame
}

remote_proxy::~remote_proxy() {
  drop_held(error(errc::actor_down, "the remote actor's proxy stopped"));
}

void remote_proxy::release_flushes() noexcept {
  for (auto& latch : flushes_)
    latch->count_down();
  flushes_.clear();
}

bool remote_proxy::dispatch(envelope& e) {
  if (e.type == type_id<proxy_stop>()) {
    error reason = e.payload<proxy_stop>().reason;
    drop_held(reason);
    quit(std::move(reason));
  } else if (e.type == type_id<proxy_resume>()) {
    send_held();
  } else if (e.type == type_id<proxy_flush>()) {
    flushes_.push_back(std::move(e.payload<proxy_flush>().latch));
    if (held_.empty()) release_flushes();
  } else if (e.type == type_id<proxy_exit>()) {
    proxy_exit& x = e.payload<proxy_exit>();
    if (actor_ref target = system().registry().get(x.local)) send_exit(target, x.reason);
  } else if (!held_.empty() || !session_->relay(e, remote_)) {
    hold_current();
  }
  return true;
}

void remote_proxy::hold_current() {
  envelope* owned = cell().adopt_current();  // the runtime will neither answer nor free it now
  held_.push(owned);
  if (held_.head == owned) session_->wait_for_room(id());
}

void remote_proxy::send_held() {
  while (envelope* e = held_.head) {
    if (!session_->relay(*e, remote_)) {
      session_->wait_for_room(id());
      return;
    }
    held_.pop();
    if (e->reply_to != nullptr) respond_error(*e, error(errc::unexpected_message, "not sent"));
    e->destroy(e);
  }
  release_flushes();
}

void remote_proxy::drop_held(const error& why) noexcept {
  while (envelope* e = held_.pop()) {
    respond_error(*e, why);
    e->destroy(e);
  }
  release_flushes();
}

void peer_agent::on(watch_request& w) {
  if (actor_ref local = system().registry().get(w.local)) {
    monitor(local);
  } else {
    std::string what = "no actor ";
    what += std::to_string(w.local);
    what += " on this node";
    session_->send_down(w.local, error(errc::actor_down, std::move(what)));
  }
}

void peer_agent::on(down_msg& d) {
  session_->send_down(d.source, d.reason);
}

}  // namespace jaegis::detail
