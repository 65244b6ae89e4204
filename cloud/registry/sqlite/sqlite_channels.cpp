// SqliteRegistry: environments, channels, routes and streams.
#include "cloud/registry/sqlite/sqlite_registry.h"
#include "shared/mqtt/client.h"
#include "shared/net/destination_policy.h"
#include "shared/topics/topics.h"

namespace dots::cloud {

namespace {
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

Result<Environment> SqliteRegistry::addEnvironment(const std::string& name,
                                                   const std::string& owner) {
  if (!topics::isValidName(name)) {
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

Result<std::vector<Environment>> SqliteRegistry::environments() {
  auto st = db_.prepare(
      "SELECT e.id, e.name, coalesce(a.name, '') FROM environments e "
      "LEFT JOIN accounts a ON a.id = e.owner_id ORDER BY e.name");
  if (!st) return std::unexpected(st.error());
  std::vector<Environment> out;
  auto read = st->forEachRow([&](const sqlite::Statement& row) {
    out.push_back({row.int64(0), row.text(1), row.text(2)});
  });
  if (!read) return std::unexpected(read.error());
  return out;
}

Result<std::optional<Environment>> SqliteRegistry::findEnvironment(const std::string& name) {
  auto all = environments();
  if (!all) return std::unexpected(all.error());
  for (auto& e : *all) {
    if (e.name == name) return std::optional<Environment>(e);
  }
  return std::optional<Environment>();
}

Result<ChannelRecord> SqliteRegistry::addChannel(
    const std::string& account, const std::string& name, const std::string& environment,
    const std::vector<std::string>& handlers,
    const std::map<std::string, std::string>& webhook_secrets) {
  if (!topics::isValidName(name)) {
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
  auto tx = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());
  auto st = db_.prepare(
      "INSERT INTO channels(account_id, name, environment_id, handlers) VALUES(?1,?2,?3,?4) "
      "ON CONFLICT DO NOTHING");
  if (!st) return std::unexpected(st.error());
  st->bind(1, *account_id).bind(2, name).bind(3, (*env)->id).bind(4, joinLines(handlers));
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0) {
    return fail("exists", "account \"" + account + "\" already has a channel \"" + name + "\"");
  }
  std::int64_t id = db_.lastInsertRowid();
  for (const auto& [url, secret] : webhook_secrets) {
    auto ins = db_.prepare("INSERT INTO webhook_secrets(channel_id, url, secret) VALUES(?1,?2,?3)");
    if (!ins) return std::unexpected(ins.error());
    auto stored = storedSecret(secretOwner("webhook-secret", std::to_string(id), url), secret);
    if (!stored) return std::unexpected(stored.error());
    ins->bind(1, id).bind(2, url).bind(3, *stored);
    if (auto r = ins->run(); !r) return std::unexpected(r.error());
  }
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  return ChannelRecord{id, account, name, environment, handlers, Retention{}, webhook_secrets};
}

Result<std::vector<ChannelRecord>> SqliteRegistry::channels() {
  auto st = db_.prepare(
      "SELECT c.id, a.name, c.name, e.name, c.handlers, r.readings_s, r.aggregates_s, "
      "r.alerts_s FROM channels c "
      "JOIN accounts a ON a.id = c.account_id JOIN environments e ON e.id = c.environment_id "
      "LEFT JOIN channel_retention r ON r.channel_id = c.id "
      "ORDER BY a.name, c.name");
  if (!st) return std::unexpected(st.error());
  std::vector<ChannelRecord> out;
  auto read = st->forEachRow([&](const sqlite::Statement& row) {
    Retention retention;
    for (auto [col, period] :
         {std::pair{5, &retention.readings_s}, std::pair{6, &retention.aggregates_s},
          std::pair{7, &retention.alerts_s}}) {
      if (!row.isNull(col)) *period = row.int64(col);
    }
    out.push_back({row.int64(0),
                   row.text(1),
                   row.text(2),
                   row.text(3),
                   splitLines(row.text(4)),
                   retention,
                   {}});
  });
  if (!read) return std::unexpected(read.error());
  auto secrets = db_.prepare("SELECT channel_id, url, secret FROM webhook_secrets");
  if (!secrets) return std::unexpected(secrets.error());
  std::map<std::int64_t, std::map<std::string, std::string>> by_channel;
  read = secrets->forEachRow([&](const sqlite::Statement& row) {
    std::string owner = secretOwner("webhook-secret", std::to_string(row.int64(0)), row.text(1));
    by_channel[row.int64(0)][row.text(1)] = plainSecret(owner, row.text(2));
  });
  if (!read) return std::unexpected(read.error());
  for (auto& c : out) {
    if (auto found = by_channel.find(c.id); found != by_channel.end()) {
      c.webhook_secrets = std::move(found->second);
    }
  }
  return out;
}

Result<ChannelRecord> SqliteRegistry::setRetention(const std::string& account,
                                                   const std::string& name,
                                                   const RetentionChange& change) {
  for (const auto& period : {change.readings_s, change.aggregates_s, change.alerts_s}) {
    if (period && *period < 0) return fail("bad-retention", "a retention cannot be negative");
  }
  auto ch = findChannel(account, name);
  if (!ch) return std::unexpected(ch.error());
  if (!*ch) {
    return fail("no-such-channel", "account \"" + account + "\" has no channel \"" + name + "\"");
  }
  // A period not named keeps its value (NULL stays the default).
  auto st = db_.prepare(
      "INSERT INTO channel_retention(channel_id, readings_s, aggregates_s, alerts_s) "
      "VALUES(?1,?2,?3,?4) ON CONFLICT DO UPDATE SET "
      "readings_s = coalesce(excluded.readings_s, readings_s), "
      "aggregates_s = coalesce(excluded.aggregates_s, aggregates_s), "
      "alerts_s = coalesce(excluded.alerts_s, alerts_s)");
  if (!st) return std::unexpected(st.error());
  st->bind(1, (*ch)->id);
  int index = 2;
  for (const auto& period : {change.readings_s, change.aggregates_s, change.alerts_s}) {
    if (period) {
      st->bind(index, *period);
    } else {
      st->bindNull(index);
    }
    ++index;
  }
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  auto now = findChannel(account, name);
  if (!now) return std::unexpected(now.error());
  if (!*now) return fail("no-such-channel", "channel " + account + "/" + name + " is gone");
  return **now;
}

Result<std::optional<ChannelRecord>> SqliteRegistry::findChannel(const std::string& account,
                                                                 const std::string& name) {
  auto all = channels();
  if (!all) return std::unexpected(all.error());
  for (auto& c : *all) {
    if (c.account == account && c.name == name) return std::optional<ChannelRecord>(c);
  }
  return std::optional<ChannelRecord>();
}

Result<Route> SqliteRegistry::addRoute(const std::string& gateway, const std::string& account,
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

Result<std::vector<Route>> SqliteRegistry::routes() {
  return routesWhere("", "");
}

Result<std::vector<Route>> SqliteRegistry::routesWhere(const std::string& where,
                                                       const std::string& arg) {
  auto st = db_.prepare(
      "SELECT r.id, r.gateway, r.channel_id, a.name || '/' || c.name, r.sensors FROM routes r "
      "JOIN channels c ON c.id = r.channel_id JOIN accounts a ON a.id = c.account_id" +
      where + " ORDER BY r.gateway, r.id");
  if (!st) return std::unexpected(st.error());
  if (!arg.empty()) st->bind(1, arg);
  std::vector<Route> out;
  auto read = st->forEachRow([&](const sqlite::Statement& row) {
    out.push_back({row.int64(0), row.text(1), row.int64(2), row.text(3), row.text(4)});
  });
  if (!read) return std::unexpected(read.error());
  return out;
}

Result<void> SqliteRegistry::removeRoute(const std::string& gateway, const std::string& account,
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

namespace {
Result<void> checkStreamAuth(const std::string& broker, const StreamAuth& auth) {
  mqtt::ClientOptions o;
  o.uri = broker;
  o.ca_file = auth.ca_file;
  o.cert_file = auth.cert_file;
  o.key_file = auth.key_file;
  if (auto problem = mqtt::checkTlsOptions(o)) {
    return fail("bad-tls", problem->field + " " + problem->message);
  }
  return {};
}
}  // namespace

Result<Stream> SqliteRegistry::addStream(const std::string& name, const std::string& account,
                                         const std::string& channel, const std::string& broker,
                                         const std::string& topic, const StreamAuth& auth,
                                         const StreamLimits& limits) {
  if (!topics::isValidName(name)) {
    return fail("bad-name", "stream names are 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  if (!broker.starts_with("tcp://") && !broker.starts_with("ssl://")) {
    return fail("bad-broker", "broker must be tcp://host:port or ssl://host:port");
  }
  if (topic.empty()) return fail("bad-topic", "a stream needs a topic filter");
  if (auto r = checkStreamAuth(broker, auth); !r) return std::unexpected(r.error());
  if (limits.max_message_bytes < 1 || limits.max_message_bytes > 256LL * 1024 * 1024) {
    return fail("bad-limit", "a stream's maximum message size is 1 byte to 256 MiB");
  }
  if (!(limits.rate_per_s > 0) || limits.rate_per_s > 1e6) {
    return fail("bad-limit", "a stream's rate is above 0 and at most 1000000 messages/s");
  }
  if (limits.queue < 1 || limits.queue > 100000) {
    return fail("bad-limit", "a stream's queue holds 1 to 100000 messages");
  }
  auto ch = findChannel(account, channel);
  if (!ch) return std::unexpected(ch.error());
  if (!*ch)
    return fail("no-such-channel",
                "account \"" + account + "\" has no channel \"" + channel + "\"");
  auto tx = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());
  auto st = db_.prepare(
      "INSERT INTO streams(name, channel_id, broker, topic, format, username, password, ca_file, "
      "cert_file, key_file) VALUES(?1,?2,?3,?4,'auto',?5,?6,?7,?8,?9) ON CONFLICT DO NOTHING");
  if (!st) return std::unexpected(st.error());
  auto password = storedSecret(secretOwner("stream-password", name), auth.password);
  if (!password) return std::unexpected(password.error());
  st->bind(1, name).bind(2, (*ch)->id).bind(3, broker).bind(4, topic);
  st->bind(5, auth.username).bind(6, *password).bind(7, auth.ca_file);
  st->bind(8, auth.cert_file).bind(9, auth.key_file);
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0) return fail("exists", "stream \"" + name + "\" already exists");
  std::int64_t id = db_.lastInsertRowid();
  auto lim = db_.prepare(
      "INSERT INTO stream_limits(stream_id, max_message_bytes, rate_per_s, queue) "
      "VALUES(?1,?2,?3,?4)");
  if (!lim) return std::unexpected(lim.error());
  lim->bind(1, id)
      .bind(2, limits.max_message_bytes)
      .bind(3, limits.rate_per_s)
      .bind(4, limits.queue);
  if (auto r = lim->run(); !r) return std::unexpected(r.error());
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  return Stream{
      id,    name,   account, (*ch)->id, account + "/" + channel, (*ch)->environment, broker,
      topic, "auto", auth,    limits};
}

Result<void> SqliteRegistry::setStreamAuth(const std::string& name, const StreamAuth& auth) {
  auto broker = db_.prepare("SELECT broker FROM streams WHERE name = ?1");
  if (!broker) return std::unexpected(broker.error());
  broker->bind(1, name);
  std::optional<std::string> uri;
  auto read = broker->forEachRow([&](const sqlite::Statement& row) { uri = row.text(0); });
  if (!read) return read;
  if (!uri) return fail("no-such-stream", "no stream \"" + name + "\"");
  if (auto r = checkStreamAuth(*uri, auth); !r) return r;
  auto st = db_.prepare(
      "UPDATE streams SET username = ?2, password = ?3, ca_file = ?4, cert_file = ?5, "
      "key_file = ?6 WHERE name = ?1");
  if (!st) return std::unexpected(st.error());
  auto password = storedSecret(secretOwner("stream-password", name), auth.password);
  if (!password) return std::unexpected(password.error());
  st->bind(1, name).bind(2, auth.username).bind(3, *password).bind(4, auth.ca_file);
  st->bind(5, auth.cert_file).bind(6, auth.key_file);
  return st->run();
}

Result<std::vector<Stream>> SqliteRegistry::streams() {
  auto st = db_.prepare(
      "SELECT s.id, s.name, a.name, s.channel_id, a.name || '/' || c.name, e.name, s.broker, "
      "s.topic, s.format, s.username, s.password, s.ca_file, s.cert_file, s.key_file, "
      "l.max_message_bytes, l.rate_per_s, l.queue "
      "FROM streams s JOIN channels c ON c.id = s.channel_id "
      "JOIN accounts a ON a.id = c.account_id JOIN environments e ON e.id = c.environment_id "
      "LEFT JOIN stream_limits l ON l.stream_id = s.id ORDER BY s.name");
  if (!st) return std::unexpected(st.error());
  std::vector<Stream> out;
  auto read = st->forEachRow([&](const sqlite::Statement& row) {
    Stream s{row.int64(0),
             row.text(1),
             row.text(2),
             row.int64(3),
             row.text(4),
             row.text(5),
             row.text(6),
             row.text(7),
             row.text(8),
             {row.text(9), plainSecret(secretOwner("stream-password", row.text(1)), row.text(10)),
              row.text(11), row.text(12), row.text(13)},
             {}};
    // A stream added before limits existed has none stored: it gets the defaults.
    if (!row.isNull(14)) {
      s.limits = {row.int64(14), row.real(15), row.int64(16)};
    }
    out.push_back(std::move(s));
  });
  if (!read) return std::unexpected(read.error());
  return out;
}

Result<std::string> SqliteRegistry::allowDestination(const std::string& cidr) {
  auto range = net::Cidr::parse(cidr);
  if (!range) return std::unexpected(range.error());
  std::string text = range->str();
  auto st = db_.prepare("INSERT INTO allowed_destinations(cidr) VALUES(?1) ON CONFLICT DO NOTHING");
  if (!st) return std::unexpected(st.error());
  st->bind(1, text);
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  if (db_.changes() == 0) return fail("exists", text + " is already allow-listed");
  return text;
}

Result<void> SqliteRegistry::removeAllowedDestination(const std::string& cidr) {
  auto range = net::Cidr::parse(cidr);
  if (!range) return std::unexpected(range.error());
  auto st = db_.prepare("DELETE FROM allowed_destinations WHERE cidr = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, range->str());
  if (auto r = st->run(); !r) return r;
  if (db_.changes() == 0) return fail("no-such-destination", range->str() + " is not allow-listed");
  return {};
}

Result<std::vector<std::string>> SqliteRegistry::allowedDestinations() {
  auto st = db_.prepare("SELECT cidr FROM allowed_destinations ORDER BY id");
  if (!st) return std::unexpected(st.error());
  std::vector<std::string> out;
  auto read = st->forEachRow([&](const sqlite::Statement& row) { out.push_back(row.text(0)); });
  if (!read) return std::unexpected(read.error());
  return out;
}

}  // namespace dots::cloud
