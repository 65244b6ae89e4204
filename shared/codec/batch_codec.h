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
inline constexpr std::size_t kMaxReadingsPerBatch = 100'000;
// Per series and per text value; the gateway's SenML parser keeps within them.
inline constexpr std::size_t kMaxSeriesNameBytes = 256;
inline constexpr std::size_t kMaxUnitBytes = 256;
inline constexpr std::size_t kMaxTextBytes = 256 * 1024;
// What the decoded readings may take in memory, counted before they are made: a small batch
// cannot expand into gigabytes (a long name repeated by every reading).
inline constexpr std::size_t kMaxDecodedBytes = 64 * 1024 * 1024;

// Encodes `batch` as a dots.wire.Batch FlatBuffer (schemas/batch.fbs).
std::vector<std::uint8_t> encodeBatch(const Batch& batch);
std::vector<std::uint8_t> encodeReadings(std::span<const Reading> readings, bool historical);

// Verifies (flatbuffers::Verifier with depth/table/size limits) and decodes a Batch. Errors:
// "malformed" (fails verification or its vectors disagree), "version" (unknown version),
// "oversize" (beyond a bound above: bytes, readings, name, unit or text length, decoded size).
Result<Batch> decodeBatch(std::span<const std::uint8_t> bytes);

}  // namespace dots::codec
