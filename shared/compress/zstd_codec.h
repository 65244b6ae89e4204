#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "shared/error/error.h"

namespace dots::compress {

// zstd at a fast level; the uplink payload is small and latency matters more than ratio.
std::vector<std::uint8_t> compress(std::span<const std::uint8_t> input, int level = 3);

// Refuses frames that would expand beyond `max_output` bytes (decompression bombs).
// Errors: "bad-compression", "oversize".
Result<std::vector<std::uint8_t>> decompress(std::span<const std::uint8_t> input,
                                             std::size_t max_output);

}  // namespace dots::compress
