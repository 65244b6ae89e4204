#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "shared/error/error.h"

namespace dots::mqtt {

// The sending half of an MQTT connection: what a component that only publishes needs.
class Publisher {
 public:
  virtual ~Publisher() = default;

  // Queues a message without blocking; fails with "not-connected", "busy" (back-pressure, try
  // again) or "mqtt-publish".
  virtual Result<void> publish(std::string_view topic, std::span<const std::uint8_t> payload,
                               int qos, bool retained = false) = 0;
  Result<void> publish(std::string_view topic, std::string_view payload, int qos,
                       bool retained = false) {
    return publish(topic, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()},
                   qos, retained);
  }

  virtual bool isConnected() const = 0;
};

}  // namespace dots::mqtt
