#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dots::sim {

// Faults dots-sim injects into its random walks on purpose, each decided per reading from the
// seed alone (not from timing), so a run's books can be checked: what the summary says was
// sent, duplicated, reordered, malformed, oversize and dropped is what the system downstream
// should have stored, rejected or never seen.
struct FaultOptions {
  double duplicates = 0;  // fraction of readings published twice
  double reorder = 0;     // fraction held back and published after the sensor's next reading
  double malformed = 0;   // fraction of messages replaced by a payload no parser accepts
  double oversize = 0;    // fraction replaced by `oversize_bytes` of padding
  std::size_t oversize_bytes = 300 * 1024;  // above the gateway's 256 KiB sensor-message limit
  std::int64_t skew_ms = 0;                 // every reading's time is this far off
  std::int64_t jump_ms = 0;  // from each sensor's `jump_at`-th reading on, this much further
  std::uint64_t jump_at = 0;
  // Every `burst_every` readings in all, the next `burst_size` go out at once (no pacing).
  std::uint64_t burst_every = 0;
  std::uint64_t burst_size = 0;
  // Each sensor is silent for `dropout_len` of every `dropout_every` of its readings (the
  // readings it would have sent are counted, not sent).
  std::uint64_t dropout_every = 0;
  std::uint64_t dropout_len = 0;

  bool any() const;
};

struct FaultCounts {
  std::uint64_t duplicated = 0;  // extra messages
  std::uint64_t reordered = 0;
  std::uint64_t malformed = 0;
  std::uint64_t oversize = 0;
  std::uint64_t skewed = 0;  // readings sent with a skewed time
  std::uint64_t jumped = 0;  // readings sent after their sensor's clock jumped
  std::uint64_t burst = 0;   // readings sent unpaced in a burst
  std::uint64_t dropped = 0;
};

// The decisions for reading `k` (0-based) of sensor `sensor`; pure.
class FaultPlan {
 public:
  FaultPlan(const FaultOptions& options, std::uint64_t seed) : o_(options), seed_(seed) {}
  bool dropped(std::uint64_t k) const;
  bool duplicate(std::size_t sensor, std::uint64_t k) const {
    return chance(sensor, k, 1) < o_.duplicates;
  }
  bool reorder(std::size_t sensor, std::uint64_t k) const {
    return chance(sensor, k, 2) < o_.reorder;
  }
  bool malformed(std::size_t sensor, std::uint64_t k) const {
    return chance(sensor, k, 3) < o_.malformed;
  }
  bool oversize(std::size_t sensor, std::uint64_t k) const {
    return !malformed(sensor, k) && chance(sensor, k, 4) < o_.oversize;
  }
  // What to add to the true time of reading `k`.
  std::int64_t clockOffset(std::uint64_t k) const {
    return o_.skew_ms + (o_.jump_ms != 0 && k >= o_.jump_at ? o_.jump_ms : 0);
  }
  bool jumped(std::uint64_t k) const { return o_.jump_ms != 0 && k >= o_.jump_at; }
  // Whether reading `n` in all (0-based) belongs to a burst.
  bool inBurst(std::uint64_t n) const {
    return o_.burst_every > 0 && n % o_.burst_every < o_.burst_size;
  }
  // The payloads of the faulty messages.
  static std::string malformedPayload() { return "{\"n\":\"broken"; }
  std::string oversizePayload() const { return std::string(o_.oversize_bytes, 'x'); }

 private:
  // A uniform number in [0, 1) from (seed, sensor, k, which); the same inputs, the same number.
  double chance(std::size_t sensor, std::uint64_t k, std::uint64_t which) const;

  FaultOptions o_;
  std::uint64_t seed_;
};

}  // namespace dots::sim
