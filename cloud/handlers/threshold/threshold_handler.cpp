#include "cloud/handlers/threshold/threshold_handler.h"

#include "shared/text/glob.h"
#include "shared/text/text.h"

namespace dots::cloud {

Result<std::unique_ptr<Handler>> ThresholdHandler::create(HandlerParams& params) {
  auto h = std::make_unique<ThresholdHandler>();
  auto sensors = params.text("sensors", "*");
  if (!sensors) return std::unexpected(sensors.error());
  h->sensors_ = *sensors;
  for (auto [key, slot] : {std::pair{"above", &h->above_}, std::pair{"below", &h->below_}}) {
    if (!params.has(key)) continue;
    auto v = params.number(key, std::nullopt);
    if (!v) return std::unexpected(v.error());
    *slot = *v;
  }
  auto hysteresis = params.number("hysteresis", 0.0);
  if (!hysteresis) return std::unexpected(hysteresis.error());
  if (*hysteresis < 0) return fail("bad-handler", "threshold: hysteresis must be 0 or more");
  h->hysteresis_ = *hysteresis;
  auto for_ms = params.integer("for_ms", 0, 0, 86400000);
  if (!for_ms) return std::unexpected(for_ms.error());
  h->for_ms_ = *for_ms;
  if (auto r = params.rejectUnknown(); !r) return std::unexpected(r.error());
  if (!h->above_ && !h->below_) return fail("bad-handler", "threshold: give above, below or both");
  return std::unique_ptr<Handler>(std::move(h));
}

Result<void> ThresholdHandler::raise(const Reading& r, bool raised, HandlerContext& ctx) {
  std::string limits;
  if (above_) limits += "above " + formatDouble(*above_);
  if (below_)
    limits += std::string(limits.empty() ? "" : " or ") + "below " + formatDouble(*below_);
  return raiseAlert(
      "threshold", r, raised,
      r.name + " = " + formatDouble(r.value) + (raised ? " is " : " is back from ") + limits, ctx);
}

Result<void> ThresholdHandler::process(std::vector<Reading>& readings, HandlerContext& ctx) {
  counters_.in.fetch_add(readings.size());
  auto& sensors = state_.of(ctx.gateway);
  for (const Reading& r : readings) {
    if (r.kind != ValueKind::kNumber || !globMatch(sensors_, r.name)) continue;
    Sensor& s = state_.slot(sensors, r.name);
    bool violating = (above_ && r.value > *above_) || (below_ && r.value < *below_);
    bool clear = (!above_ || r.value <= *above_ - hysteresis_) &&
                 (!below_ || r.value >= *below_ + hysteresis_);
    switch (s.state) {
      case State::kNormal:
        if (!violating) break;
        s.state = State::kPending;
        s.since_ms = r.time_ms;
        [[fallthrough]];
      case State::kPending:
        if (!violating) {
          s.state = State::kNormal;
        } else if (r.time_ms - s.since_ms >= for_ms_) {
          s.state = State::kRaised;
          if (auto a = raise(r, true, ctx); !a) return a;
        }
        break;
      case State::kRaised:
        if (clear) {
          s.state = State::kNormal;
          if (auto a = raise(r, false, ctx); !a) return a;
        }
        break;
    }
  }
  counters_.out.fetch_add(readings.size());
  return {};
}

}  // namespace dots::cloud
