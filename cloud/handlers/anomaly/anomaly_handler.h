#pragma once

#include <cstdint>
#include <string>

#include "cloud/handlers/anomaly/density_detector.h"
#include "cloud/handlers/anomaly/episode.h"
#include "cloud/handlers/anomaly/step_detector.h"
#include "cloud/pipeline/handler.h"
#include "cloud/pipeline/handler_params.h"
#include "cloud/pipeline/sensor_map.h"

namespace dots::cloud {

// Online anomaly detection per sensor in constant memory (sizeof(SensorState), 672 bytes), with
// no look-ahead and no range known in advance. A detector (`method`) scores each reading; a
// score of `sensitivity` or more is anomalous; episodes turn the verdicts into alerts like
// `threshold`'s: one "raised" alert when an episode starts, a "cleared" one after `clear` normal
// readings in a row, and no new raise within `refractory` readings of the last unless its score
// is `escalate` times the one that raised it (0: never). `stuck`
// identical readings in a row from a sensor that was moving raise one too (0: off). Values that
// are not finite are passed over (counted as suppressed).
// - method=density (default; density_detector.h): memory, mix, short, long, learn, jump,
//   context, gate, gate_alpha, daily, wander; with warmup, alpha and clip for its step
//   statistics. Sensitivity 3.
// - method=ewma (step_detector.h): warmup, alpha, clip. Sensitivity 6.
// The defaults were chosen once for the whole NAB corpus (bench/README.md).
// Spec: anomaly[:method=density|ewma,sensors=GLOB,sensitivity=Z,refractory=N,clear=N,stuck=N,...]
class AnomalyHandler final : public Handler {
 public:
  static Result<std::unique_ptr<Handler>> create(HandlerParams& params);
  std::string_view kind() const override { return "anomaly"; }
  Result<void> process(std::vector<Reading>& readings, HandlerContext& ctx) override;
  void commit() override { sensors_.commit(); }
  void abort() override { sensors_.abort(); }

  // What the handler keeps per sensor: the whole of it, constant in size.
  struct SensorState {
    DensityState detector;  // method=ewma uses only its step part
    EpisodeState episode;
    double last = 0;
    std::uint32_t same_run = 0;
    bool moved = false;  // the sensor's value has changed since it was first seen
    bool stuck_reported = false;
  };

 private:
  enum class Method { kEwma, kDensity };
  double score(SensorState& s, double value, std::int64_t time_ms) const;

  Method method_ = Method::kDensity;
  std::string sensors_glob_ = "*";
  double sensitivity_ = 3;  // method=ewma: 6
  DensityParams density_;
  EpisodeParams episode_;
  std::uint32_t stuck_ = 0;
  StagedSensorStates<SensorState> sensors_;
};

}  // namespace dots::cloud
