#pragma once

#include <map>
#include <optional>
#include <string>

#include "cloud/pipeline/handler.h"
#include "cloud/pipeline/handler_params.h"
#include "cloud/pipeline/sensor_map.h"

namespace dots::cloud {

// Boundary check per sensor with hysteresis and a minimum duration: raises an alert when a
// value stays above `above` (or below `below`) for at least `for_ms` of reading time, and
// clears it when the value is back inside by at least `hysteresis`.
// Spec: threshold:sensors=GLOB,above=X,below=X,hysteresis=X,for_ms=N
class ThresholdHandler final : public Handler {
 public:
  static Result<std::unique_ptr<Handler>> create(HandlerParams& params);
  std::string_view kind() const override { return "threshold"; }
  Result<void> process(std::vector<Reading>& readings, HandlerContext& ctx) override;
  void commit() override { state_.commit(); }
  void abort() override { state_.abort(); }

 private:
  enum class State { kNormal, kPending, kRaised };
  struct Sensor {
    State state = State::kNormal;
    std::int64_t since_ms = 0;
  };
  Result<void> raise(const Reading& r, bool raised, HandlerContext& ctx);

  std::string sensors_ = "*";
  std::optional<double> above_;
  std::optional<double> below_;
  double hysteresis_ = 0;
  std::int64_t for_ms_ = 0;
  StagedSensorStates<Sensor> state_;
};

}  // namespace dots::cloud
