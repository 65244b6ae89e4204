#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "cloud/registry/registry.h"
#include "shared/mqtt/client.h"

namespace dots::cloud {

// Pulls messages from another system's MQTT broker (a registry Stream: broker URI + topic
// filter) and hands each to `sink` on the client's thread. Payloads are SenML JSON, a JSON
// object or a bare number, named from the topic like a gateway's sensor input.
class StreamSource {
 public:
  using Sink = std::function<void(const Stream& stream, std::string_view topic,
                                  std::span<const std::uint8_t> payload)>;
  StreamSource(Stream stream, std::string environment, Sink sink);
  ~StreamSource();

  void start();
  const Stream& stream() const { return stream_; }
  bool connected() const { return client_->isConnected(); }

 private:
  Stream stream_;
  Sink sink_;
  std::unique_ptr<mqtt::Client> client_;
};

}  // namespace dots::cloud
