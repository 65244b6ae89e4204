#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dots {

std::string toHex(std::span<const std::uint8_t> bytes);
// Returns nullopt unless `text` is an even number of hex digits.
std::optional<std::vector<std::uint8_t>> fromHex(std::string_view text);

}  // namespace dots
