#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "shared/error/error.h"
#include "shared/seal/envelope.h"

namespace dots::codec {

// One batch's idempotency key within a gateway: the run it was sealed in, the epoch, the seq.
struct BatchId {
  std::uint64_t run = 0;
  std::uint32_t epoch = 0;
  std::uint64_t seq = 0;
  auto operator<=>(const BatchId&) const = default;
};

// Inclusive range of sequence numbers within one run and epoch.
struct SeqRange {
  std::uint64_t run = 0;
  std::uint32_t epoch = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  bool operator==(const SeqRange&) const = default;
};

// What an ack says: batches durably stored, and batches dead-lettered (refused for good).
struct AckContent {
  std::vector<SeqRange> stored;
  std::vector<SeqRange> rejected;
  bool operator==(const AckContent&) const = default;
};

// Sorts `ids` and merges them into the fewest ranges.
std::vector<SeqRange> toRanges(std::vector<BatchId> ids);

// A SignedAck for `gateway`, MAC'd under `ack_key` (seal::deriveKey with Purpose::kAck for the
// gateway and `key_id`).
std::vector<std::uint8_t> encodeAck(const seal::Key& ack_key, std::string_view gateway,
                                    std::uint32_t key_id, const AckContent& content);

// Verifies a SignedAck meant for `gateway` under the ack key of `key_id`. Errors: "malformed",
// "version", "other-gateway", "other-key" (signed under another key id), "bad-mac" (forged or
// damaged).
Result<AckContent> decodeAck(std::span<const std::uint8_t> bytes, std::string_view gateway,
                             std::uint32_t key_id, const seal::Key& ack_key);

}  // namespace dots::codec
