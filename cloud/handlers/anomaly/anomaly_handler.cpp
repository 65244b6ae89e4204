#include "cloud/handlers/anomaly/anomaly_handler.h"

#include <cmath>

#include "shared/text/glob.h"
#include "shared/text/text.h"

namespace dots::cloud {

Result<std::unique_ptr<Handler>> AnomalyHandler::create(HandlerParams& params) {
  auto h = std::make_unique<AnomalyHandler>();
  auto sensors = params.text("sensors", "*");
  if (!sensors) return std::unexpected(sensors.error());
  h->sensors_ = *sensors;
  auto sensitivity = params.number("sensitivity", 8.0);
  if (!sensitivity) return std::unexpected(sensitivity.error());
  if (*sensitivity <= 0) return fail("bad-handler", "anomaly: sensitivity must be above 0");
  h->sensitivity_ = *sensitivity;
  auto warmup = params.integer("warmup", 20, 2, 1000000);
  if (!warmup) return std::unexpected(warmup.error());
  h->warmup_ = static_cast<std::uint64_t>(*warmup);
  auto alpha = params.number("alpha", 0.05);
  if (!alpha) return std::unexpected(alpha.error());
  if (*alpha <= 0 || *alpha >= 1) return fail("bad-handler", "anomaly: alpha must be in (0, 1)");
  h->alpha_ = *alpha;
  auto stuck = params.integer("stuck", 0, 0, 1000000);
  if (!stuck) return std::unexpected(stuck.error());
  h->stuck_ = static_cast<std::uint64_t>(*stuck);
  if (auto r = params.rejectUnknown(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Handler>(std::move(h));
}

AnomalyHandler::Finding AnomalyHandler::observe(Detector& d, double value, double& score) const {
  score = 0;
  if (d.count++ == 0) {
    d.last = value;
    return Finding::kNone;
  }
  double step = value - d.last;
  d.last = value;
  Finding finding = Finding::kNone;

  d.same_run = step == 0 ? d.same_run + 1 : 0;
  if (d.same_run == 0) d.stuck_reported = false;
  if (stuck_ > 0 && d.same_run >= stuck_ && !d.stuck_reported && d.count > warmup_ &&
      d.variance > 0) {
    d.stuck_reported = true;
    return Finding::kStuck;
  }

  std::uint64_t steps = d.count - 1;
  if (steps <= warmup_) {
    // Warm-up: plain running mean and variance of the steps (Welford).
    double delta = step - d.mean;
    d.mean += delta / static_cast<double>(steps);
    d.variance += (delta * (step - d.mean) - d.variance) / static_cast<double>(steps);
    return Finding::kNone;
  }
  double stddev = std::sqrt(d.variance);
  // A floor on the spread keeps a perfectly regular series from scoring infinity.
  double floor = 1e-9 + 1e-6 * std::fabs(d.mean);
  score = std::fabs(step - d.mean) / std::max(stddev, floor);
  if (score > sensitivity_) {
    finding = Finding::kJump;  // not folded into the statistics
  } else {
    double delta = step - d.mean;
    d.mean += alpha_ * delta;
    d.variance = (1 - alpha_) * (d.variance + alpha_ * delta * delta);
  }
  return finding;
}

Result<void> AnomalyHandler::process(std::vector<Reading>& readings, HandlerContext& ctx) {
  counters_.in.fetch_add(readings.size());
  auto& sensors = detectors_.of(ctx.gateway);
  for (const Reading& r : readings) {
    if (r.kind != ValueKind::kNumber || !globMatch(sensors_, r.name)) continue;
    Detector& d = detectors_.slot(sensors, r.name);
    double previous = d.last;
    double score = 0;
    Finding f = observe(d, r.value, score);
    if (f == Finding::kNone) continue;
    Alert alert;
    alert.kind = "anomaly";
    alert.state = "raised";
    alert.gateway = std::string(ctx.gateway);
    alert.sensor = r.name;
    alert.value = r.value;
    alert.time_ms = r.time_ms;
    alert.historical = ctx.historical;
    alert.message = f == Finding::kJump ? r.name + " jumped from " + formatDouble(previous) +
                                              " to " + formatDouble(r.value) + " (score " +
                                              formatDouble(std::round(score * 10) / 10) + ")"
                                        : r.name + " stuck at " + formatDouble(r.value) + " for " +
                                              std::to_string(d.same_run) + " readings";
    if (auto raised = raiseAlert(std::move(alert), ctx); !raised) return raised;
  }
  counters_.out.fetch_add(readings.size());
  return {};
}

}  // namespace dots::cloud
