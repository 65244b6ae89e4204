#include "cloud/store/sqlite/sqlite_outbox.h"

#include "cloud/store/sqlite/store_schema.h"
#include "shared/net/destination_policy.h"

namespace dots::cloud {

std::string deliveryDestination(std::string_view target, std::string_view address) {
  if (target == "mqtt") return "mqtt";
  auto url = net::parseHttpUrl(address);
  if (!url) return std::string(address);
  return url->scheme + "://" + url->host + ":" + std::to_string(url->port);
}

}  // namespace dots::cloud

namespace dots::cloud::sqlite_store {

namespace {
// The current Unix time in milliseconds, as SQLite computes it.
constexpr const char* kNowMs = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
}  // namespace

Result<std::unique_ptr<SqliteOutbox>> SqliteOutbox::open(const std::string& data_dir) {
  auto db = openStoreDatabase(data_dir, sqlite::Database::Mode::kReadWriteCreate);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<SqliteOutbox>(new SqliteOutbox(std::move(*db)));
}

Result<std::vector<Delivery>> SqliteOutbox::dueDeliveries(
    std::int64_t now_ms, std::size_t limit, const std::optional<std::string>& destination) {
  auto st = db_.prepare(
      "SELECT o.id, o.alert_id, o.target, o.address, o.payload, o.attempts, "
      "COALESCE(a.channel_id, 0), o.destination FROM outbox o "
      "LEFT JOIN alerts a ON a.id = o.alert_id "
      "WHERE o.state = 'pending' AND o.next_ms <= ?1 AND (?3 IS NULL OR o.destination = ?3) "
      "ORDER BY o.id LIMIT ?2");
  if (!st) return std::unexpected(st.error());
  st->bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
  if (destination) st->bind(3, *destination);
  std::vector<Delivery> out;
  auto r = st->forEachRow([&](const sqlite::Statement& row) {
    out.push_back({row.int64(0), row.int64(1), row.text(2), row.text(3), row.text(4),
                   static_cast<int>(row.int64(5)), row.int64(6), row.text(7)});
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<std::vector<std::string>> SqliteOutbox::dueDestinations(std::int64_t now_ms) {
  auto st = db_.prepare(
      "SELECT DISTINCT destination FROM outbox WHERE state = 'pending' AND next_ms <= ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, now_ms);
  std::vector<std::string> out;
  auto r = st->forEachRow([&](const sqlite::Statement& row) { out.push_back(row.text(0)); });
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<void> SqliteOutbox::markDelivered(std::int64_t id) {
  // next_ms becomes the delivery time, from which the retention pass counts the grace period.
  auto st =
      db_.prepare("UPDATE outbox SET state = 'delivered', attempts = attempts + 1, next_ms = " +
                  std::string(kNowMs) + " WHERE id = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id);
  return st->run();
}

Result<void> SqliteOutbox::markAttempt(std::int64_t id, int attempts, std::int64_t next_ms,
                                       const std::string& error) {
  // A row given up on keeps the time it failed in next_ms, for the retention pass.
  auto st = db_.prepare("UPDATE outbox SET attempts = ?2, next_ms = CASE WHEN ?3 < 0 THEN " +
                        std::string(kNowMs) +
                        " ELSE ?3 END, last_error = ?4, "
                        "state = CASE WHEN ?3 < 0 THEN 'failed' ELSE 'pending' END WHERE id = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id).bind(2, static_cast<std::int64_t>(attempts)).bind(3, next_ms).bind(4, error);
  return st->run();
}

}  // namespace dots::cloud::sqlite_store
