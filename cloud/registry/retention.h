#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/error/error.h"

namespace dots::cloud {

// How long a channel keeps what it wrote, in seconds; 0 keeps it forever. Readings and alerts
// expire by the time they were stored (a reading block's stored_ms, an alert's created_ms), so a
// backfill of old readings is kept for the whole period; an aggregate window (which has no store
// time of its own) expires once it ended more than `aggregates_s` ago.
struct Retention {
  static constexpr std::int64_t kDay = 86400;
  static constexpr std::int64_t kDefaultReadings = 30 * kDay;
  static constexpr std::int64_t kDefaultAggregates = 400 * kDay;
  static constexpr std::int64_t kDefaultAlerts = 90 * kDay;

  std::int64_t readings_s = kDefaultReadings;
  std::int64_t aggregates_s = kDefaultAggregates;
  std::int64_t alerts_s = kDefaultAlerts;

  bool operator==(const Retention&) const = default;
};

// A change of some of a channel's periods; the others stay as they are.
struct RetentionChange {
  std::optional<std::int64_t> readings_s;
  std::optional<std::int64_t> aggregates_s;
  std::optional<std::int64_t> alerts_s;
};

// "30d", "12h", "90m", "45s" or "0" (forever) as seconds. Errors: "bad-retention" (no unit, a
// negative or fractional number, more than 100 years).
Result<std::int64_t> parseRetention(std::string_view text);
// Seconds in the largest unit that divides them exactly ("30d", "90m", "0").
std::string formatRetention(std::int64_t seconds);

}  // namespace dots::cloud
