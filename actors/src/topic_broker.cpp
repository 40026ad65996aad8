#include "jaegis/actors/topic_broker.hpp"

#include <algorithm>

namespace jaegis::actors {

namespace detail_pubsub {
void check(const actor_ref& broker, const actor_ref& subscriber) {
  if (!broker) throw std::invalid_argument("jaegis::actors::pubsub: empty broker ref");
  if (!subscriber) throw std::invalid_argument("jaegis::actors::pubsub: empty subscriber ref");
}
}  // namespace detail_pubsub

void topic_broker::on(subscribe_msg& m) {
  std::vector<actor_ref>& subscribers = topics_[m.key];
  if (std::find(subscribers.begin(), subscribers.end(), m.subscriber) != subscribers.end()) return;
  if (subscriptions_[m.subscriber.id()]++ == 0) monitor(m.subscriber);
  subscribers.push_back(std::move(m.subscriber));
}

void topic_broker::on(unsubscribe_msg& m) {
  auto topic = topics_.find(m.key);
  if (topic == topics_.end()) return;
  std::vector<actor_ref>& subscribers = topic->second;
  auto it = std::find(subscribers.begin(), subscribers.end(), m.subscriber);
  if (it == subscribers.end()) return;
  subscribers.erase(it);
  if (subscribers.empty()) topics_.erase(topic);
  if (auto count = subscriptions_.find(m.subscriber.id()); --count->second == 0) {
    subscriptions_.erase(count);
    demonitor(m.subscriber);
  }
}

void topic_broker::on(publish_msg& m) {
  auto topic = topics_.find(m.key);
  if (topic == topics_.end()) return;
  const actor_id sender = cell().current()->sender;
  const std::vector<actor_ref>& subscribers = topic->second;
  for (std::size_t i = 0; i < subscribers.size(); ++i) {
    m.value->deliver(subscribers[i], m.key.name, sender, i + 1 == subscribers.size());
  }
}

std::size_t topic_broker::on(count_subscribers_msg& m) {
  auto topic = topics_.find(m.key);
  return topic == topics_.end() ? 0 : topic->second.size();
}

void topic_broker::on(down_msg& d) {
  forget(d.source);
}

void topic_broker::forget(actor_id subscriber) {
  if (subscriptions_.erase(subscriber) == 0) return;
  for (auto it = topics_.begin(); it != topics_.end();) {
    std::erase_if(it->second, [subscriber](const actor_ref& r) { return r.id() == subscriber; });
    it = it->second.empty() ? topics_.erase(it) : std::next(it);
  }
}

}  // namespace jaegis::actors
