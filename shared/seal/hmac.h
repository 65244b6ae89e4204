#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace dots::seal {

// HMAC-SHA256 (RFC 2104) of `message` under `key` (any length), by mbedTLS.
std::array<std::uint8_t, 32> hmacSha256(std::string_view key, std::string_view message);

}  // namespace dots::seal
