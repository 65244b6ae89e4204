#include "cloud/intake/intake_queue.h"

#include <algorithm>

namespace dots::cloud {

std::size_t IntakeQueue::costOf(const IncomingMessage& message) {
  if (const auto* s = std::get_if<StreamMessage>(&message)) {
    return sizeof(StreamMessage) + s->topic.size() + s->payload.size();
  }
  if (std::holds_alternative<AckMessage>(message)) return sizeof(AckMessage);
  if (const auto* p = std::get_if<PushMessage>(&message)) {
    return sizeof(PushMessage) + p->key.size() + p->readings.size() * (sizeof(Reading) + 32);
  }
  const auto& m = std::get<GatewayMessage>(message);
  std::size_t cost = sizeof(GatewayMessage) + m.topic.size() + m.payload.size();
  if (m.admitted) cost += m.admitted->batch.readings.size() * (sizeof(Reading) + 32);
  return cost;
}

bool IntakeQueue::push(IncomingMessage message) {
  std::size_t cost = costOf(message);
  std::unique_lock lock(mutex_);
  space_.wait(lock, [&] {
    return closed_ || (queue_.size() < limit_ && (queue_.empty() || bytes_ + cost <= byte_limit_));
  });
  if (closed_) return false;
  bytes_ += cost;
  queue_.push_back(std::move(message));
  lock.unlock();
  ready_.notify_one();
  return true;
}

bool IntakeQueue::tryPush(IncomingMessage& message, std::chrono::milliseconds wait) {
  std::size_t cost = costOf(message);
  std::unique_lock lock(mutex_);
  bool room = space_.wait_for(lock, wait, [&] {
    return closed_ || (queue_.size() < limit_ && (queue_.empty() || bytes_ + cost <= byte_limit_));
  });
  if (closed_ || !room) return false;
  bytes_ += cost;
  queue_.push_back(std::move(message));
  lock.unlock();
  ready_.notify_one();
  return true;
}

bool IntakeQueue::popGroup(std::vector<IncomingMessage>& group, std::size_t max,
                           std::chrono::milliseconds wait) {
  {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, wait, [this] { return closed_ || !queue_.empty(); });
    if (queue_.empty() && closed_) return false;
    while (!queue_.empty() && group.size() < max) {
      bytes_ -= std::min(bytes_, costOf(queue_.front()));
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  space_.notify_all();
  return true;
}

void IntakeQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
  space_.notify_all();
}

}  // namespace dots::cloud
