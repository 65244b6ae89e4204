#include "cloud/handlers/filter/filter_handler.h"

#include <cmath>

#include "shared/text/glob.h"

namespace dots::cloud {

Result<std::unique_ptr<Handler>> FilterHandler::create(HandlerParams& params) {
  auto h = std::make_unique<FilterHandler>();
  auto sensors = params.text("sensors", "*");
  if (!sensors) return std::unexpected(sensors.error());
  h->sensors_ = *sensors;
  if (params.has("drop")) {
    auto drop = params.text("drop", std::nullopt);
    if (!drop) return std::unexpected(drop.error());
    h->drop_ = *drop;
  }
  for (auto [key, slot] : {std::pair{"min", &h->min_}, std::pair{"max", &h->max_},
                           std::pair{"deadband", &h->deadband_}, std::pair{"rate", &h->rate_}}) {
    if (!params.has(key)) continue;
    auto v = params.number(key, std::nullopt);
    if (!v) return std::unexpected(v.error());
    *slot = *v;
  }
  if (h->rate_ && *h->rate_ <= 0) return fail("bad-handler", "filter: rate must be above 0");
  if (h->deadband_ && *h->deadband_ < 0)
    return fail("bad-handler", "filter: deadband must be 0 or more");
  if (h->min_ && h->max_ && *h->min_ > *h->max_)
    return fail("bad-handler", "filter: min is above max");
  if (auto r = params.rejectUnknown(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Handler>(std::move(h));
}

Result<void> FilterHandler::process(std::vector<Reading>& readings, HandlerContext& ctx) {
  counters_.in.fetch_add(readings.size());
  std::size_t kept = 0;
  auto& sensors = last_.of(ctx.gateway);
  for (Reading& r : readings) {
    bool keep = globMatch(sensors_, r.name) && !(drop_ && globMatch(*drop_, r.name));
    bool numeric = r.kind == ValueKind::kNumber;
    if (keep && numeric) {
      keep = (!min_ || r.value >= *min_) && (!max_ || r.value <= *max_);
    }
    if (keep && (deadband_ || rate_)) {
      Last& last = last_.slot(sensors, r.name);
      if (last.seen) {
        if (deadband_ && numeric && std::fabs(r.value - last.value) < *deadband_) keep = false;
        if (rate_ && static_cast<double>(r.time_ms - last.time_ms) < 1000.0 / *rate_) keep = false;
      }
      if (keep) last = Last{true, r.value, r.time_ms};
    }
    if (!keep) continue;
    // Never moved onto itself: a self-moved string may come out empty.
    if (&readings[kept] != &r) readings[kept] = std::move(r);
    ++kept;
  }
  counters_.suppressed.fetch_add(readings.size() - kept);
  readings.resize(kept);
  counters_.out.fetch_add(kept);
  return {};
}

}  // namespace dots::cloud
