#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "shared/sqlite/database.h"
#include "tests/unit/temp_dir.h"

using namespace dots;
using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

Database openDb(const std::string& path) {
  auto db = Database::open(path);
  REQUIRE(db.has_value());
  REQUIRE(db->exec("PRAGMA journal_mode=WAL").has_value());
  REQUIRE(db->exec("CREATE TABLE IF NOT EXISTS t(v INTEGER NOT NULL)").has_value());
  return std::move(*db);
}

void insert(Database& db, std::int64_t v) {
  auto st = db.prepare("INSERT INTO t(v) VALUES(?1)");
  REQUIRE(st.has_value());
  st->bind(1, v);
  REQUIRE(st->run().has_value());
}

std::vector<std::int64_t> values(Database& db) {
  auto st = db.prepare("SELECT v FROM t ORDER BY v");
  REQUIRE(st.has_value());
  std::vector<std::int64_t> out;
  REQUIRE(st->forEachRow([&](const Statement& row) { out.push_back(row.int64(0)); }));
  return out;
}

}  // namespace

TEST_CASE("sqlite::Transaction: rolls back when destroyed without commit") {
  test::TempDir dir;
  Database db = openDb(dir.file("t.db"));
  insert(db, 1);
  {
    auto tx = Transaction::begin(db, Transaction::Kind::kImmediate);
    REQUIRE(tx.has_value());
    insert(db, 2);
    CHECK(values(db) == std::vector<std::int64_t>{1, 2});  // visible inside the transaction
  }
  CHECK(values(db) == std::vector<std::int64_t>{1});
  // The connection is out of the transaction: a new one can begin.
  auto again = Transaction::begin(db);
  CHECK(again.has_value());
}

TEST_CASE("sqlite::Transaction: commit persists, for another connection too") {
  test::TempDir dir;
  Database db = openDb(dir.file("t.db"));
  {
    auto tx = Transaction::begin(db);
    REQUIRE(tx.has_value());
    insert(db, 7);
    REQUIRE(tx->commit().has_value());
    // A second commit is refused, and the destructor does not undo the first.
    auto twice = tx->commit();
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.error().reason == "sqlite");
  }
  Database other = openDb(dir.file("t.db"));
  CHECK(values(other) == std::vector<std::int64_t>{7});
}

TEST_CASE("sqlite::Transaction: a failed commit leaves it open, and the destructor rolls back") {
  test::TempDir dir;
  Database db = openDb(dir.file("t.db"));
  // A deferred foreign key is checked at COMMIT, which then fails without ending the transaction.
  REQUIRE(db.exec("PRAGMA foreign_keys=ON").has_value());
  REQUIRE(db.exec("CREATE TABLE parent(id INTEGER PRIMARY KEY);"
                  "CREATE TABLE child(parent_id INTEGER REFERENCES parent(id) "
                  "DEFERRABLE INITIALLY DEFERRED)")
              .has_value());
  {
    auto tx = Transaction::begin(db, Transaction::Kind::kImmediate);
    REQUIRE(tx.has_value());
    insert(db, 3);
    REQUIRE(db.exec("INSERT INTO child(parent_id) VALUES(42)").has_value());
    auto committed = tx->commit();
    REQUIRE_FALSE(committed.has_value());
    CHECK(committed.error().reason == "sqlite");
    CHECK(committed.error().detail.find("FOREIGN KEY") != std::string::npos);
  }
  CHECK(values(db).empty());
  auto st = db.prepare("SELECT count(*) FROM child");
  REQUIRE(st.has_value());
  REQUIRE(st->step().value());
  CHECK(st->int64(0) == 0);
}

TEST_CASE("sqlite::Transaction: IMMEDIATE takes the write lock at begin, deferred does not") {
  test::TempDir dir;
  Database a = openDb(dir.file("t.db"));
  Database b = openDb(dir.file("t.db"));
  REQUIRE(b.exec("PRAGMA busy_timeout=0").has_value());  // fail at once instead of waiting
  {
    auto deferred = Transaction::begin(a);
    REQUIRE(deferred.has_value());
    auto other = Transaction::begin(b, Transaction::Kind::kImmediate);
    CHECK(other.has_value());
  }
  {
    auto immediate = Transaction::begin(a, Transaction::Kind::kImmediate);
    REQUIRE(immediate.has_value());
    auto other = Transaction::begin(b, Transaction::Kind::kImmediate);
    REQUIRE_FALSE(other.has_value());
    CHECK(other.error().detail.find("locked") != std::string::npos);
  }
}

TEST_CASE("sqlite::Transaction: a moved guard commits or rolls back once") {
  test::TempDir dir;
  Database db = openDb(dir.file("t.db"));
  auto tx = Transaction::begin(db);
  REQUIRE(tx.has_value());
  insert(db, 5);
  {
    Transaction moved(std::move(*tx));
    REQUIRE(moved.commit().has_value());
  }
  // The moved-from guard neither commits nor rolls back.
  CHECK_FALSE(tx->commit().has_value());
  CHECK(values(db) == std::vector<std::int64_t>{5});
}

TEST_CASE("sqlite::Statement::forEachRow: every row in order, then ready to run again") {
  test::TempDir dir;
  Database db = openDb(dir.file("t.db"));
  for (std::int64_t v : {3, 1, 2}) insert(db, v);
  auto st = db.prepare("SELECT v FROM t WHERE v >= ?1 ORDER BY v");
  REQUIRE(st.has_value());
  std::vector<std::int64_t> seen;
  st->bind(1, std::int64_t{2});
  REQUIRE(st->forEachRow([&](const Statement& row) { seen.push_back(row.int64(0)); }));
  CHECK(seen == std::vector<std::int64_t>{2, 3});
  // Binds were cleared: ?1 is NULL now, and nothing is >= NULL.
  seen.clear();
  REQUIRE(st->forEachRow([&](const Statement& row) { seen.push_back(row.int64(0)); }));
  CHECK(seen.empty());
  st->bind(1, std::int64_t{1});
  REQUIRE(st->forEachRow([&](const Statement& row) { seen.push_back(row.int64(0)); }));
  CHECK(seen == std::vector<std::int64_t>{1, 2, 3});
}

TEST_CASE("sqlite::Statement::forEachRow: a failing step is returned, after the rows before it") {
  test::TempDir dir;
  Database db = openDb(dir.file("t.db"));
  for (std::int64_t v : {1, 2, 3}) insert(db, v);
  // abs() of the smallest integer is an "integer overflow" error, raised at the third row.
  // Rowid order is the scan's own: a sort would evaluate every row before the first step.
  auto st = db.prepare(
      "SELECT CASE WHEN v < 3 THEN v ELSE abs(-9223372036854775807 - 1) END FROM t ORDER BY rowid");
  REQUIRE(st.has_value());
  std::vector<std::int64_t> seen;
  auto r = st->forEachRow([&](const Statement& row) { seen.push_back(row.int64(0)); });
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().detail.find("overflow") != std::string::npos);
  CHECK(seen == std::vector<std::int64_t>{1, 2});
}
