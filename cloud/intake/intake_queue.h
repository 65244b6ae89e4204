#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "cloud/intake/incoming_message.h"

namespace dots::cloud {

// The bounded queue between the intakes (MQTT callback threads) and the commit worker, bounded
// in messages and in the memory they take (payload and decoded readings, see costOf).
// Back-pressure: push() holds its caller — and so the broker — while the queue is full. A
// message larger than the whole byte budget still passes when the queue is empty.
class IntakeQueue {
 public:
  explicit IntakeQueue(std::size_t limit, std::size_t byte_limit = 256u << 20)
      : limit_(limit), byte_limit_(byte_limit) {}

  // What a message takes in memory, about.
  static std::size_t costOf(const IncomingMessage& message);

  // Waits for space; false (message dropped, not acknowledged) once closed.
  bool push(IncomingMessage message);
  // Waits at most `wait` for space; false (the message left with the caller) when there was
  // none, or once closed. For callers that must answer in time (the push endpoint).
  bool tryPush(IncomingMessage& message, std::chrono::milliseconds wait);
  // Waits up to `wait` for messages and moves up to `max` of them into `group`; false when
  // closed and empty.
  bool popGroup(std::vector<IncomingMessage>& group, std::size_t max,
                std::chrono::milliseconds wait);
  // Wakes every waiter; push() refuses from now on, popGroup() drains what is left.
  void close();

 private:
  std::size_t limit_;
  std::size_t byte_limit_;
  std::size_t bytes_ = 0;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<IncomingMessage> queue_;
  bool closed_ = false;
};

}  // namespace dots::cloud
