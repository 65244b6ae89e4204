#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"

namespace dots::mqtt {

struct Will {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = true;
};

struct ClientOptions {
  std::string uri;  // tcp://host:port or ssl://host:port
  std::string client_id;
  // false keeps the session (subscriptions and queued QoS 1 messages) across reconnects.
  bool clean_session = true;
  std::chrono::seconds keep_alive{20};
  std::optional<Will> will;
  std::string username;
  std::string password;
  std::string ca_file;  // for ssl:// URIs; empty uses the system's trust store
  int max_inflight = 1024;
  // Messages queued inside the client before they reach the socket; beyond it publish()
  // fails with "busy" (back-pressure, try again).
  int max_buffered = 10000;
  // Reconnect delay: exponential from min to max, each delay jittered to 50-100% of itself so
  // that a fleet of gateways does not reconnect in lockstep.
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
  std::string log_name = "mqtt";
  // TCP_NODELAY on the connection: small packets leave at once instead of waiting (up to 40 ms)
  // for the peer's delayed ACK. Off suits a client that mostly receives many small messages:
  // its PUBACKs then travel together.
  bool no_delay = true;
};

// The wait before reconnect attempt `attempt` (0-based): min * 2^attempt capped at max, then
// jittered uniformly to 50-100% of itself.
std::chrono::milliseconds reconnectDelay(int attempt, std::chrono::milliseconds min,
                                         std::chrono::milliseconds max, std::minstd_rand& rng);

// Called on the client's network thread; must not block for long and must not call stop().
using MessageHandler =
    std::function<void(std::string_view topic, std::span<const std::uint8_t> payload)>;

// An MQTT client that keeps itself connected: a background thread connects, subscribes to
// every registered filter after each (re)connect, and retries with jittered exponential
// backoff. The only place that sees Paho types. publish() is thread-safe.
class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Register before start().
  void subscribe(std::string filter, int qos);
  void onMessage(MessageHandler handler);
  // Runs on the client's connector thread after each successful connect and subscribe.
  void onConnected(std::function<void()> handler);
  void onConnectionLost(std::function<void(const std::string& cause)> handler);

  void start();
  bool waitConnected(std::chrono::milliseconds timeout);
  bool isConnected() const;

  // Queues a message; fails with "not-connected", "busy" or "mqtt-publish" without blocking.
  Result<void> publish(std::string_view topic, std::span<const std::uint8_t> payload, int qos,
                       bool retained = false);
  Result<void> publish(std::string_view topic, std::string_view payload, int qos,
                       bool retained = false);

  // QoS 1/2 messages published but not yet acknowledged by the broker.
  std::size_t inflight() const;
  // Waits until inflight() < limit; false on timeout.
  bool waitInflightBelow(std::size_t limit, std::chrono::milliseconds timeout);

  // Disconnects cleanly (the will is not sent) and stops reconnecting. Idempotent.
  void stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dots::mqtt
