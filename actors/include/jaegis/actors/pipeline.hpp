#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "jaegis/actors/deferred_reply.hpp"
#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"

namespace jaegis::actors {

/// Pipeline stages with backpressure: a source, stages and a sink, each an actor, connected by
/// links that carry at most `window` items at a time.
///
///   auto out  = system.spawn<sink<std::string>>([](std::string& s) { ... }, [] { /* end */ });
///   auto fmt  = system.spawn<stage<int, std::string>>(format, out, link_options{.window = 8});
///   auto dbl  = system.spawn<stage<int, int>>([](int& x) { return 2 * x; }, fmt);
///   auto from = system.spawn<source<int>>(next_number, dbl);  // starts pulling at once
///
/// The protocol (credits): a sender sends each item to the next actor as a request and counts
/// the items not yet acknowledged; it sends no more while `window` are out. A stage acknowledges
/// an item once it has processed it and sent the result on (so the items held by a stage — in its
/// mailbox, being processed, waiting for credit — never exceed its upstream's window), and a
/// sink once it has consumed it. So a slow sink slows the source down, and memory stays bounded
/// by the windows, never by the input size.
///
/// Guarantees while every actor is alive and acknowledges within `ack_timeout`: each item is
/// delivered exactly once and in order (stages are sequential). The source pulls an item only
/// when it has credit, sends end_of_stream after its last item, and stops once everything it
/// sent was acknowledged; each stage passes end_of_stream on after its last item, and the sink
/// calls its end callback. If a link fails (the next actor stopped, or an acknowledgement timed
/// out) the item is counted in stage_stats::lost and logged: a pipeline does not retry.
struct link_options {
  /// 16 items per link: enough to hide one scheduling round trip between two actors on
  /// different workers; small enough that a stalled consumer pins at most 16 items per stage.
  std::size_t window = 16;
  std::chrono::nanoseconds ack_timeout = std::chrono::minutes(1);
};

/// Passed down the pipeline after the last item.
struct end_of_stream {};

/// A request every pipeline actor answers with its stage_stats.
struct get_stage_stats {};
struct stage_stats {
  std::uint64_t processed = 0;    ///< items handled by this actor
  std::size_t max_in_flight = 0;  ///< the most items ever unacknowledged on its outgoing link
  std::uint64_t lost = 0;         ///< items whose outgoing link failed
  bool ended = false;             ///< end_of_stream passed through (or, in a source, was sent)
};

namespace detail_pipeline {

/// The outgoing side of a source or stage: a FIFO of items waiting for credit, and the count of
/// items sent and not yet acknowledged. Owned by one actor, used from its handlers only.
template <class Item>
class link {
 public:
  link(actor_ref next, link_options options) : next_(std::move(next)), options_(options) {
    if (!next_) throw std::invalid_argument("jaegis::actors::pipeline: empty next ref");
    if (options_.window == 0) throw std::invalid_argument("jaegis::actors::pipeline: window 0");
    if (options_.ack_timeout <= std::chrono::nanoseconds::zero()) {
      throw std::invalid_argument("jaegis::actors::pipeline: ack_timeout must be positive");
    }
  }

  bool has_credit() const noexcept { return in_flight_ < options_.window; }
  std::size_t in_flight() const noexcept { return in_flight_; }
  bool idle() const noexcept { return waiting_.empty(); }

  /// Queues `item`; `on_sent` runs when it is actually sent (it had credit).
  void push(Item item, deferred_reply on_sent) {
    waiting_.push_back({std::move(item), std::move(on_sent)});
  }

  /// Sends waiting items while there is credit. `request(next, item, timeout)` is the owning
  /// actor's request(); `acked(ok)` runs when each is acknowledged or fails.
  template <class Request, class Acked>
  void pump(Request&& request, Acked&& acked, stage_stats& stats) {
    while (!waiting_.empty() && has_credit()) {
      entry e = std::move(waiting_.front());
      waiting_.pop_front();
      ++in_flight_;
      stats.max_in_flight = std::max(stats.max_in_flight, in_flight_);
      request(next_, std::move(e.item), options_.ack_timeout)
          .then([acked](unit_t&) { acked(true); }, [acked](const error&) { acked(false); });
      e.upstream.send(unit_t{});  // the item has left: the upstream may send another
    }
  }

  void acknowledged() noexcept { --in_flight_; }
  const actor_ref& next() const noexcept { return next_; }

 private:
  struct entry {
    Item item;
    deferred_reply upstream;
  };
  actor_ref next_;
  link_options options_;
  std::deque<entry> waiting_;
  std::size_t in_flight_ = 0;
};

/// Logs the first lost item of a stage (later ones are only counted).
void log_lost(actor_system& system, actor_id stage, std::uint64_t lost);

}  // namespace detail_pipeline

/// Pulls items from `produce` (std::nullopt: no more) while its link to `next` has credit.
template <class T>
class source : public actor<source<T>, get_stage_stats> {
 public:
  source(std::function<std::optional<T>()> produce, actor_ref next, link_options options = {})
      : produce_(std::move(produce)), link_(std::move(next), options) {}

  stage_stats on(get_stage_stats&) { return stats_; }

 protected:
  void on_start() override { pull(); }

 private:
  void pull() {
    while (!stats_.ended && link_.has_credit()) {
      std::optional<T> item = produce_();
      if (!item) {
        stats_.ended = true;
        link_.next().send(end_of_stream{});  // after the last item: mailboxes keep sender order
        break;
      }
      ++stats_.processed;
      link_.push(std::move(*item), deferred_reply{});
      link_.pump(
          [this](auto&&... a) {
            return this->template request<unit_t>(std::forward<decltype(a)>(a)...);
          },
          [this](bool ok) { acked(ok); }, stats_);
    }
    if (stats_.ended && link_.in_flight() == 0) this->quit();
  }
  void acked(bool ok) {
    link_.acknowledged();
    if (!ok) ++stats_.lost;
    pull();
  }

  std::function<std::optional<T>()> produce_;
  detail_pipeline::link<T> link_;
  stage_stats stats_;
};

/// Applies `fn` to each item, in arrival order, and sends the results on to `next`.
template <class In, class Out>
class stage : public actor<stage<In, Out>, In, end_of_stream, get_stage_stats> {
 public:
  stage(std::function<Out(In&)> fn, actor_ref next, link_options options = {})
      : fn_(std::move(fn)), link_(std::move(next), options) {}

  void on(In& item) {
    deferred_reply upstream = deferred_reply::take(this->cell());
    ++stats_.processed;
    link_.push(fn_(item), std::move(upstream));
    pump();
  }
  void on(end_of_stream&) {
    end_pending_ = true;
    pump();
  }
  stage_stats on(get_stage_stats&) { return stats_; }

 private:
  void pump() {
    link_.pump(
        [this](auto&&... a) {
          return this->template request<unit_t>(std::forward<decltype(a)>(a)...);
        },
        [this](bool ok) {
          link_.acknowledged();
          if (!ok) {
            ++stats_.lost;
            detail_pipeline::log_lost(this->system(), this->id(), stats_.lost);
          }
          pump();
        },
        stats_);
    if (end_pending_ && link_.idle()) {
      end_pending_ = false;
      stats_.ended = true;
      link_.next().send(end_of_stream{});
    }
  }

  std::function<Out(In&)> fn_;
  detail_pipeline::link<Out> link_;
  stage_stats stats_;
  bool end_pending_ = false;
};

/// The end of a pipeline: `consume` each item (the acknowledgement goes back when it returns),
/// then `on_end` once after the last.
template <class T>
class sink : public actor<sink<T>, T, end_of_stream, get_stage_stats> {
 public:
  explicit sink(std::function<void(T&)> consume, std::function<void()> on_end = {})
      : consume_(std::move(consume)), on_end_(std::move(on_end)) {}

  void on(T& item) {
    ++stats_.processed;
    consume_(item);
  }
  void on(end_of_stream&) {
    stats_.ended = true;
    if (on_end_) on_end_();
  }
  stage_stats on(get_stage_stats&) { return stats_; }

 private:
  std::function<void(T&)> consume_;
  std::function<void()> on_end_;
  stage_stats stats_;
};

}  // namespace jaegis::actors
