#include "tools/sim/faults.h"

namespace dots::sim {

bool FaultOptions::any() const {
  return duplicates > 0 || reorder > 0 || malformed > 0 || oversize > 0 || skew_ms != 0 ||
         jump_ms != 0 || (burst_every > 0 && burst_size > 0) ||
         (dropout_every > 0 && dropout_len > 0);
}

bool FaultPlan::dropped(std::uint64_t k) const {
  return o_.dropout_every > 0 && o_.dropout_len > 0 &&
         k % o_.dropout_every >= o_.dropout_every - o_.dropout_len;
}

double FaultPlan::chance(std::size_t sensor, std::uint64_t k, std::uint64_t which) const {
  // splitmix64's finaliser over the mixed inputs.
  std::uint64_t z = seed_ ^ (static_cast<std::uint64_t>(sensor) * 0x9e3779b97f4a7c15ULL) ^
                    (k * 0xbf58476d1ce4e5b9ULL) ^ (which * 0x94d049bb133111ebULL);
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

}  // namespace dots::sim
