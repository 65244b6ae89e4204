#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "cloud/registry/registry.h"
#include "shared/error/error.h"
#include "shared/mqtt/client.h"
#include "shared/net/destination_policy.h"

namespace dots::cloud {

// A token bucket of messages per second holding at most one second's worth (at least one).
// Time passed in; not thread-safe (one stream's network thread).
class MessageBucket {
 public:
  explicit MessageBucket(double rate_per_s) : rate_(rate_per_s), tokens_(burst()) {}
  bool take(std::chrono::steady_clock::time_point now);

 private:
  double burst() const { return rate_ < 1 ? 1 : rate_; }
  double rate_;
  double tokens_;
  std::chrono::steady_clock::time_point at_{};
  bool started_ = false;
};

// Pulls messages from another system's MQTT broker (a registry Stream: broker URI + topic
// filter) and hands each accepted one to `accept` on the client's thread. The other side is not
// trusted: a message above the stream's max_message_bytes is refused by the MQTT adapter before
// any copy ("stream-oversize"), beyond rate_per_s messages are dropped ("stream-rate-limited"),
// both reported to `reject`; the broker's host must pass `policy` before every connect (after
// name resolution) and the address the socket reached is checked again after it.
// Payloads are SenML JSON, a JSON object or a bare number, named from the topic like a
// gateway's sensor input.
class StreamSource {
 public:
  using Accept = std::function<void(const Stream& stream, std::string_view topic,
                                    std::span<const std::uint8_t> payload)>;
  using Reject =
      std::function<void(const Stream& stream, std::string_view topic, const Error& error)>;
  // The allow-list in force now (read before every connect, from the client's thread).
  using Policy = std::function<std::shared_ptr<const net::DestinationPolicy>()>;

  StreamSource(Stream stream, std::string environment, Accept accept, Reject reject, Policy policy);
  ~StreamSource();

  void start();
  const Stream& stream() const { return stream_; }
  bool connected() const { return client_->isConnected(); }

 private:
  Stream stream_;
  Accept accept_;
  Reject reject_;
  Policy policy_;
  MessageBucket bucket_;
  std::unique_ptr<mqtt::Client> client_;
};

}  // namespace dots::cloud
