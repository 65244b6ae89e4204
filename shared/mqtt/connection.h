#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "shared/mqtt/publisher.h"

namespace dots::mqtt {

// Called on the connection's network thread; must not block for long and must not call stop().
using MessageHandler =
    std::function<void(std::string_view topic, std::span<const std::uint8_t> payload)>;

// An MQTT connection that keeps itself connected and resubscribes after each reconnect:
// subscriptions and handlers are registered before start(); publish() is thread-safe.
class Connection : public Publisher {
 public:
  using Publisher::publish;

  // Register before start().
  virtual void subscribe(std::string filter, int qos) = 0;
  virtual void onMessage(MessageHandler handler) = 0;
  // Runs on the connection's own thread after each successful connect and subscribe.
  virtual void onConnected(std::function<void()> handler) = 0;
  virtual void onConnectionLost(std::function<void(const std::string& cause)> handler) = 0;

  virtual void start() = 0;
  virtual bool waitConnected(std::chrono::milliseconds timeout) = 0;
  // Disconnects cleanly (a will is not sent) and stops reconnecting. Idempotent.
  virtual void stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) = 0;
};

}  // namespace dots::mqtt
