#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/reading.h"

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

// What a handler knows about the readings in hand.
struct HandlerContext {
  std::int64_t channel_id = 0;
  std::string_view account;
  std::string_view channel;
  std::string_view gateway;
  bool historical = false;  // from a gateway's backlog
  ChannelSink& sink;
  // Alerts raised by handlers earlier in the chain, for a notify handler further on.
  std::vector<std::pair<std::int64_t, Alert>> alerts;
};

// Per handler instance: readings in and out, errors, alerts raised, things suppressed.
struct HandlerCounters {
  std::atomic<std::uint64_t> in{0};
  std::atomic<std::uint64_t> out{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> alerts{0};
  std::atomic<std::uint64_t> suppressed{0};
};

// One processing step of a channel. Built from a validated spec at start-up (or when the
// registry changes), so the data path never parses configuration. Called on the ingester's
// worker thread only; counters may be read from any thread.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual std::string_view kind() const = 0;
  // Processes `readings` in place: a filter removes some; the others observe them and write
  // through ctx.sink. Errors abort the batch group's transaction.
  virtual Result<void> process(std::vector<Reading>& readings, HandlerContext& ctx) = 0;
  const HandlerCounters& counters() const { return counters_; }

 protected:
  // Records `alert` through the sink, counts it, and hands it to later handlers (notify).
  Result<void> raiseAlert(Alert alert, HandlerContext& ctx) {
    auto id = ctx.sink.recordAlert(ctx.channel_id, ctx.account, ctx.channel, alert);
    if (!id) {
      counters_.errors.fetch_add(1);
      return std::unexpected(id.error());
    }
    counters_.alerts.fetch_add(1);
    ctx.alerts.emplace_back(*id, std::move(alert));
    return {};
  }

  HandlerCounters counters_;
};

// The key of per-sensor handler state: a sensor is known by its gateway and its name.
inline std::string sensorKey(std::string_view gateway, std::string_view sensor) {
  std::string key(gateway);
  key += '\0';
  key += sensor;
  return key;
}

// Per-sensor handler state on the data path: the gateway's sensors are looked up once per batch,
// then each sensor by name without building a key (no allocation once a sensor is known).
template <typename V>
class SensorStates {
 public:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using Sensors = std::unordered_map<std::string, V, Hash, std::equal_to<>>;

  Sensors& of(std::string_view gateway) { return findOrAdd(gateways_, gateway); }
  static V& slot(Sensors& sensors, std::string_view name) { return findOrAdd(sensors, name); }

 private:
  template <typename T>
  static T& findOrAdd(std::unordered_map<std::string, T, Hash, std::equal_to<>>& map,
                      std::string_view key) {
    auto it = map.find(key);
    if (it == map.end()) it = map.emplace(std::string(key), T{}).first;
    return it->second;
  }
  std::unordered_map<std::string, Sensors, Hash, std::equal_to<>> gateways_;
};

}  // namespace dots::cloud
