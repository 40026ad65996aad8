#include "jaegis/framework/actor_system.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

#include "detached_executor.hpp"
#include "jaegis/schedulers/deterministic_executor.hpp"
#include "system_envelopes.hpp"

namespace jaegis {
namespace detail {

actor_cell*& constructing_cell() noexcept {
  thread_local actor_cell* cell = nullptr;
  return cell;
}

void* object_storage(actor_cell* cell) noexcept {
  return reinterpret_cast<char*>(cell) + cell_space;
}

}  // namespace detail

actor_system_config actor_system_config::from_env(actor_system_config config) {
  config.executor = sched::executor_config::from_env(config.executor);
  if (const char* value = std::getenv("JAEGIS_THROUGHPUT"); value != nullptr && *value != '\0') {
    const std::string_view text(value);
    std::uint32_t n = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc{} || end != text.data() + text.size() || n == 0) {
      throw std::invalid_argument("jaegis: bad JAEGIS_THROUGHPUT='" + std::string(text) +
                                  "': expected a number of messages per run, at least 1");
    }
    config.throughput = n;
  }
  return config;
}

actor_system_config actor_system_config::from_env() {
  return from_env(actor_system_config{});
}

actor_system::actor_system() : actor_system(actor_system_config::from_env()) {}

actor_system::actor_system(actor_system_config config)
    : config_(std::move(config)),
      executor_(sched::make_executor(config_.executor)),
      timers_(std::make_unique<timers::timer_service>(
          timers::timer_service::config{config_.timer_tick, 1024})),
      registry_(std::make_unique<jaegis::registry>(*this, config_.registry_names)) {
  if (config_.throughput == 0) config_.throughput = 1;
  table_.set_worker_caches(executor_->worker_count());
}

actor_system::~actor_system() {
  shutdown();
}

void actor_system::log(std::string_view line) const {
  if (config_.log) {
    config_.log(line);
  } else {
    std::cerr << line << '\n';
  }
}

detail::actor_cell* actor_system::new_cell(std::size_t object_size, sched::executor& home,
                                           bool detached) {
  if (shut_down_) throw std::logic_error("jaegis: spawn after shutdown");
  const std::size_t size = detail::cell_space + object_size;
  void* block = mem::allocate(size);
  auto* cell = ::new (block) detail::actor_cell(*this, size);
  try {
    if (detached) {
      cell->extras().detached_home = &home;
      cell->set(detail::actor_cell::detached);
    }
    cell->id_ = table_.allocate(cell, executor_->current_worker());
  } catch (...) {
    cell->~actor_cell();
    mem::deallocate(block, size);
    throw;
  }
  return cell;
}

bool actor_system::launch(detail::actor_cell* cell, actor_base* object, type_id_t type) noexcept {
  const std::ptrdiff_t offset =
      reinterpret_cast<char*>(object) - static_cast<char*>(detail::object_storage(cell));
  if (offset < 0 || offset > 0xffff) return false;  // actor_base placed beyond 64 KiB: refuse
  cell->object_offset_ = static_cast<std::uint16_t>(offset);
  cell->set(detail::actor_cell::has_object);
  cell->actor_type_ = type;
  // relaxed: counts for shutdown and leak checks; the waits re-read them with acquire. One RMW
  // counts both the running actor and its cell.
  counts_.fetch_add(one_running | one_cell, std::memory_order_relaxed);
  // A new mailbox is busy, not idle: this is the one schedule of its first run, which starts it.
  cell->schedule();
  return true;
}

void actor_system::abandon(detail::actor_cell* cell) noexcept {
  // The constructor threw: nobody has seen the actor. Undo new_cell().
  const actor_id id = cell->id_;
  detail::actor_slot* slot = &table_.live_slot(id);
  const std::size_t size = cell->block_size_;
  sched::executor* home =
      cell->is(detail::actor_cell::detached) ? cell->extras_->detached_home : nullptr;
  cell->~actor_cell();
  mem::deallocate(cell, size);
  actor_table_release_and_free(slot, id);
  if (home != nullptr) static_cast<detail::detached_executor*>(home)->retire();  // not counted
}

void actor_system::actor_table_release_and_free(detail::actor_slot* slot, actor_id id) noexcept {
  detail::actor_table::release(*slot);
  table_.free_slot(*slot, id, executor_->current_worker());
}

void actor_system::on_terminated(detail::actor_cell& cell) noexcept {
  // relaxed: set by registry::put on any thread; a put that races past this check is cleaned up
  // by the next lookup (registry.hpp).
  if ((cell.shared_flags_.load(std::memory_order_relaxed) & detail::actor_cell::shared_named) !=
      0) {
    registry_->erase_actor(cell.id());
  }
  // release: the waiter in await_all_actors_done() sees everything the actor did.
  if (((counts_.fetch_sub(one_running, std::memory_order_release) - one_running) & running_mask) ==
      0) {
    counts_.notify_all();
  }
}

void actor_system::on_freed(sched::executor* detached_home) noexcept {
  if (detached_home != nullptr) static_cast<detail::detached_executor*>(detached_home)->retire();
  // release: the waiter in shutdown() sees the freed cell's last writes.
  if (((counts_.fetch_sub(one_cell, std::memory_order_release) - one_cell) & cell_mask) == 0) {
    counts_.notify_all();
  }
}

void actor_system::on_unhandled(type_id_t type) noexcept {
  unhandled_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
  std::lock_guard lock(rare_mutex_);
  if (std::find(logged_unhandled_.begin(), logged_unhandled_.end(), type) !=
      logged_unhandled_.end()) {
    return;
  }
  logged_unhandled_.push_back(type);
  log("jaegis: dropped a message of type " + std::string(type_name_of(type)) +
      " that its receiver does not handle (logged once per type)");
}

sched::executor& actor_system::new_detached_executor() {
  std::lock_guard lock(rare_mutex_);
  // Reap the threads of detached actors that are gone.
  std::erase_if(detached_, [](const std::unique_ptr<sched::executor>& e) {
    auto* d = static_cast<detail::detached_executor*>(e.get());
    // The destructor joins the (finishing) thread; never our own (an on_stop spawning).
    return d->retired() && d->current_worker() != 0;
  });
  detached_.push_back(std::make_unique<detail::detached_executor>());
  return *detached_.back();
}

std::size_t actor_system::running_actors() const noexcept {
  // acquire: see on_terminated().
  return static_cast<std::size_t>((counts_.load(std::memory_order_acquire) & running_mask) >> 32);
}

std::size_t actor_system::live_cells() const noexcept {
  // acquire: see on_freed().
  return static_cast<std::size_t>(counts_.load(std::memory_order_acquire) & cell_mask);
}

std::uint64_t actor_system::unhandled_messages() const noexcept {
  return unhandled_.load(std::memory_order_relaxed);  // relaxed: a statistic
}

void actor_system::await_all_actors_done() {
  if (auto* det = dynamic_cast<sched::deterministic_executor*>(executor_.get())) {
    // Nobody else drives a deterministic executor: run it here until the actors are done or
    // nothing is left to run.
    while (running_actors() != 0 && det->run_one()) {
    }
    return;
  }
  // acquire: see on_terminated(). A wake-up for the cells' count just loops.
  for (std::uint64_t c = counts_.load(std::memory_order_acquire); (c & running_mask) != 0;
       c = counts_.load(std::memory_order_acquire)) {
    counts_.wait(c, std::memory_order_acquire);
  }
}

void actor_system::shutdown() {
  if (shut_down_) return;
  // 1. Stop every actor still running (it may trap exits: kill_msg is not trappable).
  table_.for_each_live([&](detail::actor_cell* cell) {
    if (!cell->terminated()) {
      detail::envelope* e = detail::make_envelope<detail::kill_msg>(
          detail::kill_msg{error(errc::user_shutdown, "the actor system shut down")});
      e->flags = detail::system_message;
      cell->enqueue(e);
    }
    cell->release();
  });
  await_all_actors_done();
  shut_down_ = true;
  // 2. No timer fires from here on; pending delayed sends and timeouts are released.
  timers_->stop();
  // 3. Names hold references: drop them.
  registry_->clear();
  // 4. Run what is still queued (stopped actors dropping or answering their last messages).
  executor_->drain();
  {
    std::lock_guard lock(rare_mutex_);
    for (auto& d : detached_) {
      d->stop();  // join its thread first: drain() runs on this one
      d->drain();
    }
    detached_.clear();
  }
}

}  // namespace jaegis
