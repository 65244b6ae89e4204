#include "gateway/spool/spool.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <tuple>

#include "shared/log/log.h"

namespace dots::gateway {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batches(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  readings INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  payload BLOB NOT NULL,
  run INTEGER NOT NULL DEFAULT 0,
  UNIQUE(epoch, seq));
)sql";

// Spools made before batches carried their run get the column (their batches have run 0).
Result<void> addRunColumn(sqlite::Database& db) {
  auto st = db.prepare("SELECT count(*) FROM pragma_table_info('batches') WHERE name='run'");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  bool has = st->int64(0) > 0;
  st->reset();
  if (has) return {};
  return db.exec("ALTER TABLE batches ADD COLUMN run INTEGER NOT NULL DEFAULT 0");
}

const char* syncPragma(SpoolSync sync) {
  switch (sync) {
    case SpoolSync::kOff: return "PRAGMA synchronous=OFF";
    case SpoolSync::kNormal: return "PRAGMA synchronous=NORMAL";
    case SpoolSync::kFull: return "PRAGMA synchronous=FULL";
  }
  return "PRAGMA synchronous=NORMAL";
}

Result<sqlite::Database> openAndCheck(const SpoolOptions& options) {
  auto db = sqlite::Database::open(options.path);
  if (!db) return db;
  if (auto r = db->exec("PRAGMA journal_mode=WAL"); !r) return std::unexpected(r.error());
  if (auto r = db->exec(syncPragma(options.sync)); !r) return std::unexpected(r.error());
  // After a checkpoint the WAL file is cut back to this size, so the headroom kept free on the
  // disk (min_free_bytes) always has room for it to grow again.
  if (auto r = db->exec("PRAGMA journal_size_limit=4194304"); !r) return std::unexpected(r.error());
  if (auto r = db->exec(kSchema); !r) return std::unexpected(r.error());
  if (auto r = addRunColumn(*db); !r) return std::unexpected(r.error());
  return db;
}

}  // namespace

Spool::Spool(sqlite::Database db, SpoolOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

Result<Spool> Spool::open(const SpoolOptions& options) {
  auto db = openAndCheck(options);
  if (!db && db.error().reason == "sqlite-corrupt") {
    std::string aside = options.path + ".corrupt-" + std::to_string(std::time(nullptr));
    log::error("spool", "spool ", options.path, " is unreadable (", db.error().detail,
               "); moved it to ", aside, " and started a fresh spool");
    std::rename(options.path.c_str(), aside.c_str());
    std::remove((options.path + "-wal").c_str());
    std::remove((options.path + "-shm").c_str());
    db = openAndCheck(options);
  }
  if (!db) return std::unexpected(db.error());
  Spool spool(std::move(*db), options);
  if (auto r = spool.prepare(); !r) return std::unexpected(r.error());
  return spool;
}

Result<void> Spool::prepare() {
  auto st = db_.prepare(
      "SELECT count(*), coalesce(sum(bytes),0), coalesce(sum(readings),0) FROM batches");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  batches_ = static_cast<std::uint64_t>(st->int64(0));
  bytes_ = static_cast<std::uint64_t>(st->int64(1));
  readings_ = static_cast<std::uint64_t>(st->int64(2));
  st->reset();
  auto page_size = queryValue("PRAGMA page_size");
  if (!page_size) return std::unexpected(page_size.error());
  page_size_ = static_cast<std::uint64_t>(page_size->value_or(0));
  return {};
}

Result<std::uint32_t> Spool::reserveEpoch(std::uint32_t at_least) {
  auto st = db_.prepare("SELECT value FROM meta WHERE key='epoch'");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  std::int64_t last = *row ? st->int64(0) : 0;
  st->reset();
  // Batches still spooled also bound the epoch from below (in case meta was lost).
  auto st2 = db_.prepare("SELECT coalesce(max(epoch),0) FROM batches");
  if (!st2) return std::unexpected(st2.error());
  if (auto r = st2->step(); !r) return std::unexpected(r.error());
  last = std::max(last, st2->int64(0));
  st2->reset();
  std::uint32_t epoch = std::max<std::uint32_t>(at_least, static_cast<std::uint32_t>(last + 1));
  auto up = db_.prepare(
      "INSERT INTO meta(key,value) VALUES('epoch',?1) "
      "ON CONFLICT(key) DO UPDATE SET value=excluded.value");
  if (!up) return std::unexpected(up.error());
  up->bind(1, static_cast<std::int64_t>(epoch));
  // One statement, its own transaction; FULL sync for this one write whatever the setting.
  if (auto r = db_.exec("PRAGMA synchronous=FULL"); !r) return std::unexpected(r.error());
  if (auto r = up->run(); !r) return std::unexpected(r.error());
  if (auto r = db_.exec(syncPragma(options_.sync)); !r) return std::unexpected(r.error());
  return epoch;
}

Result<void> Spool::dropOldest(AppendOutcome& outcome) {
  auto st = db_.prepare(
      "DELETE FROM batches WHERE id=(SELECT min(id) FROM batches) RETURNING readings, bytes");
  if (!st) return std::unexpected(st.error());
  return countDropped(*st, outcome);
}

Result<void> Spool::countDropped(sqlite::Statement& deletion, AppendOutcome& outcome) {
  return deletion.forEachRow([&](const sqlite::Statement& row) {
    auto readings = static_cast<std::uint64_t>(row.int64(0));
    outcome.dropped_batches += 1;
    outcome.dropped_readings += readings;
    readings_ -= readings;
    bytes_ -= static_cast<std::uint64_t>(row.int64(1));
    batches_ -= 1;
  });
}

Result<AppendOutcome> Spool::append(std::uint32_t epoch, std::uint64_t seq, std::uint32_t readings,
                                    const std::vector<std::uint8_t>& payload,
                                    std::int64_t created_ms, std::uint64_t run) {
  AppendOutcome outcome;
  auto inserted = insert(epoch, seq, readings, payload, created_ms, run, outcome);
  if (inserted || inserted.error().reason != "sqlite-full") return inserted;
  // The disk filled up before the cap: from now on the spool is capped at what it holds, and
  // the policy makes room as it would at the configured cap.
  disk_cap_ = bytes_;
  log::warn("spool", "disk full at ", bytes_, " spooled bytes (", inserted.error().detail,
            "); the spool is capped there until it empties");
  outcome = AppendOutcome{};
  if (options_.policy == SpoolPolicy::kDropOldest && batches_ > 0) {
    inserted = insert(epoch, seq, readings, payload, created_ms, run, outcome);
    if (inserted || inserted.error().reason != "sqlite-full") return inserted;
    outcome = AppendOutcome{};
  }
  outcome.dropped_batches = 1;
  outcome.dropped_readings = readings;
  return outcome;
}

Result<AppendOutcome> Spool::insert(std::uint32_t epoch, std::uint64_t seq, std::uint32_t readings,
                                    const std::vector<std::uint8_t>& payload,
                                    std::int64_t created_ms, std::uint64_t run,
                                    AppendOutcome& outcome) {
  std::uint64_t cap = std::min({options_.max_bytes, disk_cap_, headroomCap()});
  cap_ = cap;
  std::uint64_t need = payload.size();
  if (need > cap || (options_.policy == SpoolPolicy::kRejectNew && bytes_ + need > cap)) {
    outcome.dropped_batches = 1;
    outcome.dropped_readings = readings;
    return outcome;
  }
  auto tx = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());
  // dropOldest counts what it deletes as it goes; when the transaction rolls back (tx's
  // destructor, on every return before the commit) those counts are undone here.
  auto saved = std::make_tuple(bytes_, batches_, readings_);
  auto rollback = [&](Error e) {
    std::tie(bytes_, batches_, readings_) = saved;
    return std::unexpected(std::move(e));
  };
  while (bytes_ + need > cap && batches_ > 0) {
    if (auto r = dropOldest(outcome); !r) return rollback(r.error());
  }
  auto st = db_.prepare(
      "INSERT INTO batches(epoch, seq, readings, bytes, created_ms, payload, run) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7)");
  if (!st) return rollback(st.error());
  st->bind(1, static_cast<std::int64_t>(epoch))
      .bind(2, static_cast<std::int64_t>(seq))
      .bind(3, static_cast<std::int64_t>(readings))
      .bind(4, static_cast<std::int64_t>(payload.size()))
      .bind(5, created_ms)
      .bindBlob(6, payload)
      .bind(7, static_cast<std::int64_t>(run));
  if (auto r = st->run(); !r) return rollback(r.error());
  if (auto r = tx->commit(); !r) return rollback(r.error());
  bytes_ += payload.size();
  batches_ += 1;
  readings_ += readings;
  outcome.stored = true;
  return outcome;
}

Result<std::vector<SpoolEntry>> Spool::after(std::int64_t after_id, std::size_t limit) {
  auto st = db_.prepare(
      "SELECT id, epoch, seq, readings, created_ms, payload, run FROM batches WHERE id > ?1 "
      "ORDER BY id LIMIT ?2");
  if (!st) return std::unexpected(st.error());
  st->bind(1, after_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<SpoolEntry> out;
  auto read = st->forEachRow([&](const sqlite::Statement& row) {
    SpoolEntry e;
    e.id = row.int64(0);
    e.epoch = static_cast<std::uint32_t>(row.int64(1));
    e.seq = static_cast<std::uint64_t>(row.int64(2));
    e.readings = static_cast<std::uint32_t>(row.int64(3));
    e.created_ms = row.int64(4);
    auto blob = row.blob(5);
    e.payload.assign(blob.begin(), blob.end());
    e.run = static_cast<std::uint64_t>(row.int64(6));
    out.push_back(std::move(e));
  });
  if (!read) return std::unexpected(read.error());
  return out;
}

Result<std::optional<SpoolEntry>> Spool::get(std::int64_t id) {
  auto entries = after(id - 1, 1);
  if (!entries) return std::unexpected(entries.error());
  if (entries->empty() || entries->front().id != id) return std::optional<SpoolEntry>();
  return std::optional<SpoolEntry>(std::move(entries->front()));
}

Result<RemoveOutcome> Spool::remove(const std::vector<codec::SeqRange>& ranges) {
  RemoveOutcome outcome;
  if (ranges.empty()) return outcome;
  auto tx = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());
  auto st = db_.prepare(
      "DELETE FROM batches WHERE run=?4 AND epoch=?1 AND seq BETWEEN ?2 AND ?3 "
      "RETURNING id, readings, bytes");
  if (!st) return std::unexpected(st.error());
  // Counted here and applied to the spool's totals only after the commit.
  std::uint64_t bytes = 0;
  for (const auto& range : ranges) {
    st->bind(1, static_cast<std::int64_t>(range.epoch))
        .bind(2, static_cast<std::int64_t>(range.first))
        .bind(3, static_cast<std::int64_t>(range.last))
        .bind(4, static_cast<std::int64_t>(range.run));
    auto deleted = st->forEachRow([&](const sqlite::Statement& row) {
      outcome.ids.push_back(row.int64(0));
      outcome.readings += static_cast<std::uint64_t>(row.int64(1));
      bytes += static_cast<std::uint64_t>(row.int64(2));
    });
    if (!deleted) return std::unexpected(deleted.error());
  }
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  bytes_ -= bytes;
  batches_ -= outcome.ids.size();
  readings_ -= outcome.readings;
  if (batches_ == 0) disk_cap_ = UINT64_MAX;  // room again: the configured cap rules
  return outcome;
}

Result<AppendOutcome> Spool::dropOlderThan(std::int64_t cutoff_ms) {
  AppendOutcome outcome;
  auto st = db_.prepare("DELETE FROM batches WHERE created_ms < ?1 RETURNING readings, bytes");
  if (!st) return std::unexpected(st.error());
  st->bind(1, cutoff_ms);
  if (auto r = countDropped(*st, outcome); !r) return std::unexpected(r.error());
  return outcome;
}

std::uint64_t Spool::headroomCap() {
  if (options_.min_free_bytes == 0) return UINT64_MAX;
  std::filesystem::path dir = std::filesystem::path(options_.path).parent_path();
  struct statvfs fs {};
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) return UINT64_MAX;
  std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  // Pages SQLite freed inside the file are reused before the file grows.
  auto pages = queryValue("PRAGMA freelist_count");
  std::uint64_t reusable = pages && *pages ? static_cast<std::uint64_t>(**pages) * page_size_ : 0;
  std::uint64_t room =
      free_bytes > options_.min_free_bytes ? free_bytes - options_.min_free_bytes : 0;
  std::uint64_t cap = bytes_ + room + reusable;
  if (cap < options_.max_bytes && !low_disk_) {
    log::warn("spool", "free disk space is down to ", free_bytes, " bytes (min_free_bytes ",
              options_.min_free_bytes, "): the spool is capped at ", cap, " bytes");
  }
  low_disk_ = cap < options_.max_bytes;
  return cap;
}

Result<std::optional<std::int64_t>> Spool::queryValue(const char* sql) {
  auto st = db_.prepare(sql);
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  std::optional<std::int64_t> out;
  if (*row && !st->isNull(0)) out = st->int64(0);
  st->reset();
  return out;
}

Result<std::optional<std::int64_t>> Spool::lastId() {
  return queryValue("SELECT max(id) FROM batches");
}

Result<std::optional<std::int64_t>> Spool::oldestCreatedMs() {
  return queryValue("SELECT created_ms FROM batches ORDER BY id LIMIT 1");
}

}  // namespace dots::gateway
