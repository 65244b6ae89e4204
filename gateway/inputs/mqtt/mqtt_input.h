#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/inputs/input.h"
#include "gateway/inputs/mqtt/mqtt_input_options.h"
#include "shared/log/log.h"
#include "shared/mqtt/connection.h"
#include "shared/senml/payload_parser.h"

namespace dots::gateway {

// Takes readings from an MQTT broker: subscribes to the topic filters at QoS 1 on a connection
// that keeps its session (clean session off), so the broker queues readings while the gateway
// is down. Parses each message (SenML, JSON object or bare number) into readings and hands them
// to the sink on the connection's network thread. Bad payloads are counted by reason and
// logged, rate-limited.
class MqttInput final : public Input {
 public:
  // `wall_ms` gives the arrival time (ms since the Unix epoch) for payloads without one.
  MqttInput(MqttInputOptions options, std::unique_ptr<mqtt::Connection> connection,
            ReadingSink sink, std::function<std::int64_t()> wall_ms);
  ~MqttInput() override;

  const std::string& name() const override { return options_.name; }
  void start() override;
  // Stops taking messages; those not yet taken stay queued at the broker.
  void stop() override;
  bool connected() const override { return connection_->isConnected(); }
  InputStats stats() const override;

  // The sensor name a topic gives: the topic less the literal prefix of the filter it matched
  // ("sensors/#" and "sensors/room1/t" give "room1/t").
  static std::string nameFromTopic(std::string_view topic, const std::vector<std::string>& filters);

 private:
  void onMessage(std::string_view topic, std::span<const std::uint8_t> payload);

  MqttInputOptions options_;
  std::unique_ptr<mqtt::Connection> connection_;
  ReadingSink sink_;
  std::function<std::int64_t()> wall_ms_;
  senml::PayloadParser parser_;  // used on the connection's single network thread only
  std::vector<Reading> scratch_;
  std::atomic<std::uint64_t> messages_{0};
  std::atomic<std::uint64_t> readings_{0};
  mutable std::mutex rejected_mutex_;
  std::map<std::string, std::uint64_t> rejected_;
  log::RateLimiter log_limiter_;
};

// An MqttInput on a Paho connection.
std::unique_ptr<Input> makeMqttInput(MqttInputOptions options, ReadingSink sink);

}  // namespace dots::gateway
