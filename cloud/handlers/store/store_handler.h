#pragma once

#include <string>

#include "cloud/pipeline/handler.h"
#include "cloud/pipeline/handler_params.h"

namespace dots::cloud {

// Stores the readings (those whose sensor matches `sensors`) in the ingester's SQLite store,
// in the batch group's transaction; queryable by endpoint, sensor and time range.
// Spec: store[:sensors=GLOB]
class StoreHandler final : public Handler {
 public:
  static Result<std::unique_ptr<Handler>> create(HandlerParams& params);
  std::string_view kind() const override { return "store"; }
  Result<void> process(std::vector<Reading>& readings, HandlerContext& ctx) override;

 private:
  std::string sensors_ = "*";
  std::vector<Reading> selected_;
};

}  // namespace dots::cloud
