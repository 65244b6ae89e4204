#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  std::int64_t channel_id = 0;  // the channel that raised the alert
  std::string destination;      // see deliveryDestination
};

// The receiver a delivery goes to, which one delivery worker serves: "mqtt" for MQTT, the
// URL's scheme://host:port for a webhook (the URL itself when it does not parse).
std::string deliveryDestination(std::string_view target, std::string_view address);

// The notification outbox, filled by handlers in the batch's transaction (ChannelSink::
// enqueueDelivery) and drained by the notifier after the commit. A row stays until it is
// delivered or given up, so nothing queued is lost across restarts. Not thread-safe: callers
// serialise their calls.
class Outbox {
 public:
  virtual ~Outbox() = default;
  // Due rows by id, of every destination or of one.
  virtual Result<std::vector<Delivery>> dueDeliveries(
      std::int64_t now_ms, std::size_t limit,
      const std::optional<std::string>& destination = std::nullopt) = 0;
  // The destinations that have due rows.
  virtual Result<std::vector<std::string>> dueDestinations(std::int64_t now_ms) = 0;
  virtual Result<void> markDelivered(std::int64_t id) = 0;
  // Schedules another attempt at `next_ms`, or gives up (state "failed") when next_ms < 0.
  virtual Result<void> markAttempt(std::int64_t id, int attempts, std::int64_t next_ms,
                                   const std::string& error) = 0;
};

}  // namespace dots::cloud
