#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "shared/error/error.h"
#include "shared/model/reading.h"

namespace dots::senml {

// SenML times below 2^28 s are relative to "now" (RFC 8428 §4.5.3).
inline constexpr double kRelativeTimeLimit = 268435456.0;
inline constexpr std::size_t kMaxNameBytes = 256;
inline constexpr std::size_t kMaxPayloadBytes = 256 * 1024;
// The highest SenML version this parser understands (RFC 8428: 10).
inline constexpr std::int64_t kSenmlVersion = 10;

// Turns one sensor message into resolved readings. Accepts:
//  - SenML JSON (RFC 8428): an array of records, with base name/time/unit/value/sum/version,
//    relative times, v / vs / vb / vd, and s;
//  - a JSON object: one SenML record; without "n"/"bn" the sensor is named by the topic;
//  - a bare JSON number: named by the topic, timed at arrival.
// A payload is accepted whole or rejected whole. Error reasons: "oversize", "bad-json",
// "unsupported-payload", "senml-bad-field", "senml-no-name", "senml-bad-name",
// "senml-version", "senml-must-understand", "senml-bad-time".
// Not thread-safe (reuses a parser buffer); one instance per thread.
class PayloadParser {
 public:
  PayloadParser();
  ~PayloadParser();
  PayloadParser(const PayloadParser&) = delete;
  PayloadParser& operator=(const PayloadParser&) = delete;

  // Appends the readings to `out`; on error `out` is left as it was.
  Result<void> parse(std::string_view payload, std::string_view topic_name, std::int64_t now_ms,
                     std::vector<Reading>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// RFC 8428 §4.5.1: [A-Za-z0-9-:./_], starting with a letter or digit.
bool isValidSenmlName(std::string_view name);

}  // namespace dots::senml
