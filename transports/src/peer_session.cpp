#include "peer_session.hpp"

#include <array>
#include <jaegis/framework/inline_runs.hpp>
#include <jaegis/framework/run_end.hpp>
#include <jaegis/transports/serialization.hpp>
#include <jaegis/transports/wire_codec.hpp>
#include <thread>

#include "hex_text.hpp"
#include "node_core.hpp"
#include "remote_proxy.hpp"

namespace jaegis::detail {

using transports::deserialize_from;
using transports::frame_header;
using transports::frame_kind;
using transports::frame_view;
using transports::wire_codec;
using transports::wire_codecs;

namespace {

/// The payload of error_response, down and exit frames (PROTOCOL.md): u32 code, then the text.
struct wire_error {
  std::uint32_t code = 0;
  std::string what;
};
template <class Inspector>
bool serialize(Inspector& f, wire_error& e) {
  return f(e.code, e.what);
}

/// The payload of a lookup frame: the name, then the expected actor class (0: any).
struct lookup_query {
  std::string name;
  std::uint64_t actor_type = 0;
};
template <class Inspector>
bool serialize(Inspector& f, lookup_query& q) {
  return f(q.name, q.actor_type);
}

error to_error(const wire_error& w) {
  const auto code = w.code <= static_cast<std::uint32_t>(errc::node_down)
                        ? static_cast<errc>(w.code)
                        : errc::unhandled_exception;
  return error(code, w.what);
}

}  // namespace

/// Counts a thread that is about to queue a frame, so that on_closed can wait until nobody
/// touches the connection any more before it reports the connection gone.
class peer_session::send_guard {
 public:
  explicit send_guard(peer_session& s) noexcept : s_(s) {
    // seq_cst (with the load below): a Dekker pair with on_closed, which stores closing_ and then
    // reads senders_inside_: either this sender sees closing_, or on_closed sees it inside.
    s_.senders_inside_.fetch_add(1, std::memory_order_seq_cst);
    open_ = !s_.closing_.load(std::memory_order_seq_cst);
  }
  ~send_guard() {
    // release: what this sender queued happens before on_closed (acquire) frees the queue.
    s_.senders_inside_.fetch_sub(1, std::memory_order_release);
  }
  send_guard(const send_guard&) = delete;
  send_guard& operator=(const send_guard&) = delete;
  explicit operator bool() const noexcept { return open_; }

 private:
  peer_session& s_;
  bool open_;
};

peer_session::peer_session(node_core& core, net::connection& connection, bool initiator,
                           std::uint64_t cookie)
    : core_(core),
      system_(core.system()),
      connection_(connection),
      initiator_(initiator),
      cookie_(cookie),
      handshake_(
          initiator ? transports::handshake_role::initiator : transports::handshake_role::responder,
          transports::handshake_config{
              core.identity(), core.config().secret,
              static_cast<std::uint32_t>(core.config().heartbeat_interval.count()),
              core.config().max_payload, nullptr}),
      decoder_(core.config().max_payload),
      opened_at_ms_(core.now_ms()),
      last_heard_ms_(opened_at_ms_),
      address_(connection.peer_address()) {}

peer_session::~peer_session() {
  // Frames still queued or handed out (the session closed before they went).
  while (in_flight_head_ != nullptr) {
    auto* f = static_cast<transports::outbound_frame*>(in_flight_head_);
    // relaxed: private list.
    in_flight_head_ = in_flight_head_->next.load(std::memory_order_relaxed);
    transports::outbound_frame::free(f);
  }
}

void peer_session::start() {
  handshake_.start();
  if (!handshake_.outbox().empty()) push_frame_bytes(handshake_.outbox());
}

node_info peer_session::info() const {
  return node_info{peer().identity.node_id, peer().identity.incarnation, address_};
}

// ---- receiving ---------------------------------------------------------------------------------

void peer_session::on_bytes(std::span<const std::byte> bytes) {
  // Actors these frames wake run right here once the frames are handled, if every worker sleeps
  // (framework/inline_runs.hpp): a remote round trip then costs no worker wake-up.
  inline_runs run_here(system_);
  // relaxed: a hint for tick(), which runs on another thread; a late one delays nothing much.
  heard_since_tick_.store(true, std::memory_order_relaxed);
  decoder_.feed(bytes);
  frame_view f;
  // Nothing after a close we asked for (a protocol error, a goodbye) is delivered. relaxed: this
  // thread set it, or it is a hint (another thread closing) and on_closed synchronises.
  while (!close_requested_.load(std::memory_order_relaxed)) {
    const auto status = decoder_.next(f);
    if (status == transports::frame_decoder::status::need_more) return;
    if (status == transports::frame_decoder::status::error) {
      protocol_error(std::string(to_string(decoder_.error())) + ": " + decoder_.error_message());
      return;
    }
    // relaxed: a statistics counter.
    core_.frames_received.fetch_add(1, std::memory_order_relaxed);
    handle_frame(f);
  }
}

void peer_session::handle_frame(const frame_view& f) {
  // relaxed: only this thread changes the state from handshaking.
  if (state_.load(std::memory_order_relaxed) == state::handshaking) {
    handle_handshake_frame(f);
    return;
  }
  switch (f.header.kind) {
    case frame_kind::message:
    case frame_kind::request:
      deliver(f);
      return;
    case frame_kind::response:
    case frame_kind::error_response:
      complete_request(f);
      return;
    case frame_kind::lookup:
      answer_lookup(f);
      return;
    case frame_kind::lookup_result:
      complete_lookup(f);
      return;
    case frame_kind::monitor:
      agent_send(watch_request{f.header.receiver});
      return;
    case frame_kind::down:
      on_remote_down(f);
      return;
    case frame_kind::exit:
      on_remote_exit(f);
      return;
    case frame_kind::heartbeat:
      return;  // its arrival is all it says
    case frame_kind::goodbye: {
      std::string why = "the peer closed the connection (goodbye";
      if (!f.payload.empty()) {
        why += ": ";
        for (std::byte b : f.payload) {
          const auto c = static_cast<char>(b);
          if (c >= ' ' && c <= '~') why += c;
        }
      }
      why += ")";
      close(why);
      return;
    }
    default: {
      std::string why = "out of order: a ";
      why += to_string(f.header.kind);
      why += " frame after the handshake";
      protocol_error(std::move(why));
      return;
    }
  }
}

void peer_session::handle_handshake_frame(const frame_view& f) {
  const auto st = handshake_.on_frame(f);
  if (!handshake_.outbox().empty()) push_frame_bytes(handshake_.outbox());
  if (st == transports::handshake_state::established) {
    actor_ref agent = system_.spawn<peer_agent>(shared_from_this());
    {
      std::lock_guard lock(mutex_);
      agent_ = std::move(agent);
    }
    // release: the peer's parameters (read by established() callers) are written before.
    state_.store(state::established, std::memory_order_release);
    core_.on_established(shared_from_this());
  } else if (st == transports::handshake_state::failed) {
    // relaxed: a statistics counter.
    core_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    std::string why = "handshake failed: ";
    why += handshake_.error_message();
    core_.log("jaegis: connection " + address_ + ": " + why);
    close(why);
  }
}

void peer_session::deliver(const frame_view& f) {
  const wire_codec* codec = wire_codecs::instance().by_wire(f.header.type_id);
  if (codec == nullptr) {
    protocol_error("unknown type id " + transports::hex_text(f.header.type_id) +
                   " (no remote type of that name is registered on this node)");
    return;
  }
  transports::serialization_error bad{};
  envelope* e = codec->read(f.payload, bad);
  if (e == nullptr) {
    std::string why = "bad payload for type '";
    why += codec->name;
    why += "': ";
    why += to_string(bad);
    protocol_error(std::move(why));
    return;
  }
  const bool is_request = f.header.kind == frame_kind::request;
  if (is_request && f.header.sender == 0) {
    e->destroy(e);
    protocol_error("a request frame without a sender (nobody to answer)");
    return;
  }
  actor_ref from = f.header.sender != 0 ? proxy_for(f.header.sender) : actor_ref();
  e->sender = from.id();
  if ((f.header.flags & transports::frame_flags::urgent) != 0) e->flags |= system_message;
  if (is_request) {
    if (!from) {  // closing meanwhile: nobody could carry the answer back
      e->destroy(e);
      return;
    }
    from.cell()->retain();
    e->flags |= request_message;
    e->request_id = f.header.request_id;
    e->reply_to = from.cell();
  }
  actor_cell* target = system_.table().try_retain(f.header.receiver);
  if (target == nullptr) {
    std::string what = "no actor ";
    what += std::to_string(f.header.receiver);
    what += " on this node (it has stopped)";
    respond_error(*e, error(errc::actor_down, std::move(what)));  // through the proxy: a frame
    e->destroy(e);
    return;
  }
  target->enqueue(e);
  target->release();
}

void peer_session::complete_request(const frame_view& f) {
  open_request requester;
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(f.header.request_id);
    if (it == pending_.end()) {
      protocol_error("a response to request " + std::to_string(f.header.request_id) +
                     ", which this node never sent or already saw answered");
      return;
    }
    requester = it->second;
    pending_.erase(it);
  }
  envelope* response = nullptr;
  if (f.header.kind == frame_kind::error_response) {
    error reason;
    if (!read_error(f, reason)) {
      respond_error(requester, error(errc::bad_response, "a malformed error response"));
      return;
    }
    response = make_envelope<error>(std::move(reason));
    response->flags = error_response;
  } else {
    const wire_codec* codec = wire_codecs::instance().by_wire(f.header.type_id);
    transports::serialization_error bad{};
    if (codec != nullptr) response = codec->read(f.payload, bad);
    if (response == nullptr) {
      respond_error(requester, error(errc::bad_response, "a response this node cannot decode"));
      protocol_error(codec == nullptr
                         ? "a response of unknown type id " + transports::hex_text(f.header.type_id)
                         : "a response whose payload does not decode");
      return;
    }
  }
  deliver_response(requester, response);
}

void peer_session::answer_lookup(const frame_view& f) {
  lookup_query q;
  if (deserialize_from(f.payload, q) != transports::serialization_error::none) {
    protocol_error("a malformed lookup payload");
    return;
  }
  std::uint8_t status = 0;
  const actor_ref found = core_.find_published(q.name, q.actor_type, status);
  frame_header h;
  h.kind = frame_kind::lookup_result;
  h.request_id = f.header.request_id;
  h.receiver = found.id();
  const std::byte payload[1] = {std::byte{status}};
  push_frame(h, payload);
}

void peer_session::complete_lookup(const frame_view& f) {
  pending_lookup lookup;
  {
    std::lock_guard lock(mutex_);
    const auto it = lookups_.find(f.header.request_id);
    if (it == lookups_.end()) {
      protocol_error("a lookup result for a lookup this node never sent");
      return;
    }
    lookup = std::move(it->second);
    lookups_.erase(it);
  }
  const auto status = std::to_integer<std::uint8_t>(f.payload[0]);
  std::string what = "'";
  what += lookup.name;
  what += "' on node ";
  what += std::to_string(peer().identity.node_id);
  if (status == 0 && f.header.receiver != 0) {
    actor_ref proxy = proxy_for(f.header.receiver);
    if (proxy) {
      lookup.op->complete(std::move(proxy));
    } else {
      lookup.op->fail(error(errc::node_down, "the connection closed during the lookup"));
    }
  } else if (status == 2) {
    lookup.op->fail(
        error(errc::bad_response, "the actor published as " + what + " is of another actor class"));
  } else {
    lookup.op->fail(error(errc::actor_down, "no actor is published as " + what));
  }
}

bool peer_session::read_error(const frame_view& f, error& out) {
  wire_error w;
  if (deserialize_from(f.payload, w) != transports::serialization_error::none) {
    std::string why = "a malformed ";
    why += to_string(f.header.kind);
    why += " payload";
    protocol_error(std::move(why));
    return false;
  }
  out = to_error(w);
  return true;
}

void peer_session::on_remote_down(const frame_view& f) {
  error reason;
  if (!read_error(f, reason)) return;
  actor_ref proxy;
  {
    std::lock_guard lock(mutex_);
    const auto it = proxies_.find(f.header.sender);
    if (it == proxies_.end()) return;  // never proxied here (or already gone): nothing to tell
    proxy = std::move(it->second);
    proxies_.erase(it);
  }
  proxy.send(proxy_stop{std::move(reason)});
}

void peer_session::on_remote_exit(const frame_view& f) {
  error reason;
  if (!read_error(f, reason)) return;
  // The exit comes from the sender's proxy here, so its source is an id the receiver knows.
  if (actor_ref proxy = proxy_for(f.header.sender)) {
    proxy.send(proxy_exit{f.header.receiver, std::move(reason)});
  }
}

actor_ref peer_session::proxy_for(actor_id remote) {
  std::lock_guard lock(mutex_);
  // relaxed: under the mutex, which on_closed takes after setting it.
  if (closing_.load(std::memory_order_relaxed)) return {};
  if (const auto it = proxies_.find(remote); it != proxies_.end()) return it->second;
  actor_ref proxy = system_.spawn<remote_proxy>(shared_from_this(), remote);
  proxies_.emplace(remote, proxy);
  frame_header h;
  h.kind = frame_kind::monitor;
  h.receiver = remote;
  push_frame(h, {});
  return proxy;
}

std::size_t peer_session::proxy_count() const {
  std::lock_guard lock(mutex_);
  return proxies_.size();
}

template <class M>
void peer_session::agent_send(M&& msg) {
  actor_ref agent;
  {
    std::lock_guard lock(mutex_);
    agent = agent_;
  }
  if (agent) agent.send(std::forward<M>(msg));
}

void peer_session::protocol_error(std::string why) {
  // relaxed: a statistics counter.
  core_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
  core_.log("jaegis: closing the connection to " + address_ + ": protocol error: " + why);
  close("protocol error: " + why);
}

// ---- sending -----------------------------------------------------------------------------------

bool peer_session::relay(envelope& e, actor_id remote) {
  send_guard guard(*this);
  if (!guard || !established()) {
    std::string what = "the connection to node ";
    what += std::to_string(peer().identity.node_id);
    what += " is closed";
    respond_error(e, error(errc::node_down, std::move(what)));
    return true;
  }
  frame_header h;
  h.sender = e.sender;
  h.receiver = remote;
  if (e.type == type_id<exit_msg>()) {
    const exit_msg& x = e.payload<exit_msg>();
    h.kind = frame_kind::exit;
    h.sender = x.source;
    if (h.sender != 0) push_error(h, x.reason);
    return true;
  }
  if (e.has(response_message)) {
    h.request_id = e.request_id;
    if (e.has(error_response)) {
      h.kind = frame_kind::error_response;
      push_error(h, e.payload<error>());
    } else if (const wire_codec* codec = wire_codecs::instance().by_local(e.type)) {
      h.kind = frame_kind::response;
      h.type_id = codec->wire_id;
      if (!push_encoded(h, *codec, e)) {
        h.kind = frame_kind::error_response;
        h.type_id = 0;
        push_error(h, error(errc::bad_response, "the response does not fit the peer's limit"));
      }
    } else {
      h.kind = frame_kind::error_response;
      std::string what = "the response type ";
      what += type_name_of(e.type);
      what += " is not a registered remote type";
      core_.log("jaegis: " + what);
      push_error(h, error(errc::bad_response, std::move(what)));
    }
    return true;
  }
  // relaxed: a threshold check; the resume protocol (wait_for_room) is what must not be missed.
  if (queued_bytes_.load(std::memory_order_relaxed) > core_.config().outbound_limit) return false;
  const wire_codec* codec = wire_codecs::instance().by_local(e.type);
  if (codec == nullptr) {
    std::string what = "cannot send ";
    what += type_name_of(e.type);
    what +=
        " to a remote actor: not a registered remote type (declare it with "
        "JAEGIS_REMOTE_TYPE and register it: remote_node::add_type or a typed lookup)";
    core_.log("jaegis: " + what);
    respond_error(e, error(errc::unexpected_message, std::move(what)));
    return true;
  }
  h.type_id = codec->wire_id;
  if (e.reply_to == nullptr) {
    h.kind = frame_kind::message;
    if (!push_encoded(h, *codec, e)) core_.log("jaegis: a message too large for the peer dropped");
    return true;
  }
  h.kind = frame_kind::request;
  open_request requester = open_request::take(e);
  {
    std::lock_guard lock(mutex_);
    h.request_id = ++next_request_id_;
    pending_.emplace(h.request_id, requester);
  }
  if (!push_encoded(h, *codec, e)) {
    {
      std::lock_guard lock(mutex_);
      pending_.erase(h.request_id);
    }
    respond_error(requester,
                  error(errc::unexpected_message, "the request is larger than the peer accepts"));
  }
  return true;
}

void peer_session::send_down(actor_id who, const error& reason) {
  frame_header h;
  h.kind = frame_kind::down;
  h.sender = who;
  push_error(h, reason);
}

void peer_session::lookup(std::string_view name, std::uint64_t actor_type,
                          std::shared_ptr<remote_op<actor_ref>> op) {
  lookup_query q{std::string(name), actor_type};
  std::vector<std::byte> payload(transports::serialized_size(q));
  (void)transports::serialize_to(payload, q);
  frame_header h;
  h.kind = frame_kind::lookup;
  {
    std::lock_guard lock(mutex_);
    if (closing_.load(std::memory_order_relaxed)) {  // relaxed: under the mutex, as in proxy_for
      op->fail(error(errc::node_down, "the connection is closed"));
      return;
    }
    h.request_id = ++next_request_id_;
    lookups_.emplace(h.request_id, pending_lookup{std::string(name), op});
  }
  if (!push_frame(h, payload)) {
    std::lock_guard lock(mutex_);
    if (lookups_.erase(h.request_id) != 0) {
      op->fail(error(errc::node_down, "the connection is closed"));
    }
  }
}

void peer_session::wait_for_room(actor_id proxy) {
  {
    std::lock_guard lock(mutex_);
    waiting_proxies_.push_back(proxy);
  }
  // seq_cst (with the load below): a Dekker pair with sent(), which lowers queued_bytes_ and then
  // reads has_waiters_: either it sees us waiting, or we see the drained backlog.
  has_waiters_.store(true, std::memory_order_seq_cst);
  if (queued_bytes_.load(std::memory_order_seq_cst) <= core_.config().outbound_limit / 2) {
    resume_waiters();
  }
}

void peer_session::resume_waiters() {
  // seq_cst: the other half of the Dekker pairs in wait_for_room and sent().
  if (!has_waiters_.exchange(false, std::memory_order_seq_cst)) return;
  std::vector<actor_id> waiting;
  {
    std::lock_guard lock(mutex_);
    waiting.swap(waiting_proxies_);
  }
  for (actor_id id : waiting) {
    if (actor_ref proxy = system_.registry().get(id)) proxy.send(proxy_resume{});
  }
}

bool peer_session::push_error(frame_header h, const error& e) {
  wire_error w{static_cast<std::uint32_t>(e.code()), e.what()};
  if (w.what.size() > 1024) w.what.resize(1024);
  std::vector<std::byte> payload(transports::serialized_size(w));
  (void)transports::serialize_to(payload, w);
  return push_frame(h, payload);
}

bool peer_session::push_frame(frame_header h, std::span<const std::byte> payload) {
  send_guard guard(*this);
  if (!guard) return false;
  h.payload_length = static_cast<std::uint32_t>(payload.size());
  auto* f = transports::outbound_frame::make(transports::frame_header_size + payload.size());
  transports::encode_header(
      h,
      std::span(f->bytes(), transports::frame_header_size).first<transports::frame_header_size>());
  if (!payload.empty()) {
    std::memcpy(f->bytes() + transports::frame_header_size, payload.data(), payload.size());
  }
  push_raw(f);
  return true;
}

bool peer_session::push_frame_bytes(std::span<const std::byte> frame) {
  send_guard guard(*this);
  if (!guard) return false;
  auto* f = transports::outbound_frame::make(frame.size());
  std::memcpy(f->bytes(), frame.data(), frame.size());
  push_raw(f);
  return true;
}

bool peer_session::push_encoded(frame_header h, const wire_codec& codec, envelope& e) {
  const std::size_t size = codec.size(e);
  if (size > peer().max_payload) return false;
  auto* f = transports::outbound_frame::make(transports::frame_header_size + size);
  const auto written = codec.write(e, std::span(f->bytes() + transports::frame_header_size, size));
  if (!written) {
    transports::outbound_frame::free(f);
    return false;
  }
  h.payload_length = static_cast<std::uint32_t>(size);
  transports::encode_header(
      h,
      std::span(f->bytes(), transports::frame_header_size).first<transports::frame_header_size>());
  push_raw(f);
  return true;
}

namespace {
/// Sessions that queued frames during the actor run in progress on this thread: their carriers
/// are woken once, when the run ends (a batch of messages, one wake), instead of once per frame.
/// A handful per thread; more (a proxy run that talks to many nodes) wake at once.
struct deferred_wakes {
  static constexpr std::size_t capacity = 8;
  std::array<std::shared_ptr<peer_session>, capacity> sessions;
  std::size_t count = 0;
};
thread_local deferred_wakes tl_deferred;

void wake_deferred() noexcept {
  deferred_wakes& d = tl_deferred;
  for (std::size_t i = 0; i < d.count; ++i)
    std::exchange(d.sessions[i], nullptr)->wake_carrier();
  d.count = 0;
}
}  // namespace

void peer_session::wake_carrier() noexcept {
  send_guard guard(*this);
  if (guard) connection_.wake();
}

void peer_session::push_raw(transports::outbound_frame* f) {
  // seq_cst: part of the backpressure Dekker pair (see wait_for_room); relaxed would let a
  // waiter miss the drain that follows.
  queued_bytes_.fetch_add(f->size, std::memory_order_seq_cst);
  queue_.push(f);
  // relaxed: a hint for tick() that a frame went out recently.
  sent_since_tick_.store(true, std::memory_order_relaxed);
  if (actor_cell::running() == nullptr) {
    connection_.wake();
    return;
  }
  deferred_wakes& d = tl_deferred;
  for (std::size_t i = 0; i < d.count; ++i) {
    if (d.sessions[i].get() == this) return;  // already due at the end of this run
  }
  if (d.count == deferred_wakes::capacity) {
    connection_.wake();
    return;
  }
  d.sessions[d.count++] = shared_from_this();
  call_at_run_end(&wake_deferred);
}

std::size_t peer_session::gather(std::span<net::io_slice> out) {
  std::size_t n = 0;
  jaegis::detail::mailbox_node* node = in_flight_head_;
  std::size_t skip = first_sent_;
  for (; node != nullptr && n < out.size();
       // relaxed: private list.
       node = node->next.load(std::memory_order_relaxed)) {
    auto* f = static_cast<transports::outbound_frame*>(node);
    out[n++] = {f->bytes() + skip, f->size - skip};
    skip = 0;
  }
  while (n < out.size()) {
    transports::outbound_frame* f = queue_.pop();
    if (f == nullptr) break;
    f->next.store(nullptr, std::memory_order_relaxed);  // relaxed: private list from here on
    if (in_flight_tail_ == nullptr) {
      in_flight_head_ = f;
    } else {
      in_flight_tail_->next.store(f, std::memory_order_relaxed);  // relaxed: as above
    }
    in_flight_tail_ = f;
    out[n++] = {f->bytes() + skip, f->size - skip};
    skip = 0;
  }
  return n;
}

void peer_session::sent(std::size_t bytes) {
  std::size_t freed = 0;
  while (bytes > 0 && in_flight_head_ != nullptr) {
    auto* f = static_cast<transports::outbound_frame*>(in_flight_head_);
    const std::size_t rest = f->size - first_sent_;
    if (bytes < rest) {
      first_sent_ += bytes;
      break;
    }
    bytes -= rest;
    first_sent_ = 0;
    // relaxed: private list.
    in_flight_head_ = f->next.load(std::memory_order_relaxed);
    if (in_flight_head_ == nullptr) in_flight_tail_ = nullptr;
    freed += f->size;
    transports::outbound_frame::free(f);
  }
  if (freed == 0) return;
  // seq_cst: the drain half of the backpressure Dekker pair (see wait_for_room).
  const std::size_t left = queued_bytes_.fetch_sub(freed, std::memory_order_seq_cst) - freed;
  if (left <= core_.config().outbound_limit / 2 &&
      has_waiters_.load(std::memory_order_seq_cst)) {  // seq_cst: as above
    resume_waiters();
  }
}

// ---- time and closing --------------------------------------------------------------------------

void peer_session::tick(std::int64_t now_ms) {
  // acquire: pairs with the store that established the session (the peer's parameters).
  const state s = state_.load(std::memory_order_acquire);
  if (s == state::handshaking) {
    if (now_ms - opened_at_ms_ > core_.config().handshake_timeout.count()) {
      std::string why = "the handshake did not finish within ";
      why += std::to_string(core_.config().handshake_timeout.count());
      why += " ms";
      core_.log("jaegis: connection " + address_ + ": " + why);
      close(why);
    }
    return;
  }
  if (s != state::established) return;
  // relaxed: hints (see on_bytes and push_raw); tick's own state is its own.
  if (heard_since_tick_.exchange(false, std::memory_order_relaxed)) {
    last_heard_ms_ = now_ms;
  } else {
    const std::int64_t limit = 3 * std::int64_t{peer().heartbeat_interval_ms};
    if (now_ms - last_heard_ms_ > limit) {
      std::string why = "heartbeat timeout: nothing heard for ";
      why += std::to_string(now_ms - last_heard_ms_);
      why += " ms (3 of the peer's intervals)";
      core_.log("jaegis: node " + std::to_string(peer().identity.node_id) + " at " + address_ +
                ": " + why);
      close(why);
      return;
    }
  }
  if (!sent_since_tick_.exchange(false, std::memory_order_relaxed)) {  // relaxed: as above
    frame_header h;
    h.kind = frame_kind::heartbeat;
    push_frame(h, {});
  }
}

void peer_session::close_with_goodbye(std::string_view why, std::chrono::milliseconds flush_limit) {
  if (flush_limit.count() > 0 && established()) {
    // Messages sent to a proxy before this call are in its mailbox, ahead of the marker; once
    // every proxy has passed its marker they are all in the outbound queue, before the goodbye.
    std::vector<actor_ref> proxies;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, proxy] : proxies_)
        proxies.push_back(proxy);
    }
    auto latch = std::make_shared<flush_latch>(proxies.size());
    for (const auto& proxy : proxies)
      proxy.send(proxy_flush{latch});
    if (!latch->wait(flush_limit)) {
      core_.log("jaegis: " + address_ + ": proxies still busy after the flush limit; closing");
    }
  }
  if (established()) {
    frame_header h;
    h.kind = frame_kind::goodbye;
    push_frame(h, std::as_bytes(std::span(why.data(), why.size())));
  }
  close(why);
}

void peer_session::close(std::string_view why) {
  {
    std::lock_guard lock(mutex_);
    if (close_reason_.empty()) close_reason_ = why;  // the first reason is the real one
  }
  // relaxed: read by on_bytes on this or the carrier's thread as a stop hint (see there).
  close_requested_.store(true, std::memory_order_relaxed);
  send_guard guard(*this);  // the connection object is ours to call until on_closed
  if (guard) connection_.close(why);
}

void peer_session::on_closed(std::string_view carrier_reason) {
  std::string reason;
  {
    std::lock_guard lock(mutex_);
    // Why we closed, if we did (a goodbye, a protocol error), says more than the carrier's EOF.
    reason = close_reason_.empty() ? std::string(carrier_reason) : close_reason_;
  }
  // seq_cst: the closing half of the send_guard Dekker pair.
  closing_.store(true, std::memory_order_seq_cst);
  // acquire: pairs with send_guard's release, so every frame pushed is in the queue now.
  while (senders_inside_.load(std::memory_order_acquire) != 0)
    std::this_thread::yield();
  // relaxed: this thread is the only writer of state_ from here on.
  const bool was_established = state_.load(std::memory_order_relaxed) == state::established;
  if (decoder_.finish() == transports::frame_decoder::status::error) {  // ended inside a frame
    // relaxed: a statistics counter.
    core_.protocol_errors.fetch_add(1, std::memory_order_relaxed);
    core_.log("jaegis: connection " + address_ + ": " + std::string(to_string(decoder_.error())) +
              ": " + decoder_.error_message());
  }
  state_.store(state::closed, std::memory_order_release);  // release: readers of closed()
  std::string what = "node ";
  what += std::to_string(peer().identity.node_id);
  what += " is down: ";
  what += reason;
  fail_everything(error(errc::node_down, what));
  core_.on_session_closed(*this, reason, was_established);
}

void peer_session::fail_everything(const error& why) {
  std::unordered_map<actor_id, actor_ref> proxies;
  std::unordered_map<std::uint64_t, open_request> pending;
  std::unordered_map<std::uint64_t, pending_lookup> lookups;
  actor_ref agent;
  {
    std::lock_guard lock(mutex_);
    proxies.swap(proxies_);
    pending.swap(pending_);
    lookups.swap(lookups_);
    agent = std::move(agent_);
    waiting_proxies_.clear();
  }
  for (auto& [id, proxy] : proxies)
    proxy.send(proxy_stop{why});
  for (auto& [id, requester] : pending)
    respond_error(requester, why);
  for (auto& [id, lookup] : lookups)
    lookup.op->fail(why);
  if (agent) agent.send(agent_stop{});
  while (transports::outbound_frame* f = queue_.pop())
    transports::outbound_frame::free(f);
}

}  // namespace jaegis::detail
