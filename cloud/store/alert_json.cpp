#include "cloud/store/channel_sink.h"
#include "shared/json/json_writer.h"

namespace dots::cloud {

void writeAlert(json::Writer& w, std::int64_t id, std::string_view account,
                std::string_view channel, const Alert& a) {
  w.beginObject()
      .key("id")
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
      .string(a.message)
      .endObject();
}

std::string alertJson(std::int64_t id, std::string_view account, std::string_view channel,
                      const Alert& alert) {
  json::Writer w;
  writeAlert(w, id, account, channel, alert);
  return w.take();
}

}  // namespace dots::cloud
