#pragma once

#include <memory>
#include <string>

#include "cloud/store/outbox.h"
#include "shared/sqlite/database.h"

namespace dots::cloud::sqlite_store {

// The outbox table of <data dir>/store.db on a connection of its own (the notifier's thread).
class SqliteOutbox final : public Outbox {
 public:
  static Result<std::unique_ptr<SqliteOutbox>> open(const std::string& data_dir);

  Result<std::vector<Delivery>> dueDeliveries(
      std::int64_t now_ms, std::size_t limit,
      const std::optional<std::string>& destination = std::nullopt) override;
  Result<std::vector<std::string>> dueDestinations(std::int64_t now_ms) override;
  Result<void> markDelivered(std::int64_t id) override;
  Result<void> markAttempt(std::int64_t id, int attempts, std::int64_t next_ms,
                           const std::string& error) override;

 private:
  explicit SqliteOutbox(sqlite::Database db) : db_(std::move(db)) {}
  sqlite::Database db_;
};

}  // namespace dots::cloud::sqlite_store
