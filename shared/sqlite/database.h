#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "shared/error/error.h"

namespace dots::sqlite {

class Statement;

// One SQLite connection (the only place that sees sqlite3 types). Not thread-safe: one
// connection per thread. Errors carry reason "sqlite" (or "sqlite-corrupt", "sqlite-full").
class Database {
 public:
  enum class Mode { kReadWriteCreate, kReadOnly };

  static Result<Database> open(const std::string& path, Mode mode = Mode::kReadWriteCreate);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  std::int64_t lastInsertRowid() const;
  int changes() const;
  const std::string& path() const { return path_; }

 private:
  struct Handle;
  Database(std::unique_ptr<Handle> handle, std::string path);
  friend class Statement;
  std::unique_ptr<Handle> handle_;
  std::string path_;
};

// A prepared statement; binds are 1-based, columns 0-based, as in SQLite.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bindBlob(int index, std::span<const std::uint8_t> blob);
  Statement& bindNull(int index);

  // Returns true while a row is available, false when done.
  Result<bool> step();
  // Steps through every row, calling `row` with the statement positioned on it (read its
  // columns there; they are gone after the call), then resets the statement and clears its
  // binds so it can be bound and run again. On an error the rows seen so far have been passed
  // on and the statement is reset, its binds kept.
  Result<void> forEachRow(const std::function<void(const Statement&)>& row);
  // Runs to completion, ignoring rows; resets as forEachRow does.
  Result<void> run();
  void reset();

  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::span<const std::uint8_t> blob(int col) const;
  bool isNull(int col) const;

 private:
  struct Handle;
  explicit Statement(std::unique_ptr<Handle> handle);
  friend class Database;
  std::unique_ptr<Handle> handle_;
};

// A transaction that ends in a rollback unless commit() succeeded: every early return after
// begin() rolls back without a ROLLBACK written beside it. Holds a reference to the database,
// which must outlive it; not copyable, movable only to return it from begin().
//
// What a caller keeps in memory about the data (counters, caches) is its own to undo: change it
// after commit() returned, or restore it when commit() fails.
class Transaction {
 public:
  enum class Kind {
    kDeferred,   // BEGIN: takes the write lock at the first write
    kImmediate,  // BEGIN IMMEDIATE: takes the write lock now, so the writes cannot meet SQLITE_BUSY
  };

  static Result<Transaction> begin(Database& db, Kind kind = Kind::kDeferred);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Rolls back unless committed; the rollback's own error (e.g. SQLite already rolled back
  // after SQLITE_FULL) is ignored, as there is nothing left to undo.
  ~Transaction();

  // COMMIT. When it fails the transaction is still open and the destructor rolls it back.
  // Calling it twice is an error ("sqlite").
  Result<void> commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;  // null once committed or moved from
};

}  // namespace dots::sqlite
