#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "shared/model/reading.h"

namespace dots::gateway {

enum class ReduceMode { kRaw, kDeadband, kSummary };

// One edge-reduction rule, for sensors whose name matches `pattern` (shell glob: * ? [..]).
struct ReduceRule {
  std::string pattern;
  ReduceMode mode = ReduceMode::kRaw;
  // Deadband: forward a reading only when it differs from the last one forwarded by at least
  // `threshold`, or when `heartbeat` has passed since (0 = no heartbeat).
  double threshold = 0;
  std::chrono::seconds heartbeat{300};
  // Summary: per tumbling window of `window` (aligned to the epoch), forward four readings
  // "<name>:count", "<name>:min", "<name>:max", "<name>:mean", timed at the window's start.
  std::chrono::seconds window{60};
};

// Reduces readings at the edge, per sensor, by the first rule whose pattern matches its name;
// sensors no rule matches pass unchanged. Non-numeric readings pass a summary rule unchanged,
// and a deadband rule when their value changes. Memory is one small state per reduced sensor.
// Not thread-safe; the gateway serialises calls.
class Reducer {
 public:
  explicit Reducer(std::vector<ReduceRule> rules);

  bool active() const { return !rules_.empty(); }
  // Appends to `out` what is to be forwarded for `in`.
  void apply(Reading&& in, std::vector<Reading>& out);
  // Appends the summaries of windows that ended at or before `now_ms` - `grace_ms`.
  void flushExpired(std::int64_t now_ms, std::int64_t grace_ms, std::vector<Reading>& out);
  // Appends every open window's summary (at shutdown).
  void flushAll(std::vector<Reading>& out);

  std::uint64_t suppressed() const { return suppressed_; }  // readings not forwarded as such
  std::uint64_t summaries() const { return summaries_; }    // windows summarised

 private:
  struct Deadband {
    Reading last;
    bool seen = false;
  };
  struct Window {
    std::string name;
    std::string unit;
    std::int64_t start_ms = 0;
    std::int64_t length_ms = 0;
    std::uint64_t count = 0;
    double min = 0;
    double max = 0;
    double sum = 0;
  };
  const ReduceRule* ruleFor(const std::string& name);
  void emit(const Window& w, std::vector<Reading>& out);

  std::vector<ReduceRule> rules_;
  std::unordered_map<std::string, int> rule_index_;  // name -> rule (-1: none), memoised
  std::unordered_map<std::string, Deadband> deadbands_;
  std::unordered_map<std::string, Window> windows_;  // key: name '\0' unit
  std::uint64_t suppressed_ = 0;
  std::uint64_t summaries_ = 0;
};

}  // namespace dots::gateway
