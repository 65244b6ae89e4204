#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cloud/store/channel_sink.h"
#include "cloud/store/reading_queries.h"
#include "shared/json/json_writer.h"
#include "shared/model/reading.h"

namespace dots::cloud {

// The JSON an alert is delivered and served as (one writer for the outbox and the API).
void writeAlert(json::Writer& w, std::int64_t id, std::string_view account,
                std::string_view channel, const Alert& alert);
std::string alertJson(std::int64_t id, std::string_view account, std::string_view channel,
                      const Alert& alert);
// A stored alert as the API and dotsctl serve it: the same members and "acknowledged" (null, or
// {"by", "at_ms"}).
void writeStoredAlert(json::Writer& w, const StoredAlert& alert);

// A stored reading's members inside an object the caller opened: gateway, sensor, unit,
// time_ms and value (a number, boolean or string by the reading's kind), for the API and dotsctl.
void writeReadingMembers(json::Writer& w, std::string_view gateway, const Reading& reading);

// An aggregate window as the API and dotsctl show it; `channel` names its channel.
void writeAggregate(json::Writer& w, const StoredAggregate& aggregate, std::string_view channel);

}  // namespace dots::cloud
