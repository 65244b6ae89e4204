#include "store/reading_store.h"

#include <algorithm>
#include <cmath>

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
CREATE TABLE IF NOT EXISTS readings(
  channel_id INTEGER NOT NULL,
  series_id INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  value REAL,
  text TEXT,
  sum REAL,
  historical INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS readings_by_series_time ON readings(series_id, time_ms);
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
  sqlite::Statement insert_reading;
  sqlite::Statement find_series;
  sqlite::Statement insert_series;
  sqlite::Statement merge_aggregate;
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
  auto insert_reading = db->prepare(
      "INSERT INTO readings(series_id, time_ms, kind, value, text, sum, historical, channel_id) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
  auto find_series = db->prepare("SELECT id FROM series WHERE gateway=?1 AND name=?2 AND unit=?3");
  auto insert_series = db->prepare("INSERT INTO series(gateway, name, unit) VALUES(?1,?2,?3)");
  auto merge_aggregate = db->prepare(
      "INSERT INTO aggregates(channel_id, series_id, window_start_ms, window_ms, count, sum, "
      "sum_squares, min, max) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) "
      "ON CONFLICT DO UPDATE SET count = count + excluded.count, sum = sum + excluded.sum, "
      "sum_squares = sum_squares + excluded.sum_squares, min = min(min, excluded.min), "
      "max = max(max, excluded.max)");
  auto insert_alert = db->prepare(
      "INSERT INTO alerts(channel_id, account, channel, gateway, sensor, kind, state, value, "
      "time_ms, message, historical, created_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
  auto insert_delivery = db->prepare(
      "INSERT INTO outbox(alert_id, target, address, payload, next_ms) VALUES(?1,?2,?3,?4,0)");
  for (auto* st : {&insert_batch, &insert_reading, &find_series, &insert_series, &merge_aggregate,
                   &insert_alert, &insert_delivery}) {
    if (!*st) return std::unexpected(st->error());
  }
  auto statements = std::make_unique<Statements>(
      Statements{std::move(*insert_batch), std::move(*insert_reading), std::move(*find_series),
                 std::move(*insert_series), std::move(*merge_aggregate), std::move(*insert_alert),
                 std::move(*insert_delivery)});
  return ReadingStore(std::move(*db), std::move(statements));
}

Result<std::int64_t> ReadingStore::seriesId(std::string_view gateway, const std::string& name,
                                            const std::string& unit) {
  std::string key(gateway);
  key += '\0';
  key += name;
  key += '\0';
  key += unit;
  if (auto it = series_cache_.find(key); it != series_cache_.end()) return it->second;
  auto& find = st_->find_series;
  find.bind(1, gateway).bind(2, name).bind(3, unit);
  auto row = find.step();
  if (!row) return std::unexpected(row.error());
  std::int64_t id = 0;
  if (*row) {
    id = find.int64(0);
    find.reset();
  } else {
    find.reset();
    auto& ins = st_->insert_series;
    ins.bind(1, gateway).bind(2, name).bind(3, unit);
    if (auto r = ins.run(); !r) return std::unexpected(r.error());
    id = db_.lastInsertRowid();
  }
  series_cache_.emplace(std::move(key), id);
  return id;
}

Result<void> ReadingStore::begin() {
  return db_.exec("BEGIN IMMEDIATE");
}

Result<void> ReadingStore::commit() {
  auto r = db_.exec("COMMIT");
  if (!r) rollback();
  return r;
}

void ReadingStore::rollback() {
  (void)db_.exec("ROLLBACK");
  series_cache_.clear();  // ids created in the transaction are gone
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
  auto& ir = st_->insert_reading;
  for (const Reading& reading : readings) {
    auto series = seriesId(gateway, reading.name, reading.unit);
    if (!series) return std::unexpected(series.error());
    ir.bind(1, *series).bind(2, reading.time_ms).bind(3, static_cast<std::int64_t>(reading.kind));
    if (reading.kind == ValueKind::kText || reading.kind == ValueKind::kData) {
      ir.bindNull(4).bind(5, reading.text);
    } else {
      ir.bind(4, reading.value).bindNull(5);
    }
    if (reading.sum)
      ir.bind(6, *reading.sum);
    else
      ir.bindNull(6);
    ir.bind(7, static_cast<std::int64_t>(historical ? 1 : 0)).bind(8, channel_id);
    if (auto r = ir.run(); !r) return r;
  }
  return {};
}

Result<void> ReadingStore::mergeAggregates(std::int64_t channel_id, std::string_view gateway,
                                           std::span<const AggregateDelta> deltas) {
  auto& st = st_->merge_aggregate;
  for (const AggregateDelta& d : deltas) {
    auto series = seriesId(gateway, d.sensor, d.unit);
    if (!series) return std::unexpected(series.error());
    st.bind(1, channel_id)
        .bind(2, *series)
        .bind(3, d.window_start_ms)
        .bind(4, d.window_ms)
        .bind(5, static_cast<std::int64_t>(d.count))
        .bind(6, d.sum)
        .bind(7, d.sum_squares)
        .bind(8, d.min)
        .bind(9, d.max);
    if (auto r = st.run(); !r) return r;
  }
  return {};
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

Result<ReadingCounts> ReadingStore::count(const ReadingFilter& filter) {
  auto st = db_.prepare(
      "SELECT (SELECT count(*) FROM readings r JOIN series s ON s.id = r.series_id" +
      whereFor(filter) +
      "), (SELECT count(*) FROM (SELECT DISTINCT s.gateway, s.name, r.time_ms FROM readings r "
      "JOIN series s ON s.id = r.series_id" +
      whereFor(filter) + "))");
  if (!st) return std::unexpected(st.error());
  bindFilter(*st, filter);
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  ReadingCounts counts{static_cast<std::uint64_t>(st->int64(0)),
                       static_cast<std::uint64_t>(st->int64(1))};
  st->reset();
  return counts;
}

Result<std::vector<SeriesStats>> ReadingStore::stats(const ReadingFilter& filter) {
  auto st = db_.prepare(
      "SELECT s.gateway, s.name, s.unit, count(*), min(r.time_ms), max(r.time_ms) "
      "FROM readings r JOIN series s ON s.id = r.series_id" +
      whereFor(filter) + " GROUP BY s.id ORDER BY s.gateway, s.name, s.unit");
  if (!st) return std::unexpected(st.error());
  bindFilter(*st, filter);
  std::vector<SeriesStats> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({st->text(0), st->text(1), st->text(2), static_cast<std::uint64_t>(st->int64(3)),
                   st->int64(4), st->int64(5)});
  }
  return out;
}

namespace {
StoredReading readRow(const sqlite::Statement& st) {
  StoredReading out;
  out.gateway = st.text(0);
  out.reading.name = st.text(1);
  out.reading.unit = st.text(2);
  out.reading.time_ms = st.int64(3);
  out.reading.kind = static_cast<ValueKind>(st.int64(4));
  if (!st.isNull(5)) out.reading.value = st.real(5);
  if (!st.isNull(6)) out.reading.text = st.text(6);
  if (!st.isNull(7)) out.reading.sum = st.real(7);
  out.historical = st.int64(8) != 0;
  return out;
}
constexpr const char* kSelectReadings =
    "SELECT s.gateway, s.name, s.unit, r.time_ms, r.kind, r.value, r.text, r.sum, r.historical "
    "FROM readings r JOIN series s ON s.id = r.series_id";
}  // namespace

Result<std::vector<StoredReading>> ReadingStore::recent(const ReadingFilter& filter,
                                                        std::size_t limit) {
  auto st = db_.prepare(std::string(kSelectReadings) + whereFor(filter) +
                        " ORDER BY r.rowid DESC LIMIT " + std::to_string(limit));
  if (!st) return std::unexpected(st.error());
  bindFilter(*st, filter);
  std::vector<StoredReading> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(readRow(*st));
  }
  return out;
}

Result<void> ReadingStore::forEach(const ReadingFilter& filter,
                                   const std::function<void(const StoredReading&)>& visit) {
  auto st = db_.prepare(std::string(kSelectReadings) + whereFor(filter) +
                        " ORDER BY s.gateway, s.name, r.time_ms, r.rowid");
  if (!st) return std::unexpected(st.error());
  bindFilter(*st, filter);
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    visit(readRow(*st));
  }
  return {};
}

}  // namespace dots::cloud
