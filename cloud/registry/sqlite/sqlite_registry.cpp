// SqliteRegistry: the schema, accounts, endpoints and their keys.
#include "cloud/registry/sqlite/sqlite_registry.h"

#include <algorithm>

#include "shared/log/log.h"
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
  format TEXT NOT NULL,
  username TEXT NOT NULL DEFAULT '',
  password TEXT NOT NULL DEFAULT '',
  ca_file TEXT NOT NULL DEFAULT '',
  cert_file TEXT NOT NULL DEFAULT '',
  key_file TEXT NOT NULL DEFAULT '');
-- A channel's retention periods in seconds (0: forever); a missing row or NULL: the default.
CREATE TABLE IF NOT EXISTS channel_retention(
  channel_id INTEGER PRIMARY KEY REFERENCES channels(id),
  readings_s INTEGER,
  aggregates_s INTEGER,
  alerts_s INTEGER);
CREATE TABLE IF NOT EXISTS registry_meta(
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL);
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
-- The HTTP API's bearer tokens, by the SHA-256 of the token (never the token itself).
-- account_id NULL: an operator token; endpoint: a push token's endpoint.
CREATE TABLE IF NOT EXISTS api_tokens(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  account_id INTEGER REFERENCES accounts(id),
  scopes INTEGER NOT NULL,
  endpoint TEXT REFERENCES endpoints(gateway),
  hash BLOB NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  revoked_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS allowed_destinations(
  id INTEGER PRIMARY KEY,
  cidr TEXT NOT NULL UNIQUE);
)sql";

// Registries made before streams had credentials gain their columns.
Result<void> addStreamAuthColumns(sqlite::Database& db) {
  auto st = db.prepare("SELECT 1 FROM pragma_table_info('streams') WHERE name = 'ca_file'");
  if (!st) return std::unexpected(st.error());
  bool present = false;
  auto read = st->forEachRow([&](const sqlite::Statement&) { present = true; });
  if (!read || present) return read;
  for (const char* column : {"username", "password", "ca_file", "cert_file", "key_file"}) {
    auto r = db.exec(std::string("ALTER TABLE streams ADD COLUMN ") + column +
                     " TEXT NOT NULL DEFAULT ''");
    if (!r) return r;
  }
  return {};
}

constexpr const char* kKekCheck = "kek-check";

// The registry's KEK check value, or nullopt while its keys are plaintext.
Result<std::optional<std::vector<std::uint8_t>>> kekCheck(sqlite::Database& db) {
  auto st = db.prepare("SELECT value FROM registry_meta WHERE name=?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, kKekCheck);
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::vector<std::uint8_t>>();
  auto blob = st->blob(0);
  return std::optional(std::vector<std::uint8_t>(blob.begin(), blob.end()));
}

Result<std::int64_t> plaintextKeys(sqlite::Database& db) {
  auto st = db.prepare("SELECT count(*) FROM endpoint_keys WHERE length(key) = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, static_cast<std::int64_t>(seal::kKeyBytes));
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  return st->int64(0);
}

Result<void> storeKekCheck(sqlite::Database& db, KeyWrap& kek) {
  auto st = db.prepare("INSERT OR REPLACE INTO registry_meta(name, value) VALUES(?1, ?2)");
  if (!st) return std::unexpected(st.error());
  st->bind(1, kKekCheck).bindBlob(2, kek.checkValue());
  return st->run();
}

// Checks the KEK (or its absence) against what the registry holds; a new registry opened with
// a KEK is marked as sealed before it holds any key.
Result<void> admitKek(sqlite::Database& db, KeyWrap* kek, const RegistryOptions& options) {
  const std::string file = db.path();
  auto tx = sqlite::Transaction::begin(db, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());
  auto check = kekCheck(db);
  if (!check) return std::unexpected(check.error());
  if (*check && !kek) {
    return fail("kek-required", "the keys in " + file +
                                    " are encrypted: give the key-encryption key with "
                                    "--kek-file FILE (or DOTS_KEK_FILE=FILE)");
  }
  if (*check && !kek->matches(**check)) {
    return fail("kek-mismatch", "the key-encryption key given is not the one the keys in " + file +
                                    " are encrypted under");
  }
  if (*check || !kek) return {};
  auto plain = plaintextKeys(db);
  if (!plain) return std::unexpected(plain.error());
  if (*plain > 0 && !options.allow_plaintext_keys) {
    return fail("keys-not-encrypted",
                file + " holds " + std::to_string(*plain) +
                    " plaintext keys: encrypt them first with `dotsctl --data DIR --kek-file FILE "
                    "registry encrypt-keys`, or leave out the key-encryption key");
  }
  if (*plain > 0) return {};  // encryptKeys() seals them and then marks the registry
  if (auto r = storeKekCheck(db, *kek); !r) return r;
  return tx->commit();
}

}  // namespace

Result<std::unique_ptr<SqliteRegistry>> SqliteRegistry::open(const std::string& data_dir,
                                                             const RegistryOptions& options) {
  auto db = sqlite::Database::open(data_dir + "/registry.db");
  if (!db) return std::unexpected(db.error());
  if (auto r = db->exec("PRAGMA journal_mode=WAL"); !r) return std::unexpected(r.error());
  if (auto r = db->exec("PRAGMA foreign_keys=ON"); !r) return std::unexpected(r.error());
  // Freed space (a key replaced by its sealed form, a retired key) is zeroed, not left behind.
  if (auto r = db->exec("PRAGMA secure_delete=ON"); !r) return std::unexpected(r.error());
  if (auto r = db->exec(kSchema); !r) return std::unexpected(r.error());
  if (auto r = addStreamAuthColumns(*db); !r) return std::unexpected(r.error());
  std::unique_ptr<KeyWrap> kek;
  if (options.kek) kek = std::make_unique<KeyWrap>(*options.kek);
  if (auto r = admitKek(*db, kek.get(), options); !r) return std::unexpected(r.error());
  return std::make_unique<SqliteRegistry>(std::move(*db), std::move(kek));
}

Result<void> SqliteRegistry::refuseIfSealed(std::string_view what) {
  auto check = kekCheck(db_);
  if (!check) return std::unexpected(check.error());
  if (*check) {
    return fail("kek-required", "the " + std::string(what) + " in " + db_.path() +
                                    " are encrypted: give the key-encryption key with "
                                    "--kek-file FILE (or DOTS_KEK_FILE=FILE)");
  }
  return {};
}

Result<std::vector<std::uint8_t>> SqliteRegistry::storedForm(const std::string& gateway,
                                                             std::uint32_t key_id,
                                                             const seal::Key& key) {
  if (kek_) return kek_->wrap(gateway, key_id, key);
  if (auto r = refuseIfSealed("keys"); !r) return std::unexpected(r.error());
  return std::vector<std::uint8_t>(key.begin(), key.end());
}

Result<std::string> SqliteRegistry::storedSecret(const std::string& owner,
                                                 const std::string& secret) {
  if (secret.empty()) return secret;
  if (kek_) return kek_->wrapSecret(owner, secret);
  if (auto r = refuseIfSealed("secrets"); !r) return std::unexpected(r.error());
  return secret;
}

std::string SqliteRegistry::plainSecret(const std::string& owner, const std::string& stored) {
  if (!KeyWrap::isSealed(stored)) return stored;
  if (kek_) {
    if (auto plain = kek_->unwrapSecret(owner, stored)) return *plain;
  }
  std::string what = owner;
  std::replace(what.begin(), what.end(), '\0', ' ');
  log::warn("registry", "a sealed secret (", what, ") does not open under the KEK: left empty");
  return {};
}

Result<std::size_t> SqliteRegistry::sealSecrets() {
  std::size_t sealed = 0;
  // Each table's plaintext secrets: its key columns, the owner they make, the UPDATE.
  struct Plain {
    std::string owner;
    std::string secret;
    std::int64_t id;
    std::string url;
  };
  std::vector<Plain> streams;
  std::vector<Plain> hooks;
  auto sel = db_.prepare("SELECT id, name, password FROM streams WHERE password <> ''");
  if (!sel) return std::unexpected(sel.error());
  auto read = sel->forEachRow([&](const sqlite::Statement& row) {
    if (KeyWrap::isSealed(row.text(2))) return;
    streams.push_back({secretOwner("stream-password", row.text(1)), row.text(2), row.int64(0), {}});
  });
  if (!read) return std::unexpected(read.error());
  auto hook_sel = db_.prepare("SELECT channel_id, url, secret FROM webhook_secrets");
  if (!hook_sel) return std::unexpected(hook_sel.error());
  read = hook_sel->forEachRow([&](const sqlite::Statement& row) {
    if (KeyWrap::isSealed(row.text(2))) return;
    hooks.push_back({secretOwner("webhook-secret", std::to_string(row.int64(0)), row.text(1)),
                     row.text(2), row.int64(0), row.text(1)});
  });
  if (!read) return std::unexpected(read.error());
  auto up = db_.prepare("UPDATE streams SET password = ?2 WHERE id = ?1");
  auto hook_up =
      db_.prepare("UPDATE webhook_secrets SET secret = ?3 WHERE channel_id = ?1 AND url = ?2");
  if (!up) return std::unexpected(up.error());
  if (!hook_up) return std::unexpected(hook_up.error());
  for (Plain& p : streams) {
    up->bind(1, p.id).bind(2, kek_->wrapSecret(p.owner, p.secret));
    if (auto r = up->run(); !r) return std::unexpected(r.error());
    std::fill(p.secret.begin(), p.secret.end(), '\0');
    ++sealed;
  }
  for (Plain& p : hooks) {
    hook_up->bind(1, p.id).bind(2, p.url).bind(3, kek_->wrapSecret(p.owner, p.secret));
    if (auto r = hook_up->run(); !r) return std::unexpected(r.error());
    std::fill(p.secret.begin(), p.secret.end(), '\0');
    ++sealed;
  }
  return sealed;
}

Result<KeyEncryption> SqliteRegistry::encryptKeys() {
  if (!kek_) return fail("no-kek", "encrypting the keys needs a key-encryption key (--kek-file)");
  KeyEncryption done;
  {
    auto tx = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
    if (!tx) return std::unexpected(tx.error());
    auto sel = db_.prepare("SELECT gateway, key_id, key FROM endpoint_keys WHERE length(key) = ?1");
    if (!sel) return std::unexpected(sel.error());
    sel->bind(1, static_cast<std::int64_t>(seal::kKeyBytes));
    struct Row {
      std::string gateway;
      std::uint32_t key_id;
      seal::Key key;
    };
    std::vector<Row> rows;
    auto read = sel->forEachRow([&](const sqlite::Statement& row) {
      Row r{row.text(0), static_cast<std::uint32_t>(row.int64(1)), {}};
      auto blob = row.blob(2);
      std::copy(blob.begin(), blob.end(), r.key.begin());
      rows.push_back(std::move(r));
    });
    if (!read) return std::unexpected(read.error());
    auto up = db_.prepare("UPDATE endpoint_keys SET key=?3 WHERE gateway=?1 AND key_id=?2");
    if (!up) return std::unexpected(up.error());
    for (Row& r : rows) {
      up->reset();
      up->bind(1, r.gateway)
          .bind(2, static_cast<std::int64_t>(r.key_id))
          .bindBlob(3, kek_->wrap(r.gateway, r.key_id, r.key));
      if (auto u = up->run(); !u) return std::unexpected(u.error());
      r.key.fill(0);
    }
    if (auto c = kekCheck(db_); !c) {
      return std::unexpected(c.error());
    } else if (!*c) {
      if (auto s = storeKekCheck(db_, *kek_); !s) return std::unexpected(s.error());
    }
    auto secrets = sealSecrets();
    if (!secrets) return std::unexpected(secrets.error());
    if (auto c = tx->commit(); !c) return std::unexpected(c.error());
    done.sealed = rows.size();
    done.secrets = *secrets;
  }
  // The plaintext may still be in the WAL's frames and in free pages: copy the pages back,
  // rebuild the file (VACUUM) and empty the WAL. A reader elsewhere keeps the WAL from being
  // emptied; then `scrubbed` is false and running the command again later finishes the job.
  auto checkpoint = [&]() -> Result<bool> {
    auto st = db_.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!st) return std::unexpected(st.error());
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    return *row && st->int64(0) == 0;  // column 0: 1 when it could not finish (busy)
  };
  if (auto c = checkpoint(); !c) return std::unexpected(c.error());
  if (auto v = db_.exec("VACUUM"); !v) return std::unexpected(v.error());
  auto truncated = checkpoint();
  if (!truncated) return std::unexpected(truncated.error());
  done.scrubbed = *truncated;
  return done;
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
  auto stored = storedForm(gateway, 1, ep.keys[1]);
  if (!stored) return std::unexpected(stored.error());
  key->bind(1, gateway).bindBlob(2, *stored).bind(3, wallMillis());
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
    if (row.isNull(4)) return;
    auto key_id = static_cast<std::uint32_t>(row.int64(4));
    auto blob = row.blob(5);
    // A key that is not in this connection's form (or does not open under its KEK) is left
    // out: its gateway's batches are then refused as "unknown-key" and counted.
    if (kek_) {
      if (auto key = kek_->unwrap(gw, key_id, blob)) out.back().keys[key_id] = *key;
    } else if (blob.size() == seal::kKeyBytes) {
      seal::Key key{};
      std::copy(blob.begin(), blob.end(), key.begin());
      out.back().keys[key_id] = key;
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
  auto stored = storedForm(gateway, next, key);
  if (!stored) return std::unexpected(stored.error());
  ins->bind(1, gateway)
      .bind(2, static_cast<std::int64_t>(next))
      .bindBlob(3, *stored)
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
