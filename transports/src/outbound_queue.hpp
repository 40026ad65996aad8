#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <jaegis/framework/envelope.hpp>
#include <jaegis/framework/pool.hpp>

namespace jaegis::transports {

/// One encoded frame waiting to be sent: a pool block holding a link, its size and the bytes.
struct outbound_frame : jaegis::detail::mailbox_node {
  std::uint32_t size = 0;  ///< header + payload

  std::byte* bytes() noexcept { return reinterpret_cast<std::byte*>(this + 1); }

  static outbound_frame* make(std::size_t size) {
    void* block = mem::allocate(sizeof(outbound_frame) + size);
    auto* f = ::new (block) outbound_frame();
    f->size = static_cast<std::uint32_t>(size);
    return f;
  }
  static void free(outbound_frame* f) noexcept {
    const std::size_t block = sizeof(outbound_frame) + f->size;
    f->~outbound_frame();
    mem::deallocate(f, block);
  }
};

/// The frames of one connection on their way to the carrier: an intrusive multi-producer
/// single-consumer FIFO after Vyukov (the design of the actor mailbox, without its tags).
/// Producers are the actors and threads that send to the peer; the consumer is the carrier's
/// thread, through the session's gather(). Push is one exchange and one store, wait-free.
class outbound_queue {
 public:
  outbound_queue() noexcept = default;
  outbound_queue(const outbound_queue&) = delete;
  outbound_queue& operator=(const outbound_queue&) = delete;
  ~outbound_queue() {
    while (outbound_frame* f = pop())
      outbound_frame::free(f);
  }

  void push(outbound_frame* f) noexcept { link(f); }

  /// The consumer only: the oldest frame, or nullptr if none can be taken now (one may be half
  /// pushed: its producer's wake() follows the push, so the consumer looks again).
  outbound_frame* pop() noexcept {
    jaegis::detail::mailbox_node* tail = tail_;
    // acquire: pairs with link()'s release store, so the frame's bytes are visible.
    jaegis::detail::mailbox_node* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (next == nullptr) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load(std::memory_order_acquire);  // acquire: as above
    }
    if (next != nullptr) {
      tail_ = next;
      return static_cast<outbound_frame*>(tail);
    }
    // acquire: if the head is our tail, no push is between its exchange and its store.
    if (head_.load(std::memory_order_acquire) != tail) return nullptr;
    link(&stub_);  // so that the last frame can leave: the stub becomes the new tail's successor
    next = tail->next.load(std::memory_order_acquire);  // acquire: as above
    if (next == nullptr) return nullptr;
    tail_ = next;
    return static_cast<outbound_frame*>(tail);
  }

 private:
  void link(jaegis::detail::mailbox_node* node) noexcept {
    // relaxed: published by the release store below (of whoever links behind it).
    node->next.store(nullptr, std::memory_order_relaxed);
    // acq_rel: release orders the node's contents before later producers link behind it;
    // acquire orders our store into `previous` after its producer's initialisation of it.
    jaegis::detail::mailbox_node* previous = head_.exchange(node, std::memory_order_acq_rel);
    // release: the consumer's acquire load of `next` sees the frame.
    previous->next.store(node, std::memory_order_release);
  }

  jaegis::detail::mailbox_node stub_;
  std::atomic<jaegis::detail::mailbox_node*> head_{&stub_};  ///< producers' end
  jaegis::detail::mailbox_node* tail_ = &stub_;              ///< consumer's end
};

}  // namespace jaegis::transports
