#include "cloud/store/sqlite/sqlite_queries.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "cloud/store/sqlite/aggregate_log.h"
#include "cloud/store/sqlite/store_schema.h"
#include "shared/codec/batch_codec.h"

namespace dots::cloud::sqlite_store {

namespace {

// " AND <column> IN (ids)" for a filter scoped to an account's channels (integers, written out:
// none of them comes from a request); empty: nothing matches.
std::string channelScope(const ReadingFilter& f, const char* column) {
  if (!f.channel_ids) return "";
  if (f.channel_ids->empty()) return " AND 0";
  std::string in = std::string(" AND ") + column + " IN (";
  for (std::size_t i = 0; i < f.channel_ids->size(); ++i) {
    if (i) in += ',';
    in += std::to_string((*f.channel_ids)[i]);
  }
  return in + ")";
}

bool inScope(const ReadingFilter& f, std::int64_t channel_id) {
  return !f.channel_ids || std::ranges::find(*f.channel_ids, channel_id) != f.channel_ids->end();
}

// WHERE clause over series s and a time column for a filter; binds ?1 (gateway), ?2 (sensor),
// ?3 (from) and ?4 (to) when given.
std::string whereFor(const ReadingFilter& f, const char* time_column) {
  std::string where = " WHERE 1=1";
  if (f.gateway) where += " AND s.gateway = ?1";
  if (f.sensor) where += " AND s.name = ?2";
  if (f.from_ms) where += std::string(" AND ") + time_column + " >= ?3";
  if (f.to_ms) where += std::string(" AND ") + time_column + " < ?4";
  if (f.channel_id) where += " AND g.channel_id = ?5";
  where += channelScope(f, "g.channel_id");
  return where;
}

void bindFilter(sqlite::Statement& st, const ReadingFilter& f) {
  if (f.gateway) st.bind(1, *f.gateway);
  if (f.sensor) st.bind(2, *f.sensor);
  if (f.from_ms) st.bind(3, *f.from_ms);
  if (f.to_ms) st.bind(4, *f.to_ms);
  if (f.channel_id) st.bind(5, *f.channel_id);
}

bool matches(const ReadingFilter& f, const Reading& r) {
  return (!f.sensor || r.name == *f.sensor) && (!f.from_ms || r.time_ms >= *f.from_ms) &&
         (!f.to_ms || r.time_ms < *f.to_ms);
}

// An aggregate row before its mean and spread are worked out (so rows can still be merged).
struct Window {
  StoredAggregate a;
  double sum = 0;
  double sum_squares = 0;
};

void finishWindow(Window& w) {
  double n = static_cast<double>(w.a.count);
  w.a.mean = w.sum / n;
  w.a.stddev = std::sqrt(std::max(0.0, w.sum_squares / n - w.a.mean * w.a.mean));
}

auto windowKey(const StoredAggregate& a) {
  return std::tie(a.gateway, a.sensor, a.window_start_ms, a.channel_id, a.unit, a.window_ms);
}

}  // namespace

Result<std::unique_ptr<SqliteQueries>> SqliteQueries::open(const std::string& data_dir) {
  auto db = openStoreDatabase(data_dir, sqlite::Database::Mode::kReadOnly);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<SqliteQueries>(new SqliteQueries(std::move(*db)));
}

Result<std::vector<StoredAggregate>> SqliteQueries::aggregates(const ReadingFilter& filter,
                                                               std::size_t limit) {
  // The writer's deltas not folded yet: one read transaction sees the table and the log alike.
  // Only reads: ended (rolled back) when the query returns.
  auto read = sqlite::Transaction::begin(db_);
  if (!read) return std::unexpected(read.error());
  std::vector<LoggedDelta> pending;
  {
    auto log = db_.prepare("SELECT deltas FROM aggregate_log ORDER BY id");
    if (!log) return std::unexpected(log.error());
    Result<void> corrupt;
    auto r = log->forEachRow([&](const sqlite::Statement& row) {
      if (corrupt) corrupt = appendLogRow(row.blob(0), pending);
    });
    if (!r) return std::unexpected(r.error());
    if (!corrupt) return std::unexpected(corrupt.error());
  }
  auto st = db_.prepare(
      "SELECT g.channel_id, s.gateway, s.name, s.unit, g.window_start_ms, g.window_ms, g.count, "
      "g.min, g.max, g.sum, g.sum_squares FROM aggregates g JOIN series s ON s.id = g.series_id" +
      whereFor(filter, "g.window_start_ms") + " ORDER BY s.gateway, s.name, g.window_start_ms" +
      (pending.empty() ? " LIMIT " + std::to_string(limit) : std::string()));
  if (!st) return std::unexpected(st.error());
  bindFilter(*st, filter);
  std::vector<Window> rows;
  auto rows_read = st->forEachRow([&](const sqlite::Statement& row) {
    Window w;
    w.a.channel_id = row.int64(0);
    w.a.gateway = row.text(1);
    w.a.sensor = row.text(2);
    w.a.unit = row.text(3);
    w.a.window_start_ms = row.int64(4);
    w.a.window_ms = row.int64(5);
    w.a.count = static_cast<std::uint64_t>(row.int64(6));
    w.a.min = row.real(7);
    w.a.max = row.real(8);
    w.sum = row.real(9);
    w.sum_squares = row.real(10);
    rows.push_back(std::move(w));
  });
  if (!rows_read) return std::unexpected(rows_read.error());
  if (!pending.empty()) {
    coalesce(pending);
    // The series the filter selects, for the pending deltas.
    ReadingFilter by_name;
    by_name.gateway = filter.gateway;
    by_name.sensor = filter.sensor;
    auto series =
        db_.prepare("SELECT s.id, s.gateway, s.name, s.unit FROM series s" + whereFor(by_name, ""));
    if (!series) return std::unexpected(series.error());
    bindFilter(*series, by_name);
    std::unordered_map<std::int64_t, std::tuple<std::string, std::string, std::string>> names;
    auto r = series->forEachRow([&](const sqlite::Statement& row) {
      names.emplace(row.int64(0), std::tuple{row.text(1), row.text(2), row.text(3)});
    });
    if (!r) return std::unexpected(r.error());
    std::map<
        std::tuple<std::string, std::string, std::int64_t, std::int64_t, std::string, std::int64_t>,
        std::size_t>
        index;
    for (std::size_t i = 0; i < rows.size(); ++i) index.emplace(windowKey(rows[i].a), i);
    for (const LoggedDelta& d : pending) {
      auto name = names.find(d.series_id);
      if (name == names.end() || (filter.channel_id && d.channel_id != *filter.channel_id) ||
          !inScope(filter, d.channel_id) ||
          (filter.from_ms && d.window_start_ms < *filter.from_ms) ||
          (filter.to_ms && d.window_start_ms >= *filter.to_ms)) {
        continue;
      }
      Window w;
      w.a.channel_id = d.channel_id;
      std::tie(w.a.gateway, w.a.sensor, w.a.unit) = name->second;
      w.a.window_start_ms = d.window_start_ms;
      w.a.window_ms = d.window_ms;
      auto [it, fresh] = index.emplace(windowKey(w.a), rows.size());
      if (fresh) {
        w.a.min = d.min;
        w.a.max = d.max;
        rows.push_back(std::move(w));
      }
      Window& into = rows[it->second];
      into.a.count += d.count;
      into.sum += d.sum;
      into.sum_squares += d.sum_squares;
      into.a.min = std::min(into.a.min, d.min);
      into.a.max = std::max(into.a.max, d.max);
    }
    std::ranges::sort(
        rows, [](const Window& x, const Window& y) { return windowKey(x.a) < windowKey(y.a); });
  }
  std::vector<StoredAggregate> out;
  for (Window& w : rows) {
    if (out.size() == limit) break;
    finishWindow(w);
    out.push_back(std::move(w.a));
  }
  return out;
}

Result<std::vector<StoredAlert>> SqliteQueries::alerts(const ReadingFilter& filter,
                                                       std::size_t limit) {
  std::string where = " WHERE 1=1";
  if (filter.gateway) where += " AND a.gateway = ?1";
  if (filter.sensor) where += " AND a.sensor = ?2";
  if (filter.from_ms) where += " AND a.time_ms >= ?3";
  if (filter.to_ms) where += " AND a.time_ms < ?4";
  if (filter.channel_id) where += " AND a.channel_id = ?5";
  if (filter.alert_id) where += " AND a.id = " + std::to_string(*filter.alert_id);
  where += channelScope(filter, "a.channel_id");
  auto st = db_.prepare(
      "SELECT a.id, a.account, a.channel, a.gateway, a.sensor, a.kind, a.state, a.value, "
      "a.time_ms, a.message, a.historical, k.acked_by, k.acked_ms FROM alerts a "
      "LEFT JOIN alert_acks k ON k.alert_id = a.id" +
      where + " ORDER BY a.id LIMIT " + std::to_string(limit));
  if (!st) return std::unexpected(st.error());
  bindFilter(*st, filter);
  std::vector<StoredAlert> out;
  auto rows_read = st->forEachRow([&](const sqlite::Statement& row) {
    StoredAlert a;
    a.id = row.int64(0);
    a.account = row.text(1);
    a.channel = row.text(2);
    a.alert.gateway = row.text(3);
    a.alert.sensor = row.text(4);
    a.alert.kind = row.text(5);
    a.alert.state = row.text(6);
    a.alert.value = row.real(7);
    a.alert.time_ms = row.int64(8);
    a.alert.message = row.text(9);
    a.alert.historical = row.int64(10) != 0;
    if (!row.isNull(11)) a.ack = AlertAck{row.text(11), row.int64(12)};
    out.push_back(std::move(a));
  });
  if (!rows_read) return std::unexpected(rows_read.error());
  return out;
}

Result<void> SqliteQueries::forEachBlock(const ReadingFilter& f, const char* order,
                                         const std::function<bool(const Block&)>& visit) {
  std::string where = " WHERE 1=1";
  if (f.gateway) where += " AND gateway = ?1";
  if (f.from_ms) where += " AND last_ms >= ?3";
  if (f.to_ms) where += " AND first_ms < ?4";
  if (f.channel_id) where += " AND channel_id = ?5";
  where += channelScope(f, "channel_id");
  auto st = db_.prepare("SELECT gateway, stored_ms, readings FROM reading_blocks" + where +
                        " ORDER BY " + order);
  if (!st) return std::unexpected(st.error());
  bindFilter(*st, f);
  Block block;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    auto batch = codec::decodeBatch(st->blob(2));
    if (!batch) return fail("corrupt-block", "a stored block: " + batch.error().describe());
    block.gateway = st->text(0);
    block.stored_ms = st->int64(1);
    block.batch = std::move(*batch);
    if (!visit(block)) break;
  }
  return {};
}

Result<ReadingCounts> SqliteQueries::count(const ReadingFilter& filter) {
  ReadingCounts counts;
  std::string gateway;
  std::unordered_set<std::string> seen;  // (sensor, time) of one gateway
  auto r = forEachBlock(filter, "gateway, id", [&](const Block& block) {
    if (block.gateway != gateway) {
      gateway = block.gateway;
      seen.clear();
    }
    for (const Reading& reading : block.batch.readings) {
      if (!matches(filter, reading)) continue;
      ++counts.count;
      std::string key = reading.name;
      key += '\0';
      key += std::to_string(reading.time_ms);
      if (seen.insert(std::move(key)).second) ++counts.distinct;
    }
    return true;
  });
  if (!r) return std::unexpected(r.error());
  return counts;
}

Result<std::vector<SeriesStats>> SqliteQueries::stats(const ReadingFilter& filter) {
  std::map<std::tuple<std::string, std::string, std::string>, SeriesStats> series;
  auto r = forEachBlock(filter, "id", [&](const Block& block) {
    for (const Reading& reading : block.batch.readings) {
      if (!matches(filter, reading)) continue;
      auto [it, fresh] = series.try_emplace({block.gateway, reading.name, reading.unit});
      SeriesStats& s = it->second;
      if (fresh) {
        s = {block.gateway,   reading.name,    reading.unit, 0,
             reading.time_ms, reading.time_ms, reading};
      }
      ++s.count;
      s.first_ms = std::min(s.first_ms, reading.time_ms);
      if (reading.time_ms >= s.last_ms) {
        s.last_ms = reading.time_ms;
        s.latest = reading;
      }
    }
    return true;
  });
  if (!r) return std::unexpected(r.error());
  std::vector<SeriesStats> out;
  out.reserve(series.size());
  for (auto& [key, s] : series) out.push_back(std::move(s));
  return out;
}

Result<std::vector<StoredReading>> SqliteQueries::recent(const ReadingFilter& filter,
                                                         std::size_t limit) {
  std::vector<StoredReading> out;
  if (limit == 0) return out;
  auto r = forEachBlock(filter, "id DESC", [&](const Block& block) {
    const auto& readings = block.batch.readings;
    for (auto it = readings.rbegin(); it != readings.rend(); ++it) {
      if (!matches(filter, *it)) continue;
      out.push_back({block.gateway, *it, block.batch.historical, block.stored_ms});
      if (out.size() == limit) return false;
    }
    return true;
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<std::vector<StoredReading>> SqliteQueries::readings(const ReadingFilter& filter,
                                                           std::size_t limit) {
  std::vector<StoredReading> out;
  if (limit == 0) return out;
  auto r = forEachBlock(filter, "id", [&](const Block& block) {
    for (const Reading& reading : block.batch.readings) {
      if (!matches(filter, reading)) continue;
      out.push_back({block.gateway, reading, block.batch.historical, block.stored_ms});
      if (out.size() == limit) return false;
    }
    return true;
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<std::vector<ReadingBucket>> SqliteQueries::buckets(const ReadingFilter& filter,
                                                          std::int64_t from_ms, std::int64_t to_ms,
                                                          std::size_t buckets) {
  std::vector<ReadingBucket> out;
  if (buckets == 0 || to_ms <= from_ms) return out;
  const std::int64_t span = to_ms - from_ms;
  const std::int64_t width = std::max<std::int64_t>(
      1, (span + static_cast<std::int64_t>(buckets) - 1) / static_cast<std::int64_t>(buckets));
  const std::size_t n = static_cast<std::size_t>((span + width - 1) / width);
  std::vector<ReadingBucket> all(n);
  std::vector<double> sums(n, 0.0);
  ReadingFilter f = filter;
  f.from_ms = from_ms;
  f.to_ms = to_ms;
  auto r = forEachBlock(f, "id", [&](const Block& block) {
    for (const Reading& reading : block.batch.readings) {
      if (!matches(f, reading)) continue;
      if (reading.kind != ValueKind::kNumber && reading.kind != ValueKind::kBoolean) continue;
      auto i = static_cast<std::size_t>((reading.time_ms - from_ms) / width);
      ReadingBucket& b = all[i];
      if (b.count == 0) {
        b.min = b.max = reading.value;
      } else {
        b.min = std::min(b.min, reading.value);
        b.max = std::max(b.max, reading.value);
      }
      ++b.count;
      sums[i] += reading.value;
    }
    return true;
  });
  if (!r) return std::unexpected(r.error());
  for (std::size_t i = 0; i < n; ++i) {
    if (all[i].count == 0) continue;
    all[i].start_ms = from_ms + static_cast<std::int64_t>(i) * width;
    all[i].end_ms = std::min(to_ms, all[i].start_ms + width);
    all[i].mean = sums[i] / static_cast<double>(all[i].count);
    out.push_back(all[i]);
  }
  return out;
}

Result<void> SqliteQueries::forEach(const ReadingFilter& filter,
                                    const std::function<void(const StoredReading&)>& visit) {
  // One gateway's readings at a time, sorted by sensor and time (stored order among equals).
  std::vector<StoredReading> pending;
  auto flush = [&] {
    std::ranges::stable_sort(pending, [](const StoredReading& a, const StoredReading& b) {
      return std::tie(a.reading.name, a.reading.time_ms) <
             std::tie(b.reading.name, b.reading.time_ms);
    });
    for (const StoredReading& row : pending) visit(row);
    pending.clear();
  };
  auto r = forEachBlock(filter, "gateway, id", [&](const Block& block) {
    if (!pending.empty() && pending.front().gateway != block.gateway) flush();
    for (const Reading& reading : block.batch.readings) {
      if (!matches(filter, reading)) continue;
      pending.push_back({block.gateway, reading, block.batch.historical, block.stored_ms});
    }
    return true;
  });
  if (!r) return std::unexpected(r.error());
  flush();
  return {};
}

}  // namespace dots::cloud::sqlite_store
