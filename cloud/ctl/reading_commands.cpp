// dotsctl's queries of stored readings. The store is opened in one place, withStore().
#include "cloud/ctl/commands.h"
#include "cloud/ctl/databases.h"
#include "cloud/ctl/exit_codes.h"
#include "cloud/store/row_json.h"
#include "shared/json/json_writer.h"
#include "shared/text/text.h"

namespace dots::ctl {

namespace {

// The value as CSV and the plain listing print it.
std::string valueText(const Reading& r) {
  switch (r.kind) {
    case ValueKind::kNumber: return formatDouble(r.value);
    case ValueKind::kBoolean: return r.value != 0 ? "true" : "false";
    case ValueKind::kText:
    case ValueKind::kData: return csvField(r.text);
  }
  return "";
}

// Resolves the channel name to its id; an unknown channel is an error.
Result<cloud::ReadingFilter> filterOf(const Context& ctx, const ReadingQuery& q) {
  cloud::ReadingFilter f;
  f.gateway = q.gateway;
  f.sensor = q.sensor;
  if (!q.channel) return f;
  std::size_t slash = q.channel->find('/');
  if (slash == std::string::npos) return fail("bad-name", "--channel is ACCOUNT/NAME");
  auto reg = openRegistry(ctx);
  if (!reg) return std::unexpected(reg.error());
  auto channels = (*reg)->channels();
  if (!channels) return std::unexpected(channels.error());
  for (const auto& c : *channels) {
    if (c.account + "/" + c.name == *q.channel) {
      f.channel_id = c.id;
      return f;
    }
  }
  return fail("no-such-channel", "no channel " + *q.channel);
}

// Resolves the query, opens the store and runs `command` on both.
int withFilteredStore(
    const Context& ctx, const ReadingQuery& q,
    const std::function<int(cloud::ReadingQueries&, const cloud::ReadingFilter&)>& command) {
  auto filter = filterOf(ctx, q);
  if (!filter) return report(ctx, filter.error());
  return withStore(ctx, [&](cloud::ReadingQueries& store) { return command(store, *filter); });
}

}  // namespace

int readingsCount(const Context& ctx, const ReadingQuery& q, bool json) {
  return withFilteredStore(ctx, q, [&](cloud::ReadingQueries& store, const auto& filter) {
    auto counts = store.count(filter);
    if (!counts) return report(ctx, counts.error());
    if (json) {
      // Spaced, as DESIGN §6 documents it and scripts grep for '"count": N'.
      json::Writer w(json::Writer::Spacing::kSpaced);
      w.beginObject().key("count").integer(counts->count).key("distinct").integer(counts->distinct);
      ctx.out << w.endObject().str() << "\n";
    } else {
      ctx.out << counts->count << " readings (" << counts->distinct
              << " distinct gateway/sensor/time)\n";
    }
    return kOk;
  });
}

int readingsStats(const Context& ctx, const ReadingQuery& q, bool json) {
  return withFilteredStore(ctx, q, [&](cloud::ReadingQueries& store, const auto& filter) {
    auto stats = store.stats(filter);
    if (!stats) return report(ctx, stats.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& s : *stats) {
        w.beginObject()
            .key("gateway")
            .string(s.gateway)
            .key("sensor")
            .string(s.sensor)
            .key("unit")
            .string(s.unit)
            .key("count")
            .integer(s.count)
            .key("first_ms")
            .integer(s.first_ms)
            .key("last_ms")
            .integer(s.last_ms)
            .endObject();
      }
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    ctx.out << "gateway\tsensor\tunit\tcount\tfirst_ms\tlast_ms\n";
    for (const auto& s : *stats) {
      ctx.out << s.gateway << "\t" << s.sensor << "\t" << s.unit << "\t" << s.count << "\t"
              << s.first_ms << "\t" << s.last_ms << "\n";
    }
    return kOk;
  });
}

int readingsRecent(const Context& ctx, const ReadingQuery& q, std::size_t limit, bool json) {
  return withFilteredStore(ctx, q, [&](cloud::ReadingQueries& store, const auto& filter) {
    auto rows = store.recent(filter, limit);
    if (!rows) return report(ctx, rows.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& r : *rows) {
        w.beginObject();
        cloud::writeReadingMembers(w, r.gateway, r.reading);
        w.endObject();
      }
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    for (const auto& r : *rows) {
      ctx.out << r.gateway << "\t" << r.reading.name << "\t" << r.reading.time_ms << "\t"
              << valueText(r.reading) << (r.reading.unit.empty() ? "" : " ") << r.reading.unit
              << "\n";
    }
    return kOk;
  });
}

int readingsExportCsv(const Context& ctx, const ReadingQuery& q) {
  return withFilteredStore(ctx, q, [&](cloud::ReadingQueries& store, const auto& filter) {
    ctx.out << "gateway,sensor,time_ms,value\n";
    auto r = store.forEach(filter, [&](const cloud::StoredReading& row) {
      ctx.out << csvField(row.gateway) << "," << csvField(row.reading.name) << ","
              << row.reading.time_ms << "," << valueText(row.reading) << "\n";
    });
    if (!r) return report(ctx, r.error());
    return kOk;
  });
}

int alertsList(const Context& ctx, const ReadingQuery& q, std::size_t limit, bool json) {
  return withFilteredStore(ctx, q, [&](cloud::ReadingQueries& store, const auto& filter) {
    auto rows = store.alerts(filter, limit);
    if (!rows) return report(ctx, rows.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& a : *rows) cloud::writeStoredAlert(w, a);
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    for (const auto& a : *rows) {
      ctx.out << a.id << "\t" << a.account << "/" << a.channel << "\t" << a.alert.gateway << "\t"
              << a.alert.sensor << "\t" << a.alert.kind << "\t" << a.alert.state << "\t"
              << a.alert.time_ms << "\t" << a.alert.message << "\n";
    }
    return kOk;
  });
}

int aggregatesList(const Context& ctx, const ReadingQuery& q, std::size_t limit, bool json) {
  auto reg = openRegistry(ctx);
  if (!reg) return report(ctx, reg.error());
  auto channels = (*reg)->channels();
  if (!channels) return report(ctx, channels.error());
  auto nameOf = [&](std::int64_t id) {
    for (const auto& c : *channels) {
      if (c.id == id) return c.account + "/" + c.name;
    }
    return std::to_string(id);
  };
  return withFilteredStore(ctx, q, [&](cloud::ReadingQueries& store, const auto& filter) {
    auto rows = store.aggregates(filter, limit);
    if (!rows) return report(ctx, rows.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& a : *rows) cloud::writeAggregate(w, a, nameOf(a.channel_id));
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    ctx.out << "channel\tgateway\tsensor\twindow_start_ms\twindow_ms\tcount\tmin\tmax\tmean\n";
    for (const auto& a : *rows) {
      ctx.out << nameOf(a.channel_id) << "\t" << a.gateway << "\t" << a.sensor << "\t"
              << a.window_start_ms << "\t" << a.window_ms << "\t" << a.count << "\t"
              << formatDouble(a.min) << "\t" << formatDouble(a.max) << "\t" << formatDouble(a.mean)
              << "\n";
    }
    return kOk;
  });
}

int gatewaysList(const Context& ctx, bool json) {
  auto reg = openRegistry(ctx);
  if (!reg) return report(ctx, reg.error());
  auto endpoints = (*reg)->endpoints();
  if (!endpoints) return report(ctx, endpoints.error());
  return withStore(ctx, [&](cloud::ReadingQueries& store) {
    auto stats = store.stats({});
    if (!stats) return report(ctx, stats.error());
    json::Writer w;
    w.beginArray();
    if (!json) ctx.out << "gateway\taccount\tenabled\tsensors\treadings\tlast_ms\n";
    for (const auto& ep : *endpoints) {
      std::uint64_t sensors = 0;
      std::uint64_t readings = 0;
      std::int64_t last_ms = 0;
      for (const auto& s : *stats) {
        if (s.gateway != ep.gateway) continue;
        ++sensors;
        readings += s.count;
        last_ms = std::max(last_ms, s.last_ms);
      }
      if (json) {
        w.beginObject()
            .key("gateway")
            .string(ep.gateway)
            .key("account")
            .string(ep.account)
            .key("enabled")
            .boolean(ep.enabled)
            .key("sensors")
            .integer(sensors)
            .key("readings")
            .integer(readings)
            .key("last_ms")
            .integer(last_ms)
            .endObject();
      } else {
        ctx.out << ep.gateway << "\t" << ep.account << "\t" << (ep.enabled ? "yes" : "no") << "\t"
                << sensors << "\t" << readings << "\t" << last_ms << "\n";
      }
    }
    if (json) ctx.out << w.endArray().str() << "\n";
    return kOk;
  });
}

}  // namespace dots::ctl
