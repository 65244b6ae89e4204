#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dots {

// Reading times lie within ±10^16 ms of the Unix epoch (SenML times within ±10^13 s); anything
// beyond is rejected by every decoder, which also keeps time arithmetic far from overflow.
inline constexpr std::int64_t kMaxAbsTimeMs = 10'000'000'000'000'000;

enum class ValueKind : std::uint8_t { kNumber = 0, kText = 1, kBoolean = 2, kData = 3 };

// One resolved sensor reading (RFC 8428 resolved form): full name, unit, absolute time.
struct Reading {
  std::string name;
  std::string unit;
  std::int64_t time_ms = 0;  // milliseconds since the Unix epoch
  ValueKind kind = ValueKind::kNumber;
  double value = 0;  // kNumber: the value; kBoolean: 0 or 1
  std::string text;  // kText: the string; kData: the base64url text as received
  std::optional<double> sum;

  bool operator==(const Reading&) const = default;
};

// Readings that travel together from one gateway, sealed as one unit.
struct Batch {
  bool historical = false;  // sent from the backlog after an outage
  std::vector<Reading> readings;
};

}  // namespace dots
