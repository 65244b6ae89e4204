#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "shared/error/error.h"
#include "shared/model/reading.h"

namespace dots::codec {

inline constexpr std::uint16_t kBatchVersion = 1;
// Upper bounds the reader enforces before touching a batch.
inline constexpr std::size_t kMaxBatchBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxReadingsPerBatch = 1'000'000;

// Encodes `batch` as a dots.wire.Batch FlatBuffer (schemas/batch.fbs).
std::vector<std::uint8_t> encodeBatch(const Batch& batch);
std::vector<std::uint8_t> encodeReadings(std::span<const Reading> readings, bool historical);

// Verifies (flatbuffers::Verifier with depth/table/size limits) and decodes a Batch. Errors:
// "malformed" (fails verification or its vectors disagree), "version" (unknown version).
Result<Batch> decodeBatch(std::span<const std::uint8_t> bytes);

}  // namespace dots::codec
