#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"
#include "jaegis/framework/type_id.hpp"

namespace jaegis::actors {

/// A named topic whose messages carry a `T`. Two topics with the same name and different payload
/// types are different topics. Throws std::invalid_argument for an empty name.
template <class T>
struct topic {
  explicit topic(std::string topic_name) : name(std::move(topic_name)) {
    if (name.empty()) throw std::invalid_argument("jaegis::actors::topic: empty name");
  }
  std::string name;
};

/// What a subscriber to a topic<T> receives (it must accept published<T>).
template <class T>
struct published {
  std::string topic;
  T value;
};

namespace detail_pubsub {

struct topic_key {
  std::string name;
  type_id_t type;
  friend bool operator==(const topic_key&, const topic_key&) = default;
};
struct topic_key_hash {
  std::size_t operator()(const topic_key& k) const noexcept {
    // The golden-ratio multiplier spreads the small type ids over the whole word.
    return std::hash<std::string>{}(k.name) ^ (std::size_t{k.type} * 0x9e3779b97f4a7c15ULL);
  }
};

/// A published value of some type, able to send itself as published<T>.
struct payload_base {
  virtual ~payload_base() = default;
  /// Sends published<T>{topic, value} to `to` with `sender` as its sender: a copy, or the value
  /// itself when `last` (no subscriber after this one needs it).
  virtual void deliver(const actor_ref& to, const std::string& topic, actor_id sender,
                       bool last) = 0;
};
template <class T>
struct payload final : payload_base {
  explicit payload(T v) : value(std::move(v)) {}
  void deliver(const actor_ref& to, const std::string& topic, actor_id sender, bool last) override {
    detail::envelope* e =
        last ? detail::make_envelope<published<T>>(published<T>{topic, std::move(value)})
             : detail::make_envelope<published<T>>(published<T>{topic, value});
    e->sender = sender;
    to.cell()->enqueue(e);
  }
  T value;
};

}  // namespace detail_pubsub

/// The broker's messages; build them with the functions below.
struct subscribe_msg {
  detail_pubsub::topic_key key;
  actor_ref subscriber;
};
struct unsubscribe_msg {
  detail_pubsub::topic_key key;
  actor_ref subscriber;
};
struct publish_msg {
  detail_pubsub::topic_key key;
  std::unique_ptr<detail_pubsub::payload_base> value;
};
/// A request: answered with the number of subscribers of the topic (std::size_t).
struct count_subscribers_msg {
  detail_pubsub::topic_key key;
};

/// Publish/subscribe by topic name, with typed payloads.
///
/// - Delivery: each subscriber of a topic gets each message published to it exactly once, as
///   published<T>, with the publisher as sender. All subscribers see a topic's messages in the
///   same order (the broker's arrival order); messages from one publisher arrive in the order
///   it published them.
/// - Subscribing twice is the same as once; unsubscribing a non-subscriber does nothing; publishing
///   to a topic with no subscribers drops the message.
/// - A subscriber that stops is dropped from all its topics (the broker monitors it). Messages
///   published before the broker saw the stop are dropped by the stopped actor.
/// - Subscriptions, unsubscriptions and publications from one sender take effect in the order sent.
class topic_broker : public actor<topic_broker, subscribe_msg, unsubscribe_msg, publish_msg,
                                  count_subscribers_msg, down_msg> {
 public:
  void on(subscribe_msg& m);
  void on(unsubscribe_msg& m);
  void on(publish_msg& m);
  std::size_t on(count_subscribers_msg& m);
  void on(down_msg& d);

 private:
  void forget(actor_id subscriber);

  std::unordered_map<detail_pubsub::topic_key, std::vector<actor_ref>,
                     detail_pubsub::topic_key_hash>
      topics_;
  std::unordered_map<actor_id, std::size_t> subscriptions_;  ///< per subscriber: topics it is in
};

namespace detail_pubsub {
template <class T>
topic_key key_of(const topic<T>& t) {
  return topic_key{t.name, type_id<T>()};
}
void check(const actor_ref& broker, const actor_ref& subscriber);
}  // namespace detail_pubsub

/// Subscribes `subscriber` to `t` (from any thread). With a typed ref, the subscriber must accept
/// published<T> (checked at compile time). Throws std::invalid_argument on an empty ref.
template <class T>
void subscribe(const ref<topic_broker>& broker, const topic<T>& t, const actor_ref& subscriber) {
  detail_pubsub::check(broker, subscriber);
  broker.send(subscribe_msg{detail_pubsub::key_of(t), subscriber});
}
template <class T, class A>
void subscribe(const ref<topic_broker>& broker, const topic<T>& t, const ref<A>& subscriber) {
  static_assert(A::template accepts<published<T>>,
                "jaegis: the subscriber does not accept published<T> for this topic's T");
  subscribe(broker, t, subscriber.untyped());
}

template <class T>
void unsubscribe(const ref<topic_broker>& broker, const topic<T>& t, const actor_ref& subscriber) {
  detail_pubsub::check(broker, subscriber);
  broker.send(unsubscribe_msg{detail_pubsub::key_of(t), subscriber});
}

/// Publishes `value` to every subscriber of `t` (from any thread).
template <class T, class V>
void publish(const ref<topic_broker>& broker, const topic<T>& t, V&& value) {
  broker.send(publish_msg{detail_pubsub::key_of(t),
                          std::make_unique<detail_pubsub::payload<T>>(T(std::forward<V>(value)))});
}

/// The request to send (with request()) to learn how many subscribers `t` has.
template <class T>
count_subscribers_msg count_subscribers(const topic<T>& t) {
  return count_subscribers_msg{detail_pubsub::key_of(t)};
}

}  // namespace jaegis::actors
