#include "registry/registry.h"

#include <algorithm>

#include "core/clock.h"
#include "core/topics.h"

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
)sql";
}  // namespace

Result<Registry> Registry::open(const std::string& data_dir) {
  auto db = sqlite::Database::open(data_dir + "/registry.db");
  if (!db) return std::unexpected(db.error());
  if (auto r = db->exec("PRAGMA journal_mode=WAL"); !r) return std::unexpected(r.error());
  if (auto r = db->exec("PRAGMA foreign_keys=ON"); !r) return std::unexpected(r.error());
  if (auto r = db->exec(kSchema); !r) return std::unexpected(r.error());
  return Registry(std::move(*db));
}

Result<Account> Registry::addAccount(const std::string& name) {
  if (!topics::isValidGatewayId(name)) {
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

Result<std::vector<Account>> Registry::accounts() {
  auto st = db_.prepare("SELECT id, name FROM accounts ORDER BY name");
  if (!st) return std::unexpected(st.error());
  std::vector<Account> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({st->int64(0), st->text(1)});
  }
  return out;
}

Result<Endpoint> Registry::addEndpoint(const std::string& account, const std::string& gateway) {
  if (!topics::isValidGatewayId(gateway)) {
    return fail("bad-gateway-id", "gateway ids are 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  auto find = db_.prepare("SELECT id FROM accounts WHERE name=?1");
  if (!find) return std::unexpected(find.error());
  find->bind(1, account);
  auto row = find->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail("no-such-account", "no account \"" + account + "\"");
  std::int64_t account_id = find->int64(0);
  find->reset();

  Endpoint ep{gateway, account, true, 1, {{1, seal::randomKey()}}};
  if (auto r = db_.exec("BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  auto ins = db_.prepare(
      "INSERT INTO endpoints(gateway, account_id, enabled, active_key_id, created_ms) "
      "VALUES(?1, ?2, 1, 1, ?3) ON CONFLICT DO NOTHING");
  if (!ins) {
    (void)db_.exec("ROLLBACK");
    return std::unexpected(ins.error());
  }
  ins->bind(1, gateway).bind(2, account_id).bind(3, wallMillis());
  if (auto r = ins->run(); !r) {
    (void)db_.exec("ROLLBACK");
    return std::unexpected(r.error());
  }
  if (db_.changes() == 0) {
    (void)db_.exec("ROLLBACK");
    return fail("exists", "gateway \"" + gateway + "\" already has an endpoint");
  }
  auto key = db_.prepare(
      "INSERT INTO endpoint_keys(gateway, key_id, key, created_ms) VALUES(?1, 1, ?2, ?3)");
  if (!key) {
    (void)db_.exec("ROLLBACK");
    return std::unexpected(key.error());
  }
  key->bind(1, gateway).bindBlob(2, ep.keys[1]).bind(3, wallMillis());
  if (auto r = key->run(); !r) {
    (void)db_.exec("ROLLBACK");
    return std::unexpected(r.error());
  }
  if (auto r = db_.exec("COMMIT"); !r) return std::unexpected(r.error());
  return ep;
}

Result<std::vector<Endpoint>> Registry::query(const std::string& where, const std::string& arg) {
  auto st = db_.prepare(
      "SELECT e.gateway, a.name, e.enabled, e.active_key_id, k.key_id, k.key "
      "FROM endpoints e JOIN accounts a ON a.id = e.account_id "
      "LEFT JOIN endpoint_keys k ON k.gateway = e.gateway " +
      where + " ORDER BY e.gateway, k.key_id");
  if (!st) return std::unexpected(st.error());
  if (!arg.empty()) st->bind(1, arg);
  std::vector<Endpoint> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    std::string gw = st->text(0);
    if (out.empty() || out.back().gateway != gw) {
      out.push_back(Endpoint{
          gw, st->text(1), st->int64(2) != 0, static_cast<std::uint32_t>(st->int64(3)), {}});
    }
    auto blob = st->blob(5);
    if (!st->isNull(4) && blob.size() == seal::kKeyBytes) {
      seal::Key key{};
      std::copy(blob.begin(), blob.end(), key.begin());
      out.back().keys[static_cast<std::uint32_t>(st->int64(4))] = key;
    }
  }
  return out;
}

Result<std::vector<Endpoint>> Registry::endpoints() {
  return query("", "");
}

Result<std::optional<Endpoint>> Registry::endpoint(const std::string& gateway) {
  auto list = query("WHERE e.gateway = ?1", gateway);
  if (!list) return std::unexpected(list.error());
  if (list->empty()) return std::optional<Endpoint>();
  return std::optional<Endpoint>(std::move(list->front()));
}

Result<void> Registry::setEnabled(const std::string& gateway, bool enabled) {
  auto st = db_.prepare("UPDATE endpoints SET enabled=?1 WHERE gateway=?2");
  if (!st) return std::unexpected(st.error());
  st->bind(1, static_cast<std::int64_t>(enabled ? 1 : 0)).bind(2, gateway);
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0)
    return fail("no-such-endpoint", "no endpoint for gateway \"" + gateway + "\"");
  return {};
}

Result<std::int64_t> Registry::dataVersion() {
  auto st = db_.prepare("PRAGMA data_version");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  std::int64_t v = st->int64(0);
  st->reset();
  return v;
}

}  // namespace dots::cloud
