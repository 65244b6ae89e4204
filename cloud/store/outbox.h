#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/error/error.h"

namespace dots::cloud {

// One queued delivery of an alert.
struct Delivery {
  std::int64_t id = 0;
  std::int64_t alert_id = 0;
  std::string target;   // "mqtt" or "webhook"
  std::string address;  // topic or URL
  std::string payload;
  int attempts = 0;
};

// The notification outbox, filled by handlers in the batch's transaction (ChannelSink::
// enqueueDelivery) and drained by the notifier after the commit. Not thread-safe: the
// notifier's thread owns it.
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual Result<std::vector<Delivery>> dueDeliveries(std::int64_t now_ms, std::size_t limit) = 0;
  virtual Result<void> markDelivered(std::int64_t id) = 0;
  // Schedules another attempt at `next_ms`, or gives up (state "failed") when next_ms < 0.
  virtual Result<void> markAttempt(std::int64_t id, int attempts, std::int64_t next_ms,
                                   const std::string& error) = 0;
};

}  // namespace dots::cloud
