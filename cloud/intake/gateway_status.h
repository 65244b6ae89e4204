#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "shared/error/error.h"

namespace dots::cloud {

// What a gateway last said on dots/v1/<gw>/status (its retained status, or the broker's will
// "offline" when its connection was lost), and when this ingester heard it.
struct GatewayStatus {
  std::string state;         // "online", "offline", ... as the gateway says
  std::int64_t seen_ms = 0;  // when it arrived here
  std::int64_t spool_bytes = 0;
  std::int64_t spool_readings = 0;
  std::int64_t received = 0;  // readings taken in from sensors
  std::int64_t dropped = 0;   // readings dropped by the spool's policy
  std::int64_t acked = 0;
  double wire_bytes_per_reading = 0;
  bool online() const { return state != "offline"; }
};

// The latest status of each gateway, for the HTTP side. Statuses of gateways without an
// endpoint are refused ("unknown-gateway") and never kept, so the board holds at most one entry
// per endpoint. Thread-safe: the MQTT thread updates, HTTP threads read.
class GatewayStatusBoard {
 public:
  // Errors: "bad-status" (not a JSON object of a status, or larger than 16 KiB).
  Result<void> update(const std::string& gateway, std::span<const std::uint8_t> payload,
                      std::int64_t now_ms);
  std::optional<GatewayStatus> find(const std::string& gateway) const;
  void forget(const std::string& gateway);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, GatewayStatus, std::less<>> statuses_;
};

}  // namespace dots::cloud
