#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"

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
  // Runs to completion, ignoring rows.
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

}  // namespace dots::sqlite
