#pragma once

#include <map>
#include <optional>
#include <string>

#include "cloud/pipeline/handler.h"
#include "cloud/pipeline/handler_params.h"
#include "cloud/pipeline/sensor_map.h"

namespace dots::cloud {

// Reduces the stream: keeps readings whose sensor matches `sensors` and not `drop`, whose value
// lies in [min, max], that moved at least `deadband` since the last one kept, and at most
// `rate` per second per sensor (by reading time). Non-numeric readings skip the value tests.
// Spec: filter:sensors=GLOB,drop=GLOB,min=X,max=X,deadband=X,rate=N
class FilterHandler final : public Handler {
 public:
  static Result<std::unique_ptr<Handler>> create(HandlerParams& params);
  std::string_view kind() const override { return "filter"; }
  Result<void> process(std::vector<Reading>& readings, HandlerContext& ctx) override;
  void commit() override { last_.commit(); }
  void abort() override { last_.abort(); }

 private:
  struct Last {
    bool seen = false;  // a reading of this sensor was kept before
    double value = 0;
    std::int64_t time_ms = 0;
  };
  std::string sensors_ = "*";
  std::optional<std::string> drop_;
  std::optional<double> min_;
  std::optional<double> max_;
  std::optional<double> deadband_;
  std::optional<double> rate_;
  StagedSensorStates<Last> last_;  // the last reading kept, per sensor
};

}  // namespace dots::cloud
