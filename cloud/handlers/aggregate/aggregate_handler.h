#pragma once

#include <map>
#include <string>
#include <tuple>

#include "pipeline/handler.h"
#include "pipeline/handler_params.h"

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
  std::map<std::tuple<std::string, std::string, std::int64_t>, AggregateDelta> deltas_;
};

}  // namespace dots::cloud
