#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <jaegis/transports/mem_transport.hpp>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace jaegis::transports {

class mem_endpoint;

/// One end of an in-memory link: the connection its node's session talks to, and the task that
/// does that end's work on its node's executor (delivering what arrived, sending what is queued,
/// closing). One task per end, so a session is only ever called from one run at a time.
class mem_side final : public net::connection, private sched::runnable {
 public:
  mem_side(mem_endpoint& owner, std::string peer_name)
      : owner_(owner), peer_name_(std::move(peer_name)) {}

  void attach(mem_side& peer, net::session& session) {
    peer_ = &peer;
    session_ = &session;
  }

  // net::connection
  void wake() noexcept override { poke(); }
  void close(std::string_view reason) override {
    {
      std::lock_guard lock(mutex_);
      if (close_requested_) return;
      close_requested_ = true;
      close_reason_ = reason;
    }
    poke();
  }
  std::string peer_address() const override { return "mem:" + peer_name_; }

  /// The peer's task hands over bytes (or the end of the stream).
  void arrive(std::vector<std::byte> bytes) {
    {
      std::lock_guard lock(mutex_);
      inbox_.push_back(std::move(bytes));
    }
    poke();
  }
  void end_of_stream(std::string reason) {
    {
      std::lock_guard lock(mutex_);
      if (eof_) return;
      eof_ = true;
      eof_reason_ = std::move(reason);
    }
    poke();
  }
  /// A crash: drop what is queued both ways and report the loss.
  void sever() {
    {
      std::lock_guard lock(mutex_);
      severed_ = true;
      inbox_.clear();
    }
    end_of_stream("the link was severed");
  }
  /// stop(): flush and close now, on the calling thread (the executor is not running).
  void close_now(std::string_view reason) {
    if (closed()) return;
    if (!is_severed()) send_queued();
    finish(reason, true);
  }
  bool closed() const noexcept {
    return closed_.load(std::memory_order_acquire);
  }  // acquire: see finish
  mem_endpoint& owner() const noexcept { return owner_; }
  const std::string& peer_name() const noexcept { return peer_name_; }
  mem_side* peer() const noexcept { return peer_; }

 private:
  void poke() noexcept;

  sched::run_result run() noexcept override {
    // acquire: pairs with poke()'s increment, so the work it announced is visible.
    const std::uint32_t seen = work_.load(std::memory_order_acquire);
    do_work();
    // acq_rel: a poke that came in meanwhile makes us run again instead of being lost.
    return work_.fetch_sub(seen, std::memory_order_acq_rel) == seen ? sched::run_result::done
                                                                    : sched::run_result::again;
  }

  bool is_severed() {
    std::lock_guard lock(mutex_);
    return severed_;
  }

  void do_work() {
    if (closed()) return;
    std::deque<std::vector<std::byte>> arrived;
    {
      std::lock_guard lock(mutex_);
      arrived.swap(inbox_);
    }
    for (const auto& bytes : arrived) {
      if (closed()) return;
      session_->on_bytes(bytes);
    }
    // Read after delivering: what the session made of the bytes (a close) comes first.
    bool eof = false;
    bool close_requested = false;
    bool severed = false;
    std::string reason;
    {
      std::lock_guard lock(mutex_);
      eof = eof_ && inbox_.empty();
      close_requested = close_requested_;
      severed = severed_;
      reason = close_requested ? close_reason_ : eof_reason_;
    }
    if (!severed) send_queued();
    if (close_requested) {
      finish(reason, !severed);
    } else if (eof) {
      finish(reason, false);
    }
  }

  void send_queued() {
    std::array<net::io_slice, 64> slices{};
    for (;;) {
      const std::size_t n = session_->gather(slices);
      if (n == 0) return;
      std::vector<std::byte> bytes;
      std::size_t total = 0;
      for (std::size_t i = 0; i < n; ++i) {
        bytes.insert(bytes.end(), slices[i].data, slices[i].data + slices[i].size);
        total += slices[i].size;
      }
      session_->sent(total);
      peer_->arrive(std::move(bytes));
    }
  }

  void finish(std::string_view reason, bool tell_peer) {
    closed_.store(true, std::memory_order_release);  // release: pairs with closed()/poke()
    if (tell_peer) {
      std::string why = "the peer closed the connection: ";
      why += reason;
      peer_->end_of_stream(std::move(why));
    }
    session_->on_closed(reason);
  }

  mem_endpoint& owner_;
  std::string peer_name_;
  mem_side* peer_ = nullptr;
  net::session* session_ = nullptr;
  std::atomic<std::uint32_t> work_{0};
  /// Set once on_closed is (being) reported; from then on nothing schedules this side's task,
  /// whose endpoint and executor may be gone.
  std::atomic<bool> closed_{false};

  std::mutex mutex_;
  std::deque<std::vector<std::byte>> inbox_;
  bool eof_ = false;
  std::string eof_reason_;
  bool close_requested_ = false;
  std::string close_reason_;
  bool severed_ = false;
};

/// The pairs of sides, owned by the network so that a side outlives every task that may still
/// run for it.
struct mem_link {
  std::unique_ptr<mem_side> initiator;
  std::unique_ptr<mem_side> responder;
};

struct mem_network::state {
  std::mutex mutex;
  std::vector<mem_endpoint*> endpoints;
  std::vector<std::unique_ptr<mem_link>> links;
};

class mem_endpoint final : public net::transport {
 public:
  mem_endpoint(std::shared_ptr<mem_network::state> network, std::string name,
               sched::executor& executor)
      : network_(std::move(network)), name_(std::move(name)), executor_(executor) {}
  ~mem_endpoint() override {
    stop();
    std::lock_guard lock(network_->mutex);
    std::erase(network_->endpoints, this);
  }

  std::string_view scheme() const noexcept override { return "mem"; }
  void start(net::session_factory& factory) override {
    factory_ = &factory;
    std::lock_guard lock(network_->mutex);
    for (mem_endpoint* e : network_->endpoints) {
      if (e->name_ == name_) throw std::invalid_argument("jaegis: mem endpoint name taken");
    }
    network_->endpoints.push_back(this);
  }
  std::uint16_t listen(std::string_view, std::uint16_t, bool) override {
    std::lock_guard lock(network_->mutex);
    listening_ = true;
    return 0;
  }
  void connect(std::string_view host, std::uint16_t, std::chrono::milliseconds,
               std::uint64_t cookie) override {
    mem_endpoint* target = nullptr;
    mem_link* link = nullptr;
    {
      std::lock_guard lock(network_->mutex);
      for (mem_endpoint* e : network_->endpoints) {
        if (e->name_ == host && e->listening_ && !e->stopped_) target = e;
      }
      if (target != nullptr && !stopped_) {
        auto owned = std::make_unique<mem_link>();
        owned->initiator = std::make_unique<mem_side>(*this, target->name_);
        owned->responder = std::make_unique<mem_side>(*target, name_);
        link = owned.get();
        network_->links.push_back(std::move(owned));
      }
    }
    if (link == nullptr) {
      std::string why = "no mem endpoint listens as '";
      why += host;
      why += "'";
      factory_->connect_failed(cookie, why);
      return;
    }
    // Both sessions exist before either side's task can run.
    net::session& mine = factory_->open_session(*link->initiator, true, cookie);
    net::session& theirs = target->factory_->open_session(*link->responder, false, 0);
    link->initiator->attach(*link->responder, mine);
    link->responder->attach(*link->initiator, theirs);
    link->initiator->wake();
    link->responder->wake();
  }
  void stop() override {
    std::vector<mem_side*> mine;
    {
      std::lock_guard lock(network_->mutex);
      if (stopped_) return;
      stopped_ = true;
      for (const auto& l : network_->links) {
        if (&l->initiator->owner() == this) mine.push_back(l->initiator.get());
        if (&l->responder->owner() == this) mine.push_back(l->responder.get());
      }
    }
    for (mem_side* s : mine)
      s->close_now("the transport stopped");
  }

  sched::executor& executor() noexcept { return executor_; }
  const std::string& name() const noexcept { return name_; }

 private:
  std::shared_ptr<mem_network::state> network_;
  std::string name_;
  sched::executor& executor_;
  net::session_factory* factory_ = nullptr;
  bool listening_ = false;  ///< under the network's mutex
  bool stopped_ = false;    ///< under the network's mutex
};

void mem_side::poke() noexcept {
  if (closed()) return;
  // acq_rel: release publishes the work we announce to the task; the first poke schedules it.
  if (work_.fetch_add(1, std::memory_order_acq_rel) == 0) {
    owner_.executor().schedule(*this);
  }
}

mem_network::mem_network() : state_(std::make_shared<state>()) {}
mem_network::~mem_network() = default;

std::unique_ptr<net::transport> mem_network::endpoint(std::string name, sched::executor& executor) {
  return std::make_unique<mem_endpoint>(state_, std::move(name), executor);
}

std::size_t mem_network::sever(std::string_view a, std::string_view b) {
  std::vector<mem_link*> cut;
  {
    std::lock_guard lock(state_->mutex);
    for (const auto& l : state_->links) {
      const auto& x = l->initiator->peer_name();  // the responder's endpoint
      const auto& y = l->responder->peer_name();  // the initiator's endpoint
      if ((x == a && y == b) || (x == b && y == a)) cut.push_back(l.get());
    }
  }
  for (mem_link* l : cut) {
    l->initiator->sever();
    l->responder->sever();
  }
  return cut.size();
}

}  // namespace jaegis::transports
