#include "store/reading_store.h"

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
)sql";

// WHERE clause over series s for a filter; binds ?1 (gateway) and ?2 (sensor) when given.
std::string whereFor(const ReadingFilter& f) {
  std::string where = " WHERE 1=1";
  if (f.gateway) where += " AND s.gateway = ?1";
  if (f.sensor) where += " AND s.name = ?2";
  return where;
}

void bindFilter(sqlite::Statement& st, const ReadingFilter& f) {
  if (f.gateway) st.bind(1, *f.gateway);
  if (f.sensor) st.bind(2, *f.sensor);
}
}  // namespace

struct ReadingStore::Statements {
  sqlite::Statement insert_batch;
  sqlite::Statement insert_reading;
  sqlite::Statement find_series;
  sqlite::Statement insert_series;
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
      "INSERT INTO readings(series_id, time_ms, kind, value, text, sum, historical) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7)");
  auto find_series = db->prepare("SELECT id FROM series WHERE gateway=?1 AND name=?2 AND unit=?3");
  auto insert_series = db->prepare("INSERT INTO series(gateway, name, unit) VALUES(?1,?2,?3)");
  for (auto* st : {&insert_batch, &insert_reading, &find_series, &insert_series}) {
    if (!*st) return std::unexpected(st->error());
  }
  auto statements =
      std::make_unique<Statements>(Statements{std::move(*insert_batch), std::move(*insert_reading),
                                              std::move(*find_series), std::move(*insert_series)});
  return ReadingStore(std::move(*db), std::move(statements));
}

Result<std::int64_t> ReadingStore::seriesId(const std::string& gateway, const Reading& reading) {
  std::string key = gateway;
  key += '\0';
  key += reading.name;
  key += '\0';
  key += reading.unit;
  if (auto it = series_cache_.find(key); it != series_cache_.end()) return it->second;
  auto& find = st_->find_series;
  find.bind(1, gateway).bind(2, reading.name).bind(3, reading.unit);
  auto row = find.step();
  if (!row) return std::unexpected(row.error());
  std::int64_t id = 0;
  if (*row) {
    id = find.int64(0);
    find.reset();
  } else {
    find.reset();
    auto& ins = st_->insert_series;
    ins.bind(1, gateway).bind(2, reading.name).bind(3, reading.unit);
    if (auto r = ins.run(); !r) return std::unexpected(r.error());
    id = db_.lastInsertRowid();
  }
  series_cache_.emplace(std::move(key), id);
  return id;
}

Result<CommitOutcome> ReadingStore::commit(std::span<const IncomingBatch> batches) {
  CommitOutcome outcome;
  outcome.duplicate.resize(batches.size());
  if (auto r = db_.exec("BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  auto abort = [this](Error e) {
    (void)db_.exec("ROLLBACK");
    series_cache_.clear();  // ids created in this transaction are gone
    return std::unexpected(std::move(e));
  };
  std::int64_t now = wallMillis();
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const IncomingBatch& in = batches[i];
    auto& ib = st_->insert_batch;
    ib.bind(1, in.gateway)
        .bind(2, static_cast<std::int64_t>(in.epoch))
        .bind(3, static_cast<std::int64_t>(in.seq))
        .bind(4, static_cast<std::int64_t>(in.batch.readings.size()))
        .bind(5, now)
        .bind(6, static_cast<std::int64_t>(in.batch.historical ? 1 : 0));
    if (auto r = ib.run(); !r) return abort(r.error());
    if (db_.changes() == 0) {
      outcome.duplicate[i] = true;
      continue;
    }
    auto& ir = st_->insert_reading;
    for (const Reading& reading : in.batch.readings) {
      auto series = seriesId(in.gateway, reading);
      if (!series) return abort(series.error());
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
      ir.bind(7, static_cast<std::int64_t>(in.batch.historical ? 1 : 0));
      if (auto r = ir.run(); !r) return abort(r.error());
    }
    outcome.readings += in.batch.readings.size();
  }
  if (auto r = db_.exec("COMMIT"); !r) return abort(r.error());
  return outcome;
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
