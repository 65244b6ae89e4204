#include "cloud/store/row_json.h"

namespace dots::cloud {

namespace {

// The members of an alert's object, which the caller opens and closes.
void writeAlertMembers(json::Writer& w, std::int64_t id, std::string_view account,
                       std::string_view channel, const Alert& a) {
  w.key("id")
      .integer(id)
      .key("account")
      .string(account)
      .key("channel")
      .string(channel)
      .key("gateway")
      .string(a.gateway)
      .key("sensor")
      .string(a.sensor)
      .key("kind")
      .string(a.kind)
      .key("state")
      .string(a.state)
      .key("value")
      .number(a.value)
      .key("time_ms")
      .integer(a.time_ms)
      .key("historical")
      .boolean(a.historical)
      .key("message")
      .string(a.message);
}

}  // namespace

void writeAlert(json::Writer& w, std::int64_t id, std::string_view account,
                std::string_view channel, const Alert& alert) {
  w.beginObject();
  writeAlertMembers(w, id, account, channel, alert);
  w.endObject();
}

void writeStoredAlert(json::Writer& w, const StoredAlert& a) {
  w.beginObject();
  writeAlertMembers(w, a.id, a.account, a.channel, a.alert);
  w.key("acknowledged");
  if (a.ack) {
    w.beginObject().key("by").string(a.ack->by).key("at_ms").integer(a.ack->at_ms).endObject();
  } else {
    w.null();
  }
  w.endObject();
}

std::string alertJson(std::int64_t id, std::string_view account, std::string_view channel,
                      const Alert& alert) {
  json::Writer w;
  writeAlert(w, id, account, channel, alert);
  return w.take();
}

void writeReadingMembers(json::Writer& w, std::string_view gateway, const Reading& r) {
  w.key("gateway").string(gateway).key("sensor").string(r.name).key("unit").string(r.unit);
  w.key("time_ms").integer(r.time_ms).key("value");
  switch (r.kind) {
    case ValueKind::kNumber: w.number(r.value); return;
    case ValueKind::kBoolean: w.boolean(r.value != 0); return;
    case ValueKind::kText:
    case ValueKind::kData: w.string(r.text); return;
  }
  w.null();
}

void writeAggregate(json::Writer& w, const StoredAggregate& a, std::string_view channel) {
  w.beginObject()
      .key("channel")
      .string(channel)
      .key("gateway")
      .string(a.gateway)
      .key("sensor")
      .string(a.sensor)
      .key("unit")
      .string(a.unit)
      .key("window_start_ms")
      .integer(a.window_start_ms)
      .key("window_ms")
      .integer(a.window_ms)
      .key("count")
      .integer(a.count)
      .key("min")
      .number(a.min)
      .key("max")
      .number(a.max)
      .key("mean")
      .number(a.mean)
      .key("stddev")
      .number(a.stddev)
      .endObject();
}

}  // namespace dots::cloud
