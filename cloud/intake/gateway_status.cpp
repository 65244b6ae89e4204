#include "cloud/intake/gateway_status.h"

#include <algorithm>

#include "shared/json/json_fields.h"

namespace dots::cloud {

Result<void> GatewayStatusBoard::update(const std::string& gateway,
                                        std::span<const std::uint8_t> payload,
                                        std::int64_t now_ms) {
  std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto fields = json::topLevelFields(text);
  if (!fields) return fail("bad-status", fields.error().describe());
  auto state = fields->strings.find("state");
  if (state == fields->strings.end() || state->second.empty() || state->second.size() > 32) {
    return fail("bad-status", "no state");
  }
  // Counters as the gateway says them, clamped to [0, 2^53] (a status is not sealed: any value
  // may come).
  auto number = [&](std::string_view key) -> double {
    auto it = fields->numbers.find(key);
    if (it == fields->numbers.end() || !(it->second > 0)) return 0;
    return std::min(it->second, 9007199254740992.0);
  };
  GatewayStatus s;
  s.state = state->second;
  s.seen_ms = now_ms;
  s.spool_bytes = static_cast<std::int64_t>(number("spool_bytes"));
  s.spool_readings = static_cast<std::int64_t>(number("spool_readings"));
  s.received = static_cast<std::int64_t>(number("received"));
  s.dropped = static_cast<std::int64_t>(number("dropped"));
  s.acked = static_cast<std::int64_t>(number("acked"));
  s.wire_bytes_per_reading = number("wire_bytes_per_reading");
  std::lock_guard lock(mutex_);
  auto& kept = statuses_[gateway];
  // The will says only "offline": what the gateway said before stays, marked offline.
  if (s.state == "offline" && fields->numbers.empty()) {
    kept.state = s.state;
    kept.seen_ms = now_ms;
    return {};
  }
  kept = s;
  return {};
}

std::optional<GatewayStatus> GatewayStatusBoard::find(const std::string& gateway) const {
  std::lock_guard lock(mutex_);
  auto it = statuses_.find(gateway);
  if (it == statuses_.end()) return std::nullopt;
  return it->second;
}

void GatewayStatusBoard::forget(const std::string& gateway) {
  std::lock_guard lock(mutex_);
  statuses_.erase(gateway);
}

}  // namespace dots::cloud
