#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "shared/error/error.h"

namespace dots::codec {

// One batch's idempotency key within a gateway.
struct BatchId {
  std::uint32_t epoch = 0;
  std::uint64_t seq = 0;
  auto operator<=>(const BatchId&) const = default;
};

// Inclusive range of sequence numbers within one epoch.
struct SeqRange {
  std::uint32_t epoch = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  bool operator==(const SeqRange&) const = default;
};

// Sorts `ids` and merges them into the fewest ranges.
std::vector<SeqRange> toRanges(std::vector<BatchId> ids);

std::vector<std::uint8_t> encodeAck(const std::vector<SeqRange>& ranges);
// Errors: "malformed", "version".
Result<std::vector<SeqRange>> decodeAck(std::span<const std::uint8_t> bytes);

}  // namespace dots::codec
