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
)sql";

// Handler specs are stored one per line.
std::string joinLines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : "\n") + item;
  return out;
}
std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}
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

Result<std::int64_t> Registry::accountId(const std::string& name) {
  auto st = db_.prepare("SELECT id FROM accounts WHERE name=?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, name);
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail("no-such-account", "no account \"" + name + "\"");
  return st->int64(0);
}

Result<Endpoint> Registry::rotateKey(const std::string& gateway) {
  auto current = endpoint(gateway);
  if (!current) return std::unexpected(current.error());
  if (!*current) return fail("no-such-endpoint", "no endpoint for gateway \"" + gateway + "\"");
  std::uint32_t next = (*current)->keys.empty() ? 1 : (*current)->keys.rbegin()->first + 1;
  seal::Key key = seal::randomKey();
  if (auto r = db_.exec("BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  auto ins = db_.prepare(
      "INSERT INTO endpoint_keys(gateway, key_id, key, created_ms) VALUES(?1, ?2, ?3, ?4)");
  auto up = db_.prepare("UPDATE endpoints SET active_key_id=?2 WHERE gateway=?1");
  if (!ins || !up) {
    (void)db_.exec("ROLLBACK");
    return std::unexpected(!ins ? ins.error() : up.error());
  }
  ins->bind(1, gateway)
      .bind(2, static_cast<std::int64_t>(next))
      .bindBlob(3, key)
      .bind(4, wallMillis());
  up->bind(1, gateway).bind(2, static_cast<std::int64_t>(next));
  if (auto r = ins->run(); !r) {
    (void)db_.exec("ROLLBACK");
    return std::unexpected(r.error());
  }
  if (auto r = up->run(); !r) {
    (void)db_.exec("ROLLBACK");
    return std::unexpected(r.error());
  }
  if (auto r = db_.exec("COMMIT"); !r) return std::unexpected(r.error());
  Endpoint ep = **current;
  ep.keys[next] = key;
  ep.active_key_id = next;
  return ep;
}

Result<void> Registry::retireKey(const std::string& gateway, std::uint32_t key_id) {
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

Result<Environment> Registry::addEnvironment(const std::string& name, const std::string& owner) {
  if (!topics::isValidGatewayId(name)) {
    return fail("bad-name", "environment names are 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  std::optional<std::int64_t> owner_id;
  if (!owner.empty()) {
    auto id = accountId(owner);
    if (!id) return std::unexpected(id.error());
    owner_id = *id;
  }
  auto st =
      db_.prepare("INSERT INTO environments(name, owner_id) VALUES(?1, ?2) ON CONFLICT DO NOTHING");
  if (!st) return std::unexpected(st.error());
  st->bind(1, name);
  if (owner_id)
    st->bind(2, *owner_id);
  else
    st->bindNull(2);
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0) return fail("exists", "environment \"" + name + "\" already exists");
  return Environment{db_.lastInsertRowid(), name, owner};
}

Result<std::vector<Environment>> Registry::environments() {
  auto st = db_.prepare(
      "SELECT e.id, e.name, coalesce(a.name, '') FROM environments e "
      "LEFT JOIN accounts a ON a.id = e.owner_id ORDER BY e.name");
  if (!st) return std::unexpected(st.error());
  std::vector<Environment> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({st->int64(0), st->text(1), st->text(2)});
  }
  return out;
}

Result<std::optional<Environment>> Registry::findEnvironment(const std::string& name) {
  auto all = environments();
  if (!all) return std::unexpected(all.error());
  for (auto& e : *all) {
    if (e.name == name) return std::optional<Environment>(e);
  }
  return std::optional<Environment>();
}

Result<ChannelRecord> Registry::addChannel(const std::string& account, const std::string& name,
                                           const std::string& environment,
                                           const std::vector<std::string>& handlers) {
  if (!topics::isValidGatewayId(name)) {
    return fail("bad-name", "channel names are 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  if (handlers.empty()) return fail("bad-handler", "a channel needs at least one handler");
  for (const auto& h : handlers) {
    if (h.empty() || h.find('\n') != std::string::npos)
      return fail("bad-handler", "empty handler spec");
  }
  auto account_id = accountId(account);
  if (!account_id) return std::unexpected(account_id.error());
  auto env = findEnvironment(environment);
  if (!env) return std::unexpected(env.error());
  if (!*env) {
    if (environment != "default") {
      return fail("no-such-environment", "no environment \"" + environment + "\"");
    }
    auto made = addEnvironment("default", "");
    if (!made) return std::unexpected(made.error());
    env = std::optional<Environment>(*made);
  }
  if (!(*env)->owner.empty() && (*env)->owner != account) {
    return fail("private-environment", "environment \"" + environment +
                                           "\" is private to account \"" + (*env)->owner + "\"");
  }
  auto st = db_.prepare(
      "INSERT INTO channels(account_id, name, environment_id, handlers) VALUES(?1,?2,?3,?4) "
      "ON CONFLICT DO NOTHING");
  if (!st) return std::unexpected(st.error());
  st->bind(1, *account_id).bind(2, name).bind(3, (*env)->id).bind(4, joinLines(handlers));
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0) {
    return fail("exists", "account \"" + account + "\" already has a channel \"" + name + "\"");
  }
  return ChannelRecord{db_.lastInsertRowid(), account, name, environment, handlers};
}

Result<std::vector<ChannelRecord>> Registry::channels() {
  auto st = db_.prepare(
      "SELECT c.id, a.name, c.name, e.name, c.handlers FROM channels c "
      "JOIN accounts a ON a.id = c.account_id JOIN environments e ON e.id = c.environment_id "
      "ORDER BY a.name, c.name");
  if (!st) return std::unexpected(st.error());
  std::vector<ChannelRecord> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({st->int64(0), st->text(1), st->text(2), st->text(3), splitLines(st->text(4))});
  }
  return out;
}

Result<std::optional<ChannelRecord>> Registry::findChannel(const std::string& account,
                                                           const std::string& name) {
  auto all = channels();
  if (!all) return std::unexpected(all.error());
  for (auto& c : *all) {
    if (c.account == account && c.name == name) return std::optional<ChannelRecord>(c);
  }
  return std::optional<ChannelRecord>();
}

Result<Route> Registry::addRoute(const std::string& gateway, const std::string& account,
                                 const std::string& channel, const std::string& sensors) {
  auto ep = endpoint(gateway);
  if (!ep) return std::unexpected(ep.error());
  if (!*ep) return fail("no-such-endpoint", "no endpoint for gateway \"" + gateway + "\"");
  auto ch = findChannel(account, channel);
  if (!ch) return std::unexpected(ch.error());
  if (!*ch)
    return fail("no-such-channel",
                "account \"" + account + "\" has no channel \"" + channel + "\"");
  if ((*ep)->account != account) {
    return fail("other-account", "gateway \"" + gateway + "\" belongs to account \"" +
                                     (*ep)->account + "\", the channel to \"" + account + "\"");
  }
  auto existing = routesWhere(" WHERE r.gateway = ?1", gateway);
  if (!existing) return std::unexpected(existing.error());
  auto chans = channels();
  if (!chans) return std::unexpected(chans.error());
  for (const Route& r : *existing) {
    if (r.gateway != gateway) continue;
    for (const ChannelRecord& c : *chans) {
      if (c.id == r.channel_id && c.environment != (*ch)->environment) {
        return fail("environment-conflict",
                    "gateway \"" + gateway + "\" is already routed to environment \"" +
                        c.environment + "\"; one endpoint is served by one environment");
      }
    }
  }
  auto st = db_.prepare(
      "INSERT INTO routes(gateway, channel_id, sensors) VALUES(?1,?2,?3) ON CONFLICT DO NOTHING");
  if (!st) return std::unexpected(st.error());
  st->bind(1, gateway).bind(2, (*ch)->id).bind(3, sensors);
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0) return fail("exists", "that route exists");
  return Route{db_.lastInsertRowid(), gateway, (*ch)->id, account + "/" + channel, sensors};
}

Result<std::vector<Route>> Registry::routes() {
  return routesWhere("", "");
}

Result<std::vector<Route>> Registry::routesWhere(const std::string& where, const std::string& arg) {
  auto st = db_.prepare(
      "SELECT r.id, r.gateway, r.channel_id, a.name || '/' || c.name, r.sensors FROM routes r "
      "JOIN channels c ON c.id = r.channel_id JOIN accounts a ON a.id = c.account_id" +
      where + " ORDER BY r.gateway, r.id");
  if (!st) return std::unexpected(st.error());
  if (!arg.empty()) st->bind(1, arg);
  std::vector<Route> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({st->int64(0), st->text(1), st->int64(2), st->text(3), st->text(4)});
  }
  return out;
}

Result<void> Registry::removeRoute(const std::string& gateway, const std::string& account,
                                   const std::string& channel, const std::string& sensors) {
  auto st = db_.prepare(
      "DELETE FROM routes WHERE gateway = ?1 AND sensors = ?4 AND channel_id = (SELECT c.id FROM "
      "channels c JOIN accounts a ON a.id = c.account_id WHERE a.name = ?2 AND c.name = ?3)");
  if (!st) return std::unexpected(st.error());
  st->bind(1, gateway).bind(2, account).bind(3, channel).bind(4, sensors);
  if (auto r = st->run(); !r) return r;
  if (db_.changes() == 0) {
    return fail("no-such-route", gateway + " -> " + account + "/" + channel + " for " + sensors);
  }
  return {};
}

Result<Stream> Registry::addStream(const std::string& name, const std::string& account,
                                   const std::string& channel, const std::string& broker,
                                   const std::string& topic) {
  if (!topics::isValidGatewayId(name)) {
    return fail("bad-name", "stream names are 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  if (!broker.starts_with("tcp://") && !broker.starts_with("ssl://")) {
    return fail("bad-broker", "broker must be tcp://host:port or ssl://host:port");
  }
  if (topic.empty()) return fail("bad-topic", "a stream needs a topic filter");
  auto ch = findChannel(account, channel);
  if (!ch) return std::unexpected(ch.error());
  if (!*ch)
    return fail("no-such-channel",
                "account \"" + account + "\" has no channel \"" + channel + "\"");
  auto st = db_.prepare(
      "INSERT INTO streams(name, channel_id, broker, topic, format) VALUES(?1,?2,?3,?4,'auto') "
      "ON CONFLICT DO NOTHING");
  if (!st) return std::unexpected(st.error());
  st->bind(1, name).bind(2, (*ch)->id).bind(3, broker).bind(4, topic);
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0) return fail("exists", "stream \"" + name + "\" already exists");
  return Stream{db_.lastInsertRowid(), name,   account, (*ch)->id, account + "/" + channel,
                (*ch)->environment,    broker, topic,   "auto"};
}

Result<std::vector<Stream>> Registry::streams() {
  auto st = db_.prepare(
      "SELECT s.id, s.name, a.name, s.channel_id, a.name || '/' || c.name, e.name, s.broker, "
      "s.topic, s.format FROM streams s JOIN channels c ON c.id = s.channel_id "
      "JOIN accounts a ON a.id = c.account_id JOIN environments e ON e.id = c.environment_id "
      "ORDER BY s.name");
  if (!st) return std::unexpected(st.error());
  std::vector<Stream> out;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({st->int64(0), st->text(1), st->text(2), st->int64(3), st->text(4), st->text(5),
                   st->text(6), st->text(7), st->text(8)});
  }
  return out;
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
