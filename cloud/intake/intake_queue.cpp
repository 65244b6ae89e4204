#include "cloud/intake/intake_queue.h"

namespace dots::cloud {

bool IntakeQueue::push(IncomingMessage message) {
  std::unique_lock lock(mutex_);
  space_.wait(lock, [this] { return closed_ || queue_.size() < limit_; });
  if (closed_) return false;
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
