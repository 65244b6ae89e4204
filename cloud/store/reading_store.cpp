#include "store/reading_store.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>
#include <type_traits>
#include <unordered_set>

#include "codec/batch_codec.h"
#include "core/clock.h"

namespace dots::cloud {

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS series(
  id INTEGER PRIMARY KEY,
  gateway TEXT NOT NULL,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  UNIQUE(gateway, name, unit));
-- Readings are kept in blocks: the readings one channel stored from one batch, encoded as a
-- dots.wire.Batch FlatBuffer (schemas/batch.fbs), with their time span for block-level filters.
CREATE TABLE IF NOT EXISTS reading_blocks(
  id INTEGER PRIMARY KEY,
  channel_id INTEGER NOT NULL,
  gateway TEXT NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  historical INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  readings BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS reading_blocks_by_gateway ON reading_blocks(gateway, id);
CREATE TABLE IF NOT EXISTS batches(
  gateway TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  readings INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  historical INTEGER NOT NULL,
  PRIMARY KEY(gateway, epoch, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aggregates(
  channel_id INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  window_start_ms INTEGER NOT NULL,
  window_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  sum REAL NOT NULL,
  sum_squares REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  PRIMARY KEY(channel_id, series_id, window_ms, window_start_ms)) WITHOUT ROWID;
-- Aggregate deltas not yet folded into aggregates: one row per committing transaction, an array
-- of LoggedDelta records (see below), little-endian.
CREATE TABLE IF NOT EXISTS aggregate_log(
  id INTEGER PRIMARY KEY,
  deltas BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS alerts(
  id INTEGER PRIMARY KEY,
  channel_id INTEGER NOT NULL,
  account TEXT NOT NULL,
  channel TEXT NOT NULL,
  gateway TEXT NOT NULL,
  sensor TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  value REAL NOT NULL,
  time_ms INTEGER NOT NULL,
  message TEXT NOT NULL,
  historical INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL,
  target TEXT NOT NULL,
  address TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_ms INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  last_error TEXT);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_ms);
)sql";

// WHERE clause over series s and a time column for a filter; binds ?1 (gateway), ?2 (sensor),
// ?3 (from) and ?4 (to) when given.
std::string whereFor(const ReadingFilter& f, const char* time_column = "r.time_ms") {
  std::string where = " WHERE 1=1";
  if (f.gateway) where += " AND s.gateway = ?1";
  if (f.sensor) where += " AND s.name = ?2";
  if (f.from_ms) where += std::string(" AND ") + time_column + " >= ?3";
  if (f.to_ms) where += std::string(" AND ") + time_column + " < ?4";
  if (f.channel_id)
    where += std::string(" AND ") + (time_column[0] == 'g' ? "g" : "r") + ".channel_id = ?5";
  return where;
}

static_assert(std::endian::native == std::endian::little, "aggregate_log rows are little-endian");
constexpr std::int64_t kFoldIntervalMs = 2000;
constexpr std::uint64_t kFoldMaxDeltas = 1'000'000;

void bindFilter(sqlite::Statement& st, const ReadingFilter& f) {
  if (f.gateway) st.bind(1, *f.gateway);
  if (f.sensor) st.bind(2, *f.sensor);
  if (f.from_ms) st.bind(3, *f.from_ms);
  if (f.to_ms) st.bind(4, *f.to_ms);
  if (f.channel_id) st.bind(5, *f.channel_id);
}
}  // namespace

struct ReadingStore::Statements {
  sqlite::Statement insert_batch;
  sqlite::Statement insert_block;
  sqlite::Statement find_series;
  sqlite::Statement insert_series;
  sqlite::Statement merge_aggregate;
  sqlite::Statement log_aggregates;
  sqlite::Statement read_aggregate_log;
  sqlite::Statement clear_aggregate_log;
  sqlite::Statement insert_alert;
  sqlite::Statement insert_delivery;
};

ReadingStore::ReadingStore(sqlite::Database db, std::unique_ptr<Statements> statements)
    : db_(std::move(db)), st_(std::move(statements)) {}
ReadingStore::ReadingStore(ReadingStore&&) noexcept = default;
ReadingStore::~ReadingStore() = default;

Result<ReadingStore> ReadingStore::open(const std::string& data_dir) {
  auto db = sqlite::Database::open(data_dir + "/store.db");
  if (!db) return std::unexpected(db.error());
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", kSchema}) {
    if (auto r = db->exec(sql); !r) return std::unexpected(r.error());
  }
  auto insert_batch = db->prepare(
      "INSERT INTO batches(gateway, epoch, seq, readings, stored_ms, historical) "
      "VALUES(?1,?2,?3,?4,?5,?6) "
      "ON CONFLICT DO NOTHING");
  auto insert_block = db->prepare(
      "INSERT INTO reading_blocks(channel_id, gateway, first_ms, last_ms, count, historical, "
      "stored_ms, readings) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
  auto find_series = db->prepare("SELECT id FROM series WHERE gateway=?1 AND name=?2 AND unit=?3");
  auto insert_series = db->prepare(
      "INSERT INTO series(gateway, name, unit) VALUES(?1,?2,?3) ON CONFLICT DO NOTHING");
  auto merge_aggregate = db->prepare(
      "INSERT INTO aggregates(channel_id, series_id, window_start_ms, window_ms, count, sum, "
      "sum_squares, min, max) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) "
      "ON CONFLICT DO UPDATE SET count = count + excluded.count, sum = sum + excluded.sum, "
      "sum_squares = sum_squares + excluded.sum_squares, min = min(min, excluded.min), "
      "max = max(max, excluded.max)");
  auto log_aggregates = db->prepare("INSERT INTO aggregate_log(deltas) VALUES(?1)");
  auto read_aggregate_log = db->prepare("SELECT deltas FROM aggregate_log ORDER BY id");
  auto clear_aggregate_log = db->prepare("DELETE FROM aggregate_log");
  auto insert_alert = db->prepare(
      "INSERT INTO alerts(channel_id, account, channel, gateway, sensor, kind, state, value, "
      "time_ms, message, historical, created_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
  auto insert_delivery = db->prepare(
      "INSERT INTO outbox(alert_id, target, address, payload, next_ms) VALUES(?1,?2,?3,?4,0)");
  for (auto* st : {&insert_batch, &insert_block, &find_series, &insert_series, &merge_aggregate,
                   &log_aggregates, &read_aggregate_log, &clear_aggregate_log, &insert_alert,
                   &insert_delivery}) {
    if (!*st) return std::unexpected(st->error());
  }
  auto statements = std::make_unique<Statements>(
      Statements{std::move(*insert_batch), std::move(*insert_block), std::move(*find_series),
                 std::move(*insert_series), std::move(*merge_aggregate), std::move(*log_aggregates),
                 std::move(*read_aggregate_log), std::move(*clear_aggregate_log),
                 std::move(*insert_alert), std::move(*insert_delivery)});
  return ReadingStore(std::move(*db), std::move(statements));
}

Result<std::int64_t> ReadingStore::seriesId(std::string_view gateway, SeriesCache::Sensors& sensors,
                                            const std::string& name, const std::string& unit) {
  auto& ids = SeriesCache::slot(sensors, name).by_unit;
  for (const auto& [u, id] : ids) {
    if (u == unit) return id;
  }
  // A sensor not in the cache is most often new: insert first, look up only when it exists.
  auto& ins = st_->insert_series;
  ins.bind(1, gateway).bind(2, name).bind(3, unit);
  if (auto r = ins.run(); !r) return std::unexpected(r.error());
  std::int64_t id = db_.lastInsertRowid();
  if (db_.changes() == 0) {
    auto& find = st_->find_series;
    find.bind(1, gateway).bind(2, name).bind(3, unit);
    auto row = find.step();
    if (!row || !*row) {
      find.reset();
      if (!row) return std::unexpected(row.error());
      return std::unexpected(Error{"store", "series of " + name + " neither inserted nor found"});
    }
    id = find.int64(0);
    find.reset();
  }
  ids.emplace_back(unit, id);
  return id;
}

Result<void> ReadingStore::begin() {
  return db_.exec("BEGIN IMMEDIATE");
}

Result<void> ReadingStore::commit() {
  return finish(wallMillis() - last_fold_ms_ >= kFoldIntervalMs ||
                logged_deltas_ >= kFoldMaxDeltas);
}

Result<void> ReadingStore::finish(bool fold) {
  auto r = logAggregates();
  if (r && fold) r = foldAggregateLog();
  if (r) r = db_.exec("COMMIT");
  if (!r) rollback();
  return r;
}

void ReadingStore::rollback() {
  (void)db_.exec("ROLLBACK");
  series_cache_ = {};  // ids created in the transaction are gone
  pending_aggregates_.clear();
  last_fold_ms_ = 0;  // what this store logged or folded may be gone: count afresh
  logged_deltas_ = 0;
}

Result<bool> ReadingStore::recordBatch(const std::string& gateway, std::uint32_t epoch,
                                       std::uint64_t seq, std::size_t readings, bool historical) {
  auto& ib = st_->insert_batch;
  ib.bind(1, gateway)
      .bind(2, static_cast<std::int64_t>(epoch))
      .bind(3, static_cast<std::int64_t>(seq))
      .bind(4, static_cast<std::int64_t>(readings))
      .bind(5, wallMillis())
      .bind(6, static_cast<std::int64_t>(historical ? 1 : 0));
  if (auto r = ib.run(); !r) return std::unexpected(r.error());
  return db_.changes() > 0;
}

Result<void> ReadingStore::storeReadings(std::int64_t channel_id, std::string_view gateway,
                                         std::span<const Reading> readings, bool historical) {
  if (readings.empty()) return {};
  auto [first, last] = std::ranges::minmax(readings, {}, &Reading::time_ms);
  auto block = codec::encodeReadings(readings, historical);
  auto& st = st_->insert_block;
  st.bind(1, channel_id)
      .bind(2, gateway)
      .bind(3, first.time_ms)
      .bind(4, last.time_ms)
      .bind(5, static_cast<std::int64_t>(readings.size()))
      .bind(6, static_cast<std::int64_t>(historical ? 1 : 0))
      .bind(7, wallMillis())
      .bindBlob(8, block);
  return st.run();
}

Result<void> ReadingStore::mergeAggregates(std::int64_t channel_id, std::string_view gateway,
                                           std::span<const AggregateDelta> deltas) {
  // Summed per window at commit and logged as one row (see logAggregates).
  auto& sensors = series_cache_.of(gateway);
  for (const AggregateDelta& d : deltas) {
    auto series = seriesId(gateway, sensors, d.sensor, d.unit);
    if (!series) return std::unexpected(series.error());
    pending_aggregates_.push_back({channel_id, *series, d.window_ms, d.window_start_ms, d.count,
                                   d.sum, d.sum_squares, d.min, d.max});
  }
  return {};
}

void ReadingStore::coalesce(std::vector<LoggedDelta>& deltas) {
  auto key = [](const LoggedDelta& d) {
    return std::tie(d.channel_id, d.series_id, d.window_ms, d.window_start_ms);
  };
  std::ranges::sort(deltas, {}, key);
  std::size_t out = 0;
  for (std::size_t i = 0; i < deltas.size(); ++i) {
    if (out > 0 && key(deltas[out - 1]) == key(deltas[i])) {
      LoggedDelta& p = deltas[out - 1];
      const LoggedDelta& d = deltas[i];
      p.count += d.count;
      p.sum += d.sum;
      p.sum_squares += d.sum_squares;
      p.min = std::min(p.min, d.min);
      p.max = std::max(p.max, d.max);
    } else {
      deltas[out++] = deltas[i];
    }
  }
  deltas.resize(out);
}

Result<void> ReadingStore::logAggregates() {
  static_assert(sizeof(LoggedDelta) == 72 && std::is_trivially_copyable_v<LoggedDelta>);
  if (pending_aggregates_.empty()) return {};
  coalesce(pending_aggregates_);
  auto& st = st_->log_aggregates;
  st.bindBlob(1, std::span(reinterpret_cast<const std::uint8_t*>(pending_aggregates_.data()),
                           pending_aggregates_.size() * sizeof(LoggedDelta)));
  if (auto r = st.run(); !r) return r;
  logged_deltas_ += pending_aggregates_.size();
  pending_aggregates_.clear();
  return {};
}

Result<void> ReadingStore::foldAggregateLog() {
  std::vector<LoggedDelta> deltas;
  deltas.reserve(logged_deltas_);
  auto& read = st_->read_aggregate_log;
  for (;;) {
    auto row = read.step();
    if (!row) {
      read.reset();
      return std::unexpected(row.error());
    }
    if (!*row) break;
    auto blob = read.blob(0);
    if (blob.size() % sizeof(LoggedDelta) != 0) {
      read.reset();
      return std::unexpected(Error{
          "store-corrupt", "an aggregate_log row of " + std::to_string(blob.size()) + " bytes"});
    }
    std::size_t at = deltas.size();
    deltas.resize(at + blob.size() / sizeof(LoggedDelta));
    std::memcpy(deltas.data() + at, blob.data(), blob.size());
  }
  read.reset();
  // In key order: neighbouring rows of the table's B-tree are written one after another.
  coalesce(deltas);
  auto& st = st_->merge_aggregate;
  for (const LoggedDelta& d : deltas) {
    st.bind(1, d.channel_id)
        .bind(2, d.series_id)
        .bind(3, d.window_start_ms)
        .bind(4, d.window_ms)
        .bind(5, static_cast<std::int64_t>(d.count))
        .bind(6, d.sum)
        .bind(7, d.sum_squares)
        .bind(8, d.min)
        .bind(9, d.max);
    if (auto r = st.run(); !r) return r;
  }
  if (auto r = st_->clear_aggregate_log.run(); !r) return r;
  last_fold_ms_ = wallMillis();
  logged_deltas_ = 0;
  return {};
}

Result<void> ReadingStore::foldAggregates() {
  if (auto r = begin(); !r) return r;
  return finish(true);
}

Result<std::int64_t> ReadingStore::recordAlert(std::int64_t channel_id, std::string_view account,
                                               std::string_view channel, const Alert& a) {
  auto& st = st_->insert_alert;
  st.bind(1, channel_id)
      .bind(2, account)
      .bind(3, channel)
      .bind(4, a.gateway)
      .bind(5, a.sensor)
      .bind(6, a.kind)
      .bind(7, a.state)
      .bind(8, a.value)
      .bind(9, a.time_ms)
      .bind(10, a.message)
      .bind(11, static_cast<std::int64_t>(a.historical ? 1 : 0))
      .bind(12, wallMillis());
  if (auto r = st.run(); !r) return std::unexpected(r.error());
  return db_.lastInsertRowid();
}

Result<void> ReadingStore::enqueueDelivery(std::int64_t alert_id, std::string_view target,
                                           std::string_view address, std::string_view payload) {
  auto& st = st_->insert_delivery;
  st.bind(1, alert_id).bind(2, target).bind(3, address).bind(4, payload);
  return st.run();
}

Result<std::vector<Delivery>> ReadingStore::dueDeliveries(std::int64_t now_ms, std::size_t limit) {
  auto st = db_.prepare(
      "SELECT id, alert_id, target, address, payload, attempts FROM outbox "
      "WHERE state = 'pending' AND next_ms <= ?1 ORDER BY id LIMIT ?2");
  if (!st) return std::unexpected(st.error());
  st->bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
  std::vector<Delivery> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({st->int64(0), st->int64(1), st->text(2), st->text(3), st->text(4),
                   static_cast<int>(st->int64(5))});
  }
  return out;
}

Result<void> ReadingStore::markDelivered(std::int64_t id) {
  auto st =
      db_.prepare("UPDATE outbox SET state = 'delivered', attempts = attempts + 1 WHERE id = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id);
  return st->run();
}

Result<void> ReadingStore::markAttempt(std::int64_t id, int attempts, std::int64_t next_ms,
                                       const std::string& error) {
  auto st = db_.prepare(
      "UPDATE outbox SET attempts = ?2, next_ms = ?3, last_error = ?4, "
      "state = CASE WHEN ?3 < 0 THEN 'failed' ELSE 'pending' END WHERE id = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id).bind(2, static_cast<std::int64_t>(attempts)).bind(3, next_ms).bind(4, error);
  return st->run();
}

Result<std::vector<StoredAggregate>> ReadingStore::aggregates(const ReadingFilter& filter,
                                                              std::size_t limit) {
  if (auto r = foldAggregates(); !r) return std::unexpected(r.error());
  auto st = db_.prepare(
      "SELECT g.channel_id, s.gateway, s.name, s.unit, g.window_start_ms, g.window_ms, g.count, "
      "g.min, g.max, g.sum, g.sum_squares FROM aggregates g JOIN series s ON s.id = g.series_id" +
      whereFor(filter, "g.window_start_ms") +
      " ORDER BY s.gateway, s.name, g.window_start_ms LIMIT " + std::to_string(limit));
  if (!st) return std::unexpected(st.error());
  bindFilter(*st, filter);
  std::vector<StoredAggregate> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    StoredAggregate a;
    a.channel_id = st->int64(0);
    a.gateway = st->text(1);
    a.sensor = st->text(2);
    a.unit = st->text(3);
    a.window_start_ms = st->int64(4);
    a.window_ms = st->int64(5);
    a.count = static_cast<std::uint64_t>(st->int64(6));
    a.min = st->real(7);
    a.max = st->real(8);
    double n = static_cast<double>(a.count);
    a.mean = st->real(9) / n;
    a.stddev = std::sqrt(std::max(0.0, st->real(10) / n - a.mean * a.mean));
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<StoredAlert>> ReadingStore::alerts(const ReadingFilter& filter,
                                                      std::size_t limit) {
  std::string where = " WHERE 1=1";
  if (filter.gateway) where += " AND gateway = ?1";
  if (filter.sensor) where += " AND sensor = ?2";
  if (filter.from_ms) where += " AND time_ms >= ?3";
  if (filter.to_ms) where += " AND time_ms < ?4";
  auto st = db_.prepare(
      "SELECT id, account, channel, gateway, sensor, kind, state, value, time_ms, message, "
      "historical FROM alerts" +
      where + " ORDER BY id LIMIT " + std::to_string(limit));
  if (!st) return std::unexpected(st.error());
  bindFilter(*st, filter);
  std::vector<StoredAlert> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    StoredAlert a;
    a.id = st->int64(0);
    a.account = st->text(1);
    a.channel = st->text(2);
    a.alert.gateway = st->text(3);
    a.alert.sensor = st->text(4);
    a.alert.kind = st->text(5);
    a.alert.state = st->text(6);
    a.alert.value = st->real(7);
    a.alert.time_ms = st->int64(8);
    a.alert.message = st->text(9);
    a.alert.historical = st->int64(10) != 0;
    out.push_back(std::move(a));
  }
  return out;
}

// A stored block and its decoded readings.
struct ReadingStore::Block {
  std::string gateway;
  std::int64_t stored_ms = 0;
  Batch batch;
};

namespace {

bool matches(const ReadingFilter& f, const Reading& r) {
  return (!f.sensor || r.name == *f.sensor) && (!f.from_ms || r.time_ms >= *f.from_ms) &&
         (!f.to_ms || r.time_ms < *f.to_ms);
}
}  // namespace

// Visits the blocks that may hold readings matching `filter`, in `order` ("id", "id DESC" or
// "gateway, id"); the visitor filters the readings themselves and returns false to stop.
Result<void> ReadingStore::forEachBlock(const ReadingFilter& f, const char* order,
                                        const std::function<bool(const Block&)>& visit) {
  std::string where = " WHERE 1=1";
  if (f.gateway) where += " AND gateway = ?1";
  if (f.from_ms) where += " AND last_ms >= ?3";
  if (f.to_ms) where += " AND first_ms < ?4";
  if (f.channel_id) where += " AND channel_id = ?5";
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

Result<ReadingCounts> ReadingStore::count(const ReadingFilter& filter) {
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

Result<std::vector<SeriesStats>> ReadingStore::stats(const ReadingFilter& filter) {
  std::map<std::tuple<std::string, std::string, std::string>, SeriesStats> series;
  auto r = forEachBlock(filter, "id", [&](const Block& block) {
    for (const Reading& reading : block.batch.readings) {
      if (!matches(filter, reading)) continue;
      auto [it, fresh] = series.try_emplace({block.gateway, reading.name, reading.unit});
      SeriesStats& s = it->second;
      if (fresh) {
        s = {block.gateway, reading.name, reading.unit, 0, reading.time_ms, reading.time_ms};
      }
      ++s.count;
      s.first_ms = std::min(s.first_ms, reading.time_ms);
      s.last_ms = std::max(s.last_ms, reading.time_ms);
    }
    return true;
  });
  if (!r) return std::unexpected(r.error());
  std::vector<SeriesStats> out;
  out.reserve(series.size());
  for (auto& [key, s] : series) out.push_back(std::move(s));
  return out;
}

Result<std::vector<StoredReading>> ReadingStore::recent(const ReadingFilter& filter,
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

Result<void> ReadingStore::forEach(const ReadingFilter& filter,
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

}  // namespace dots::cloud
