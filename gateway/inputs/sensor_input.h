#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/reading.h"
#include "log/log.h"
#include "mqtt/client.h"
#include "senml/payload_parser.h"

namespace dots::gateway {

struct InputOptions {
  std::string broker;
  std::string client_id;
  std::vector<std::string> topics;
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
};

// Subscribes to the local sensor broker with a persistent session (clean session off, QoS 1),
// so the broker queues readings while the gateway is down. Parses each message into readings
// and hands them to the sink on the MQTT client's thread. Bad payloads are counted by reason
// and logged, rate-limited.
class SensorInput {
 public:
  using Sink = std::function<void(std::vector<Reading>&& readings)>;

  SensorInput(InputOptions options, Sink sink);
  ~SensorInput();

  void start();
  // Stops taking messages; those not yet taken stay queued at the local broker.
  void stop();

  std::uint64_t messages() const { return messages_.load(); }
  std::uint64_t readings() const { return readings_.load(); }
  std::map<std::string, std::uint64_t> rejected() const;
  bool connected() const { return client_.isConnected(); }

  // The sensor name a topic gives: the topic less the literal prefix of the filter it matched
  // ("sensors/#" and "sensors/room1/t" give "room1/t").
  static std::string nameFromTopic(std::string_view topic, const std::vector<std::string>& filters);

 private:
  void onMessage(std::string_view topic, std::span<const std::uint8_t> payload);

  InputOptions options_;
  Sink sink_;
  mqtt::Client client_;
  senml::PayloadParser parser_;  // used on the client's single network thread only
  std::vector<Reading> scratch_;
  std::atomic<std::uint64_t> messages_{0};
  std::atomic<std::uint64_t> readings_{0};
  mutable std::mutex rejected_mutex_;
  std::map<std::string, std::uint64_t> rejected_;
  log::RateLimiter log_limiter_;
};

}  // namespace dots::gateway
