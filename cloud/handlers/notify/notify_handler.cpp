#include "cloud/handlers/notify/notify_handler.h"

#include <algorithm>

#include "cloud/store/row_json.h"
#include "shared/net/destination_policy.h"
#include "shared/text/text.h"
#include "shared/time/clock.h"
#include "shared/topics/topics.h"

namespace dots::cloud {

Result<std::unique_ptr<Handler>> NotifyHandler::create(HandlerParams& params) {
  auto h = std::make_unique<NotifyHandler>();
  auto mqtt = params.flag("mqtt", true);
  if (!mqtt) return std::unexpected(mqtt.error());
  h->mqtt_ = *mqtt;
  if (params.has("webhook")) {
    auto url = params.text("webhook", std::nullopt);
    if (!url) return std::unexpected(url.error());
    if (auto parsed = net::parseHttpUrl(*url); !parsed) {
      return fail("bad-handler",
                  "notify: webhook \"" + *url + "\" refused: " + parsed.error().detail);
    }
    h->webhook_ = *url;
  }
  // Read by the notifier (the webhook directory); validated here so a bad key is refused.
  auto ca = params.text("ca", std::string());
  if (!ca) return std::unexpected(ca.error());
  if (!ca->empty() && h->webhook_.empty()) {
    return fail("bad-handler", "notify: ca= is the CA file of a webhook; no webhook given");
  }
  if (!h->mqtt_ && h->webhook_.empty()) {
    return fail("bad-handler", "notify: with mqtt=false a webhook is needed");
  }
  auto rate = params.number("rate_per_min", 6.0);
  if (!rate) return std::unexpected(rate.error());
  if (*rate <= 0) return fail("bad-handler", "notify: rate_per_min must be above 0");
  h->rate_per_min_ = *rate;
  auto historical = params.flag("historical", false);
  if (!historical) return std::unexpected(historical.error());
  h->historical_ = *historical;
  if (auto r = params.rejectUnknown(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Handler>(std::move(h));
}

Result<void> NotifyHandler::process(std::vector<Reading>& readings, HandlerContext& ctx) {
  counters_.in.fetch_add(readings.size());
  counters_.out.fetch_add(readings.size());
  std::int64_t now = wallMillis();
  for (const auto& [id, alert] : ctx.alerts) {
    if (alert.historical && !historical_) {
      counters_.suppressed.fetch_add(1);
      continue;
    }
    Bucket& b = buckets_.slot(buckets_.of(alert.gateway), alert.sensor);
    if (!b.seen) b = Bucket{true, rate_per_min_, now};
    b.tokens = std::min(rate_per_min_,
                        b.tokens + rate_per_min_ * static_cast<double>(now - b.at_ms) / 60000.0);
    b.at_ms = now;
    if (b.tokens < 1) {
      counters_.suppressed.fetch_add(1);
      continue;
    }
    b.tokens -= 1;
    std::string payload = alertJson(id, ctx.account, ctx.channel, alert);
    if (mqtt_) {
      std::string topic = topics::channelAlerts(ctx.account, ctx.channel);
      if (auto r = ctx.sink.enqueueDelivery(id, "mqtt", topic, payload); !r) {
        counters_.errors.fetch_add(1);
        return r;
      }
    }
    if (!webhook_.empty()) {
      if (auto r = ctx.sink.enqueueDelivery(id, "webhook", webhook_, payload); !r) {
        counters_.errors.fetch_add(1);
        return r;
      }
    }
    counters_.alerts.fetch_add(1);
  }
  return {};
}

}  // namespace dots::cloud
