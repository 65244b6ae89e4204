#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "shared/error/error.h"
#include "shared/model/reading.h"

namespace dots::cloud {

// A boundary violation or anomaly, raised or cleared by a detector handler.
struct Alert {
  std::string kind;   // "threshold", "anomaly"
  std::string state;  // "raised", "cleared"
  std::string gateway;
  std::string sensor;
  std::string message;
  double value = 0;
  std::int64_t time_ms = 0;
  bool historical = false;
};

// The change one batch makes to one tumbling window of one sensor (mergeable, so late and
// out-of-order readings land in the right window whenever they come).
struct AggregateDelta {
  std::string sensor;
  std::string unit;
  std::int64_t window_start_ms = 0;
  std::int64_t window_ms = 0;
  std::uint64_t count = 0;
  double sum = 0;
  double sum_squares = 0;
  double min = 0;
  double max = 0;
};

// What handlers write. Everything written for a batch commits in the same transaction as the
// batch's idempotency key: a resent batch writes nothing twice.
class ChannelSink {
 public:
  virtual ~ChannelSink() = default;
  virtual Result<void> storeReadings(std::int64_t channel_id, std::string_view gateway,
                                     std::span<const Reading> readings, bool historical) = 0;
  virtual Result<void> mergeAggregates(std::int64_t channel_id, std::string_view gateway,
                                       std::span<const AggregateDelta> deltas) = 0;
  // Returns the alert's id.
  virtual Result<std::int64_t> recordAlert(std::int64_t channel_id, std::string_view account,
                                           std::string_view channel, const Alert& alert) = 0;
  // Queues a delivery of an alert: target "mqtt" (address = topic) or "webhook" (address = URL).
  virtual Result<void> enqueueDelivery(std::int64_t alert_id, std::string_view target,
                                       std::string_view address, std::string_view payload) = 0;
};

}  // namespace dots::cloud
