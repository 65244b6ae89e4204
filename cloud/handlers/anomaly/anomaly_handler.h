#pragma once

#include <string>
#include <unordered_map>

#include "cloud/pipeline/handler.h"
#include "cloud/pipeline/handler_params.h"
#include "cloud/pipeline/sensor_map.h"

namespace dots::cloud {

// Online anomaly detection per sensor in constant memory: an exponentially weighted mean and
// variance of the step between consecutive readings scores each reading (z = |step - mean| /
// stddev). A score above `sensitivity` after `warmup` readings raises an alert (spikes and
// level shifts); `stuck` identical readings in a row from a sensor that was moving raise one
// too. Outliers do not feed the statistics, so one spike does not blind the detector.
// Spec: anomaly[:sensors=GLOB,sensitivity=Z,warmup=N,alpha=A,stuck=N]
class AnomalyHandler final : public Handler {
 public:
  static Result<std::unique_ptr<Handler>> create(HandlerParams& params);
  std::string_view kind() const override { return "anomaly"; }
  Result<void> process(std::vector<Reading>& readings, HandlerContext& ctx) override;
  void commit() override { detectors_.commit(); }
  void abort() override { detectors_.abort(); }

  // The per-sensor detector; exposed for tests.
  struct Detector {
    std::uint64_t count = 0;
    double last = 0;
    double mean = 0;      // of steps
    double variance = 0;  // of steps
    std::uint64_t same_run = 0;
    bool stuck_reported = false;
  };
  enum class Finding { kNone, kJump, kStuck };
  // Scores `value` and updates the detector; `score` receives the z-score (0 in warm-up).
  Finding observe(Detector& d, double value, double& score) const;

 private:
  std::string sensors_ = "*";
  double sensitivity_ = 8;
  std::uint64_t warmup_ = 20;
  double alpha_ = 0.05;
  std::uint64_t stuck_ = 0;  // 0: off
  StagedSensorStates<Detector> detectors_;
};

}  // namespace dots::cloud
