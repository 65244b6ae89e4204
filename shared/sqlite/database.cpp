#include "shared/sqlite/database.h"

#include <sqlite3.h>

#include <utility>

namespace dots::sqlite {

namespace {
// SQLite result codes become our error reasons here, and nowhere else.
Error errorFrom(sqlite3* db, int rc, std::string_view what) {
  int primary = rc & 0xff;
  std::string reason = "sqlite";
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) reason = "sqlite-corrupt";
  if (primary == SQLITE_FULL) reason = "sqlite-full";
  std::string detail(what);
  detail += ": ";
  detail += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{reason, detail};
}
}  // namespace

struct Database::Handle {
  sqlite3* db = nullptr;
  ~Handle() {
    if (db) sqlite3_close_v2(db);
  }
};

struct Statement::Handle {
  sqlite3_stmt* stmt = nullptr;
  sqlite3* db = nullptr;
  ~Handle() {
    if (stmt) sqlite3_finalize(stmt);
  }
};

Database::Database(std::unique_ptr<Handle> handle, std::string path)
    : handle_(std::move(handle)), path_(std::move(path)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(const std::string& path, Mode mode) {
  auto handle = std::make_unique<Handle>();
  int flags =
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &handle->db, flags, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(errorFrom(handle->db, rc, "open " + path));
  sqlite3_extended_result_codes(handle->db, 1);
  sqlite3_busy_timeout(handle->db, 10000);
  return Database(std::move(handle), path);
}

Result<void> Database::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(handle_->db, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    Error e = errorFrom(handle_->db, rc, text.substr(0, 60));
    sqlite3_free(message);
    return std::unexpected(e);
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  auto handle = std::make_unique<Statement::Handle>();
  handle->db = handle_->db;
  int rc = sqlite3_prepare_v3(handle_->db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &handle->stmt, nullptr);
  if (rc != SQLITE_OK) {
    return std::unexpected(errorFrom(handle_->db, rc, "prepare " + std::string(sql.substr(0, 60))));
  }
  return Statement(std::move(handle));
}

std::int64_t Database::lastInsertRowid() const {
  return sqlite3_last_insert_rowid(handle_->db);
}
int Database::changes() const {
  return sqlite3_changes(handle_->db);
}

Statement::Statement(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::~Statement() = default;

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(handle_->stmt, index, value);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(handle_->stmt, index, value);
  return *this;
}
Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(handle_->stmt, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bindBlob(int index, std::span<const std::uint8_t> blob) {
  sqlite3_bind_blob(handle_->stmt, index, blob.data(), static_cast<int>(blob.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bindNull(int index) {
  sqlite3_bind_null(handle_->stmt, index);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(handle_->stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = errorFrom(handle_->db, rc, "step");
  sqlite3_reset(handle_->stmt);
  return std::unexpected(e);
}

Result<void> Statement::forEachRow(const std::function<void(const Statement&)>& row) {
  for (;;) {
    auto more = step();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    row(*this);
  }
  reset();
  return {};
}

Result<void> Statement::run() {
  return forEachRow([](const Statement&) {});
}

void Statement::reset() {
  sqlite3_reset(handle_->stmt);
  sqlite3_clear_bindings(handle_->stmt);
}

std::int64_t Statement::int64(int col) const {
  return sqlite3_column_int64(handle_->stmt, col);
}
double Statement::real(int col) const {
  return sqlite3_column_double(handle_->stmt, col);
}
std::string Statement::text(int col) const {
  const unsigned char* p = sqlite3_column_text(handle_->stmt, col);
  int n = sqlite3_column_bytes(handle_->stmt, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}
std::span<const std::uint8_t> Statement::blob(int col) const {
  const void* p = sqlite3_column_blob(handle_->stmt, col);
  int n = sqlite3_column_bytes(handle_->stmt, col);
  return {static_cast<const std::uint8_t*>(p), static_cast<std::size_t>(n)};
}
bool Statement::isNull(int col) const {
  return sqlite3_column_type(handle_->stmt, col) == SQLITE_NULL;
}

Result<Transaction> Transaction::begin(Database& db, Kind kind) {
  if (auto r = db.exec(kind == Kind::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN"); !r) {
    return std::unexpected(r.error());
  }
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  if (!db_) return fail("sqlite", "commit: the transaction has already ended");
  if (auto r = db_->exec("COMMIT"); !r) return r;
  db_ = nullptr;
  return {};
}

}  // namespace dots::sqlite
