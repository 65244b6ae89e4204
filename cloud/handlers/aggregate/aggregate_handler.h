#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cloud/pipeline/handler.h"
#include "cloud/pipeline/handler_params.h"

namespace dots::cloud {

// Tumbling windows per sensor (aligned to the epoch): count, min, max, mean and standard
// deviation, kept as mergeable rows (count, sum, sum of squares, min, max) so that late and
// out-of-order readings update the window they belong to, whenever they arrive.
// Spec: aggregate[:window_s=N,sensors=GLOB]
class AggregateHandler final : public Handler {
 public:
  static Result<std::unique_ptr<Handler>> create(HandlerParams& params);
  std::string_view kind() const override { return "aggregate"; }
  Result<void> process(std::vector<Reading>& readings, HandlerContext& ctx) override;

 private:
  std::string sensors_ = "*";
  std::int64_t window_ms_ = 60000;
  // One batch's deltas by (sensor, unit, window start); the views point into its readings.
  struct Key {
    std::string_view sensor;
    std::string_view unit;
    std::int64_t start;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return (std::hash<std::string_view>()(k.sensor) * 31 +
              std::hash<std::string_view>()(k.unit)) ^
             std::hash<std::int64_t>()(k.start);
    }
  };
  std::unordered_map<Key, AggregateDelta, KeyHash> deltas_;
  std::vector<AggregateDelta> batch_;
};

}  // namespace dots::cloud
