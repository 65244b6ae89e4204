#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "seal/envelope.h"
#include "sqlite/database.h"

namespace dots::cloud {

struct Account {
  std::int64_t id = 0;
  std::string name;
};

// Where channels and streams run: one dots-ingest process (and its replicas) per environment.
struct Environment {
  std::int64_t id = 0;
  std::string name;
  std::string owner;  // account that owns a private environment; empty = public
};

// A named, ordered list of handlers for one use case. Each handler is a spec
// "type[:key=value,key=value...]", validated by the ingester's handler factory.
struct ChannelRecord {
  std::int64_t id = 0;
  std::string account;
  std::string name;
  std::string environment;
  std::vector<std::string> handlers;
};

// Endpoint -> channel, for the sensors whose names match `sensors` (glob; "*" = all).
struct Route {
  std::int64_t id = 0;
  std::string gateway;
  std::int64_t channel_id = 0;
  std::string channel;  // "<account>/<name>"
  std::string sensors = "*";
};

// Pulls messages from another system's MQTT broker into a channel.
struct Stream {
  std::int64_t id = 0;
  std::string name;
  std::string account;
  std::int64_t channel_id = 0;
  std::string channel;  // "<account>/<name>"
  std::string environment;
  std::string broker;  // tcp://host:port
  std::string topic;   // filter
  std::string format;  // auto: SenML, JSON object or number
};

// The secured gate of one field gateway.
struct Endpoint {
  std::string gateway;
  std::string account;
  bool enabled = true;
  std::uint32_t active_key_id = 0;
  std::map<std::uint32_t, seal::Key> keys;  // every key id still accepted
};

// The registry of accounts and endpoints: <data dir>/registry.db. Written by dotsctl, read by
// dots-ingest, which notices changes through dataVersion(). Not thread-safe.
class Registry {
 public:
  static Result<Registry> open(const std::string& data_dir);

  // Errors: "exists", "bad-name".
  Result<Account> addAccount(const std::string& name);
  Result<std::vector<Account>> accounts();
  // Creates the endpoint with a fresh random key (key id 1). Errors: "exists",
  // "no-such-account", "bad-gateway-id".
  Result<Endpoint> addEndpoint(const std::string& account, const std::string& gateway);
  Result<std::vector<Endpoint>> endpoints();
  Result<std::optional<Endpoint>> endpoint(const std::string& gateway);
  // Errors: "no-such-endpoint".
  Result<void> setEnabled(const std::string& gateway, bool enabled);
  // Adds a new key (the next key id) and makes it the active one; the old keys stay accepted
  // until retired, so batches still spooled under them are not lost.
  Result<Endpoint> rotateKey(const std::string& gateway);
  // Errors: "no-such-key", "active-key".
  Result<void> retireKey(const std::string& gateway, std::uint32_t key_id);

  // Errors: "exists", "bad-name", "no-such-account".
  Result<Environment> addEnvironment(const std::string& name, const std::string& owner);
  Result<std::vector<Environment>> environments();
  // The environment is created public on first use when it is "default". Errors: "exists",
  // "bad-name", "no-such-account", "no-such-environment", "private-environment" (another
  // account's), "bad-handler" (empty spec).
  Result<ChannelRecord> addChannel(const std::string& account, const std::string& name,
                                   const std::string& environment,
                                   const std::vector<std::string>& handlers);
  Result<std::vector<ChannelRecord>> channels();
  // Errors: "no-such-endpoint", "no-such-channel", "other-account", "environment-conflict"
  // (an endpoint's channels must all run in one environment), "exists".
  Result<Route> addRoute(const std::string& gateway, const std::string& account,
                         const std::string& channel, const std::string& sensors);
  Result<std::vector<Route>> routes();
  // Errors: "no-such-route".
  Result<void> removeRoute(const std::string& gateway, const std::string& account,
                           const std::string& channel, const std::string& sensors);
  Result<Stream> addStream(const std::string& name, const std::string& account,
                           const std::string& channel, const std::string& broker,
                           const std::string& topic);
  Result<std::vector<Stream>> streams();

  // Changes whenever another connection commits to the registry.
  Result<std::int64_t> dataVersion();

 private:
  explicit Registry(sqlite::Database db) : db_(std::move(db)) {}
  Result<std::vector<Endpoint>> query(const std::string& where, const std::string& arg);
  // Routes matching `where` (empty: all), which may bind ?1 to `arg`.
  Result<std::vector<Route>> routesWhere(const std::string& where, const std::string& arg);
  Result<std::int64_t> accountId(const std::string& name);
  Result<std::optional<Environment>> findEnvironment(const std::string& name);
  Result<std::optional<ChannelRecord>> findChannel(const std::string& account,
                                                   const std::string& name);
  sqlite::Database db_;
};

}  // namespace dots::cloud
