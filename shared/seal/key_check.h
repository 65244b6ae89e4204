#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace dots::seal {

// True for a key that no random source would make: fewer than 8 distinct byte values (all
// bytes equal, all zero, a short repeated pattern) or an arithmetic run (00 01 02 ..., ff fe ...).
// A random 256-bit key has about 28 distinct bytes; one with fewer than 8 turns up less than
// once in 10^20 keys, so a refusal is always a placeholder or a made-up key, never bad luck.
inline bool isWeakKey(std::span<const std::uint8_t> key) {
  if (key.size() < 2) return true;
  std::array<bool, 256> seen{};
  std::size_t distinct = 0;
  for (std::uint8_t b : key) {
    if (!seen[b]) ++distinct;
    seen[b] = true;
  }
  if (distinct < 8) return true;
  auto step = static_cast<std::uint8_t>(key[1] - key[0]);
  for (std::size_t i = 2; i < key.size(); ++i) {
    if (static_cast<std::uint8_t>(key[i] - key[i - 1]) != step) return false;
  }
  return true;
}

}  // namespace dots::seal
