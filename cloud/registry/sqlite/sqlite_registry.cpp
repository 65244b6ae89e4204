// SqliteRegistry: the schema, accounts, endpoints and their keys.
#include "cloud/registry/sqlite/sqlite_registry.h"

#include <algorithm>

#include "shared/time/clock.h"
#include "shared/topics/topics.h"

namespace dots::cloud {

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS accounts(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS endpoints(
  gateway TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  enabled INTEGER NOT NULL DEFAULT 1,
  active_key_id INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS endpoint_keys(
  gateway TEXT NOT NULL REFERENCES endpoints(gateway),
  key_id INTEGER NOT NULL,
  key BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(gateway, key_id));
CREATE TABLE IF NOT EXISTS environments(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  owner_id INTEGER REFERENCES accounts(id));
CREATE TABLE IF NOT EXISTS channels(
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  environment_id INTEGER NOT NULL REFERENCES environments(id),
  handlers TEXT NOT NULL,
  UNIQUE(account_id, name));
CREATE TABLE IF NOT EXISTS routes(
  id INTEGER PRIMARY KEY,
  gateway TEXT NOT NULL REFERENCES endpoints(gateway),
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  sensors TEXT NOT NULL,
  UNIQUE(gateway, channel_id, sensors));
CREATE TABLE IF NOT EXISTS streams(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  broker TEXT NOT NULL,
  topic TEXT NOT NULL,
  format TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stream_limits(
  stream_id INTEGER PRIMARY KEY REFERENCES streams(id),
  max_message_bytes INTEGER NOT NULL,
  rate_per_s REAL NOT NULL,
  queue INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_secrets(
  channel_id INTEGER NOT NULL REFERENCES channels(id),
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  PRIMARY KEY(channel_id, url));
CREATE TABLE IF NOT EXISTS allowed_destinations(
  id INTEGER PRIMARY KEY,
  cidr TEXT NOT NULL UNIQUE);
)sql";

}  // namespace

Result<std::unique_ptr<SqliteRegistry>> SqliteRegistry::open(const std::string& data_dir) {
  auto db = sqlite::Database::open(data_dir + "/registry.db");
  if (!db) return std::unexpected(db.error());
  if (auto r = db->exec("PRAGMA journal_mode=WAL"); !r) return std::unexpected(r.error());
  if (auto r = db->exec("PRAGMA foreign_keys=ON"); !r) return std::unexpected(r.error());
  if (auto r = db->exec(kSchema); !r) return std::unexpected(r.error());
  return std::make_unique<SqliteRegistry>(std::move(*db));
}

Result<Account> SqliteRegistry::addAccount(const std::string& name) {
  if (!topics::isValidName(name)) {
    return fail("bad-name", "account names are 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  auto st =
      db_.prepare("INSERT INTO accounts(name, created_ms) VALUES(?1, ?2) ON CONFLICT DO NOTHING");
  if (!st) return std::unexpected(st.error());
  st->bind(1, name).bind(2, wallMillis());
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0) return fail("exists", "account \"" + name + "\" already exists");
  return Account{db_.lastInsertRowid(), name};
}

Result<std::vector<Account>> SqliteRegistry::accounts() {
  auto st = db_.prepare("SELECT id, name FROM accounts ORDER BY name");
  if (!st) return std::unexpected(st.error());
  std::vector<Account> out;
  auto read = st->forEachRow([&](const sqlite::Statement& row) {
    out.push_back({row.int64(0), row.text(1)});
  });
  if (!read) return std::unexpected(read.error());
  return out;
}

Result<Endpoint> SqliteRegistry::addEndpoint(const std::string& account,
                                             const std::string& gateway) {
  if (!topics::isValidName(gateway)) {
    return fail("bad-gateway-id", "gateway ids are 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  auto account_id = accountId(account);
  if (!account_id) return std::unexpected(account_id.error());

  Endpoint ep{gateway, account, true, 1, {{1, seal::randomKey()}}};
  auto tx = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());
  auto ins = db_.prepare(
      "INSERT INTO endpoints(gateway, account_id, enabled, active_key_id, created_ms) "
      "VALUES(?1, ?2, 1, 1, ?3) ON CONFLICT DO NOTHING");
  if (!ins) return std::unexpected(ins.error());
  ins->bind(1, gateway).bind(2, *account_id).bind(3, wallMillis());
  if (auto r = ins->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0)
    return fail("exists", "gateway \"" + gateway + "\" already has an endpoint");
  auto key = db_.prepare(
      "INSERT INTO endpoint_keys(gateway, key_id, key, created_ms) VALUES(?1, 1, ?2, ?3)");
  if (!key) return std::unexpected(key.error());
  key->bind(1, gateway).bindBlob(2, ep.keys[1]).bind(3, wallMillis());
  if (auto r = key->run(); !r) return std::unexpected(r.error());
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  return ep;
}

Result<std::vector<Endpoint>> SqliteRegistry::query(const std::string& where,
                                                    const std::string& arg) {
  auto st = db_.prepare(
      "SELECT e.gateway, a.name, e.enabled, e.active_key_id, k.key_id, k.key "
      "FROM endpoints e JOIN accounts a ON a.id = e.account_id "
      "LEFT JOIN endpoint_keys k ON k.gateway = e.gateway " +
      where + " ORDER BY e.gateway, k.key_id");
  if (!st) return std::unexpected(st.error());
  if (!arg.empty()) st->bind(1, arg);
  // One row per key (or one without a key): rows of one gateway come together.
  std::vector<Endpoint> out;
  auto read = st->forEachRow([&](const sqlite::Statement& row) {
    std::string gw = row.text(0);
    if (out.empty() || out.back().gateway != gw) {
      out.push_back(Endpoint{
          gw, row.text(1), row.int64(2) != 0, static_cast<std::uint32_t>(row.int64(3)), {}});
    }
    auto blob = row.blob(5);
    if (!row.isNull(4) && blob.size() == seal::kKeyBytes) {
      seal::Key key{};
      std::copy(blob.begin(), blob.end(), key.begin());
      out.back().keys[static_cast<std::uint32_t>(row.int64(4))] = key;
    }
  });
  if (!read) return std::unexpected(read.error());
  return out;
}

Result<std::vector<Endpoint>> SqliteRegistry::endpoints() {
  return query("", "");
}

Result<std::optional<Endpoint>> SqliteRegistry::endpoint(const std::string& gateway) {
  auto list = query("WHERE e.gateway = ?1", gateway);
  if (!list) return std::unexpected(list.error());
  if (list->empty()) return std::optional<Endpoint>();
  return std::optional<Endpoint>(std::move(list->front()));
}

Result<void> SqliteRegistry::setEnabled(const std::string& gateway, bool enabled) {
  auto st = db_.prepare("UPDATE endpoints SET enabled=?1 WHERE gateway=?2");
  if (!st) return std::unexpected(st.error());
  st->bind(1, static_cast<std::int64_t>(enabled ? 1 : 0)).bind(2, gateway);
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0)
    return fail("no-such-endpoint", "no endpoint for gateway \"" + gateway + "\"");
  return {};
}

Result<std::int64_t> SqliteRegistry::accountId(const std::string& name) {
  auto st = db_.prepare("SELECT id FROM accounts WHERE name=?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, name);
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail("no-such-account", "no account \"" + name + "\"");
  return st->int64(0);
}

Result<Endpoint> SqliteRegistry::rotateKey(const std::string& gateway) {
  auto current = endpoint(gateway);
  if (!current) return std::unexpected(current.error());
  if (!*current) return fail("no-such-endpoint", "no endpoint for gateway \"" + gateway + "\"");
  std::uint32_t next = (*current)->keys.empty() ? 1 : (*current)->keys.rbegin()->first + 1;
  seal::Key key = seal::randomKey();
  auto tx = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());
  auto ins = db_.prepare(
      "INSERT INTO endpoint_keys(gateway, key_id, key, created_ms) VALUES(?1, ?2, ?3, ?4)");
  auto up = db_.prepare("UPDATE endpoints SET active_key_id=?2 WHERE gateway=?1");
  if (!ins || !up) return std::unexpected(!ins ? ins.error() : up.error());
  ins->bind(1, gateway)
      .bind(2, static_cast<std::int64_t>(next))
      .bindBlob(3, key)
      .bind(4, wallMillis());
  up->bind(1, gateway).bind(2, static_cast<std::int64_t>(next));
  if (auto r = ins->run(); !r) return std::unexpected(r.error());
  if (auto r = up->run(); !r) return std::unexpected(r.error());
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  Endpoint ep = **current;
  ep.keys[next] = key;
  ep.active_key_id = next;
  return ep;
}

Result<void> SqliteRegistry::retireKey(const std::string& gateway, std::uint32_t key_id) {
  auto current = endpoint(gateway);
  if (!current) return std::unexpected(current.error());
  if (!*current) return fail("no-such-endpoint", "no endpoint for gateway \"" + gateway + "\"");
  if (!(*current)->keys.contains(key_id)) {
    return fail("no-such-key", "gateway \"" + gateway + "\" has no key " + std::to_string(key_id));
  }
  if ((*current)->active_key_id == key_id) {
    return fail("active-key", "key " + std::to_string(key_id) + " is the active key; rotate first");
  }
  auto st = db_.prepare("DELETE FROM endpoint_keys WHERE gateway=?1 AND key_id=?2");
  if (!st) return std::unexpected(st.error());
  st->bind(1, gateway).bind(2, static_cast<std::int64_t>(key_id));
  return st->run();
}

Result<std::int64_t> SqliteRegistry::dataVersion() {
  auto st = db_.prepare("PRAGMA data_version");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  std::int64_t v = st->int64(0);
  st->reset();
  return v;
}

}  // namespace dots::cloud
