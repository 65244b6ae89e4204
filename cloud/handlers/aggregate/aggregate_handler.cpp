#include "cloud/handlers/aggregate/aggregate_handler.h"

#include <algorithm>
#include <vector>

#include "shared/text/glob.h"

namespace dots::cloud {

Result<std::unique_ptr<Handler>> AggregateHandler::create(HandlerParams& params) {
  auto h = std::make_unique<AggregateHandler>();
  auto sensors = params.text("sensors", "*");
  if (!sensors) return std::unexpected(sensors.error());
  h->sensors_ = *sensors;
  auto window = params.integer("window_s", 60, 1, 86400);
  if (!window) return std::unexpected(window.error());
  h->window_ms_ = *window * 1000;
  if (auto r = params.rejectUnknown(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Handler>(std::move(h));
}

Result<void> AggregateHandler::process(std::vector<Reading>& readings, HandlerContext& ctx) {
  counters_.in.fetch_add(readings.size());
  deltas_.clear();
  for (const Reading& r : readings) {
    if (r.kind != ValueKind::kNumber || !globMatch(sensors_, r.name)) continue;
    std::int64_t start = r.time_ms - ((r.time_ms % window_ms_) + window_ms_) % window_ms_;
    auto [it, fresh] = deltas_.try_emplace(Key{r.name, r.unit, start});
    AggregateDelta& d = it->second;
    if (fresh) {
      d = AggregateDelta{r.name, r.unit, start, window_ms_, 0, 0, 0, r.value, r.value};
    }
    ++d.count;
    d.sum += r.value;
    d.sum_squares += r.value * r.value;
    d.min = std::min(d.min, r.value);
    d.max = std::max(d.max, r.value);
  }
  if (deltas_.empty()) return {};
  batch_.clear();
  for (auto& [key, d] : deltas_) batch_.push_back(std::move(d));
  deltas_.clear();  // its keys view this batch's readings
  auto r = ctx.sink.mergeAggregates(ctx.channel_id, ctx.gateway, batch_);
  if (!r) {
    counters_.errors.fetch_add(1);
    return r;
  }
  counters_.out.fetch_add(batch_.size());
  return {};
}

}  // namespace dots::cloud
