#include "cloud/handlers/anomaly/anomaly_handler.h"

#include <cmath>

#include "shared/text/glob.h"
#include "shared/text/text.h"

namespace dots::cloud {

Result<std::unique_ptr<Handler>> AnomalyHandler::create(HandlerParams& params) {
  auto h = std::make_unique<AnomalyHandler>();
  auto method = params.text("method", "density");
  if (!method) return std::unexpected(method.error());
  if (*method != "ewma" && *method != "density")
    return fail("bad-handler", "anomaly: method must be density or ewma");
  h->method_ = *method == "ewma" ? Method::kEwma : Method::kDensity;
  auto sensors = params.text("sensors", "*");
  if (!sensors) return std::unexpected(sensors.error());
  h->sensors_glob_ = *sensors;
  h->sensitivity_ = h->method_ == Method::kEwma ? 6 : 3;
  auto sensitivity = params.number("sensitivity", h->sensitivity_);
  if (!sensitivity) return std::unexpected(sensitivity.error());
  if (*sensitivity <= 0) return fail("bad-handler", "anomaly: sensitivity must be above 0");
  h->sensitivity_ = *sensitivity;
  auto warmup = params.integer("warmup", h->density_.step.warmup, 2, 1000000);
  if (!warmup) return std::unexpected(warmup.error());
  h->density_.step.warmup = static_cast<std::uint32_t>(*warmup);
  auto alpha = params.number("alpha", h->density_.step.alpha);
  if (!alpha) return std::unexpected(alpha.error());
  if (*alpha <= 0 || *alpha >= 1) return fail("bad-handler", "anomaly: alpha must be in (0, 1)");
  h->density_.step.alpha = *alpha;
  auto clip = params.number("clip", h->density_.step.clip);
  if (!clip) return std::unexpected(clip.error());
  if (*clip <= 0) return fail("bad-handler", "anomaly: clip must be above 0");
  h->density_.step.clip = *clip;
  struct Knob {
    const char* key;
    double* slot;
    double min;
    double max;
  };
  for (Knob k : {Knob{"memory", &h->density_.memory, 2, 1e9}, Knob{"mix", &h->density_.mix, 0, 1},
                 Knob{"short", &h->density_.short_alpha, 1e-6, 1},
                 Knob{"long", &h->density_.long_alpha, 1e-9, 1},
                 Knob{"jump", &h->density_.jump, 0, 1e9}, Knob{"gate", &h->density_.gate, 0, 1e9},
                 Knob{"gate_alpha", &h->density_.gate_alpha, 1e-9, 1},
                 Knob{"wander", &h->density_.wander, 0, 1e12},
                 Knob{"context", &h->density_.context, 0, 1e9}}) {
    auto v = params.number(k.key, *k.slot);
    if (!v) return std::unexpected(v.error());
    if (*v < k.min || *v > k.max)
      return fail("bad-handler", std::string("anomaly: ") + k.key + " must be in [" +
                                     formatDouble(k.min) + ", " + formatDouble(k.max) + "]");
    *k.slot = *v;
  }
  h->density_.equals = h->sensitivity_;
  auto daily = params.flag("daily", h->density_.daily);
  if (!daily) return std::unexpected(daily.error());
  h->density_.daily = *daily;
  auto learn = params.integer("learn", h->density_.warmup, 2, 100000000);
  if (!learn) return std::unexpected(learn.error());
  h->density_.warmup = static_cast<std::uint32_t>(*learn);
  auto refractory = params.integer("refractory", h->episode_.refractory, 0, 100000000);
  if (!refractory) return std::unexpected(refractory.error());
  h->episode_.refractory = static_cast<std::uint32_t>(*refractory);
  auto clear = params.integer("clear", h->episode_.clear_after, 1, 100000000);
  if (!clear) return std::unexpected(clear.error());
  h->episode_.clear_after = static_cast<std::uint32_t>(*clear);
  auto escalate = params.number("escalate", h->episode_.escalate);
  if (!escalate) return std::unexpected(escalate.error());
  if (*escalate != 0 && (*escalate < 1 || *escalate > 1e6))
    return fail("bad-handler", "anomaly: escalate must be 0 or in [1, 1e6]");
  h->episode_.escalate = static_cast<float>(*escalate);
  auto stuck = params.integer("stuck", h->stuck_, 0, 1000000);
  if (!stuck) return std::unexpected(stuck.error());
  h->stuck_ = static_cast<std::uint32_t>(*stuck);
  if (auto r = params.rejectUnknown(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Handler>(std::move(h));
}

double AnomalyHandler::score(SensorState& s, double value, std::int64_t time_ms) const {
  return method_ == Method::kEwma ? scoreStep(density_.step, s.detector.step, value)
                                  : scoreDensity(density_, s.detector, value, time_ms);
}

Result<void> AnomalyHandler::process(std::vector<Reading>& readings, HandlerContext& ctx) {
  counters_.in.fetch_add(readings.size());
  auto& sensors = sensors_.of(ctx.gateway);
  for (const Reading& r : readings) {
    if (r.kind != ValueKind::kNumber || !globMatch(sensors_glob_, r.name)) continue;
    if (!std::isfinite(r.value)) {
      counters_.suppressed.fetch_add(1);  // would poison the statistics for good
      continue;
    }
    SensorState& s = sensors_.slot(sensors, r.name);
    double previous = s.last;
    bool first = s.detector.step.count == 0;
    double score = this->score(s, r.value, r.time_ms);
    s.last = r.value;
    bool same = !first && r.value == previous;
    if (!first && !same) s.moved = true;
    s.same_run = same ? s.same_run + 1 : 0;
    if (!same) s.stuck_reported = false;
    bool stuck = stuck_ > 0 && s.moved && s.same_run >= stuck_ && !s.stuck_reported;
    if (stuck) s.stuck_reported = true;
    bool anomalous = score >= sensitivity_ || stuck;
    switch (stepEpisode(episode_, s.episode, anomalous,
                        static_cast<float>(stuck ? sensitivity_ : score))) {
      case Transition::kNone: break;
      case Transition::kRaise: {
        std::string message = stuck ? r.name + " stuck at " + formatDouble(r.value) + " for " +
                                          std::to_string(s.same_run) + " readings"
                                    : r.name + " jumped from " + formatDouble(previous) + " to " +
                                          formatDouble(r.value) + " (score " +
                                          formatDouble(std::round(score * 10) / 10) + ")";
        if (auto a = raiseAlert("anomaly", r, true, std::move(message), ctx); !a) return a;
        break;
      }
      case Transition::kClear:
        if (auto a = raiseAlert("anomaly", r, false,
                                r.name + " = " + formatDouble(r.value) + " is normal again", ctx);
            !a) {
          return a;
        }
        break;
    }
  }
  counters_.out.fetch_add(readings.size());
  return {};
}

}  // namespace dots::cloud
