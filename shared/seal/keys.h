#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "shared/seal/envelope.h"

namespace dots::seal {

// What a key derived from an endpoint key is for. Each purpose has its own label, so no derived
// key, and no nonce under it, ever serves two directions or two purposes.
enum class Purpose {
  kUplinkSeal,  // gateway -> cloud: sealed batches, one key per run of the gateway
  kAck,         // cloud -> gateway: commit acks (HMAC)
  kCommand,     // cloud -> gateway: commands
  kConfig,      // cloud -> gateway: desired configuration
};

// HKDF-SHA256 (RFC 5869) of the endpoint key. The info binds the purpose's label, the gateway id
// and the key id; `run` is the salt (the gateway's per-run random value for kUplinkSeal, 0
// otherwise).
Key deriveKey(const Key& endpoint_key, Purpose purpose, std::string_view gateway,
              std::uint32_t key_id, std::uint64_t run = 0);

inline constexpr std::size_t kMacBytes = 32;
using Mac = std::array<std::uint8_t, kMacBytes>;

// HMAC-SHA256 (RFC 2104) of `data` under `key`: a derived key, or a secret of any length (a
// webhook's).
Mac hmacSha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
Mac hmacSha256(std::string_view key, std::string_view data);

// SHA-256 of `data` (an API token's stored form: the token itself is 256 random bits).
Mac sha256Digest(std::string_view data);

// Compares in time independent of where the first difference is.
bool equalInConstantTime(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// A fresh, non-zero random 64-bit value from the DRBG (a gateway run's identity).
std::uint64_t randomRun();

}  // namespace dots::seal
