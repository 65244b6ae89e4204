#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cloud/registry/retention.h"
#include "shared/error/error.h"
#include "shared/seal/envelope.h"
#include "shared/seal/keys.h"

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
  Retention retention;  // the defaults unless set with setRetention
  // The signing secret of each webhook of the channel's notify handlers, by URL: made by
  // dotsctl when the channel is added, shown once, kept here.
  std::map<std::string, std::string> webhook_secrets;
};

// Endpoint -> channel, for the sensors whose names match `sensors` (glob; "*" = all).
struct Route {
  std::int64_t id = 0;
  std::string gateway;
  std::int64_t channel_id = 0;
  std::string channel;  // "<account>/<name>"
  std::string sensors = "*";
};

// How a stream logs in to the other system's broker and checks it (as mqtt::ClientOptions takes
// them): an ssl:// broker needs ca_file; cert_file and key_file come together. The password is
// kept in the registry and never listed.
struct StreamAuth {
  std::string username;
  std::string password;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool operator==(const StreamAuth&) const = default;
};

// What one stream may bring in: a message larger than max_message_bytes is rejected before it
// is copied; beyond rate_per_s messages per second (a token bucket holding one second's worth)
// messages are dropped; at most `queue` of its messages wait in the ingester's queue at once.
struct StreamLimits {
  std::int64_t max_message_bytes = 256 * 1024;
  double rate_per_s = 100;
  std::int64_t queue = 64;
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
  StreamAuth auth;
  StreamLimits limits;
};

// The secured gate of one field gateway.
struct Endpoint {
  std::string gateway;
  std::string account;
  bool enabled = true;
  std::uint32_t active_key_id = 0;
  std::map<std::uint32_t, seal::Key> keys;  // every key id still accepted
};

// What an API token may do (bits of ApiToken::scopes). Account tokens: read, command, ingest,
// admin; operator tokens (no account): metrics, admin.
enum ApiScope : unsigned {
  kScopeRead = 1u << 0,     // GET the account's gateways, sensors, readings, alerts, channels
  kScopeCommand = 1u << 1,  // act on the account's things (acknowledge alerts, commands)
  kScopeIngest = 1u << 2,   // push readings (bound to one push endpoint)
  kScopeAdmin = 1u << 3,    // administer the account (operators: every account)
  kScopeMetrics = 1u << 4,  // GET /metrics (operators only)
};

// A bearer token of the HTTP API. Only the SHA-256 of the token is kept (it is 256 random bits,
// so the hash alone cannot be turned back into it); the token itself is shown once.
struct ApiToken {
  std::int64_t id = 0;
  std::string name;
  std::string account;   // empty: an operator token
  unsigned scopes = 0;   // ApiScope bits
  std::string endpoint;  // a push token's endpoint (gateway id); empty: none
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;  // 0: never
  std::int64_t revoked_ms = 0;  // 0: in force
};

// How a registry keeps the endpoints' keys at rest.
struct RegistryOptions {
  // The key-encryption key (KEK), from a secret file (readKekFile). Given, keys are stored sealed
  // under it (key_wrap.h) and a registry whose keys are sealed opens only with the same KEK
  // ("kek-required", "kek-mismatch"). A new registry opened with a KEK seals every key from the
  // start; one that already holds plaintext keys is refused ("keys-not-encrypted") unless
  // `allow_plaintext_keys`, which is for encryptKeys() only.
  std::optional<seal::Key> kek;
  bool allow_plaintext_keys = false;
};

// What encryptKeys() did.
struct KeyEncryption {
  std::size_t sealed = 0;   // plaintext keys sealed now
  std::size_t secrets = 0;  // and stream passwords and webhook secrets
  // Whether the old plaintext pages are gone from the database file and its WAL (the WAL could
  // not be emptied while another connection, e.g. a running dots-ingest, was reading).
  bool scrubbed = false;
};

// The registry of accounts, environments, endpoints and their keys, channels, routes and streams:
// what dotsctl writes and dots-ingest reads, noticing changes through dataVersion(). An
// implementation is one connection to its database: not thread-safe, one per thread. Errors
// other than the reasons listed come from the engine ("sqlite", "sqlite-corrupt", ...).
class Registry {
 public:
  // The embedded default: SQLite, <data_dir>/registry.db (created if missing). The caller owns
  // the registry. Errors besides the engine's: those of RegistryOptions.
  static Result<std::unique_ptr<Registry>> open(const std::string& data_dir,
                                                const RegistryOptions& options = {});

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  virtual ~Registry() = default;

  // Errors: "exists", "bad-name".
  virtual Result<Account> addAccount(const std::string& name) = 0;
  virtual Result<std::vector<Account>> accounts() = 0;
  // Creates the endpoint with a fresh random key (key id 1). Errors: "exists",
  // "no-such-account", "bad-gateway-id".
  virtual Result<Endpoint> addEndpoint(const std::string& account, const std::string& gateway) = 0;
  // Ordered by gateway.
  virtual Result<std::vector<Endpoint>> endpoints() = 0;
  virtual Result<std::optional<Endpoint>> endpoint(const std::string& gateway) = 0;
  // Errors: "no-such-endpoint".
  virtual Result<void> setEnabled(const std::string& gateway, bool enabled) = 0;
  // Adds a new key (the next key id) and makes it the active one; the old keys stay accepted
  // until retired, so batches still spooled under them are not lost. Errors: "no-such-endpoint".
  virtual Result<Endpoint> rotateKey(const std::string& gateway) = 0;
  // Errors: "no-such-endpoint", "no-such-key", "active-key".
  virtual Result<void> retireKey(const std::string& gateway, std::uint32_t key_id) = 0;

  // `owner` empty: a public environment. Errors: "exists", "bad-name", "no-such-account".
  virtual Result<Environment> addEnvironment(const std::string& name, const std::string& owner) = 0;
  virtual Result<std::vector<Environment>> environments() = 0;
  // The environment is created public on first use when it is "default". Errors: "exists",
  // "bad-name", "no-such-account", "no-such-environment", "private-environment" (another
  // account's), "bad-handler" (no handler, or an empty spec).
  // `webhook_secrets` (by URL) are stored with the channel, in the same transaction.
  virtual Result<ChannelRecord> addChannel(
      const std::string& account, const std::string& name, const std::string& environment,
      const std::vector<std::string>& handlers,
      const std::map<std::string, std::string>& webhook_secrets) = 0;
  Result<ChannelRecord> addChannel(const std::string& account, const std::string& name,
                                   const std::string& environment,
                                   const std::vector<std::string>& handlers) {
    return addChannel(account, name, environment, handlers, {});
  }
  // Ordered by account, then name.
  virtual Result<std::vector<ChannelRecord>> channels() = 0;
  // Sets the periods `change` names and returns the channel as it is now. Errors:
  // "no-such-channel", "bad-retention" (negative).
  virtual Result<ChannelRecord> setRetention(const std::string& account, const std::string& name,
                                             const RetentionChange& change) = 0;
  // Errors: "no-such-endpoint", "no-such-channel", "other-account", "environment-conflict"
  // (an endpoint's channels must all run in one environment), "exists".
  virtual Result<Route> addRoute(const std::string& gateway, const std::string& account,
                                 const std::string& channel, const std::string& sensors) = 0;
  // Ordered by gateway, then in the order they were added.
  virtual Result<std::vector<Route>> routes() = 0;
  // Errors: "no-such-route".
  virtual Result<void> removeRoute(const std::string& gateway, const std::string& account,
                                   const std::string& channel, const std::string& sensors) = 0;
  // Errors: "bad-name", "bad-broker" (not tcp:// or ssl://), "bad-topic", "bad-tls" (the
  // detail starts with the StreamAuth field at fault: ssl:// without ca_file, a file that
  // cannot be read, a certificate without its key), "bad-limit", "no-such-channel", "exists".
  virtual Result<Stream> addStream(const std::string& name, const std::string& account,
                                   const std::string& channel, const std::string& broker,
                                   const std::string& topic, const StreamAuth& auth,
                                   const StreamLimits& limits) = 0;
  Result<Stream> addStream(const std::string& name, const std::string& account,
                           const std::string& channel, const std::string& broker,
                           const std::string& topic, const StreamAuth& auth) {
    return addStream(name, account, channel, broker, topic, auth, StreamLimits{});
  }
  Result<Stream> addStream(const std::string& name, const std::string& account,
                           const std::string& channel, const std::string& broker,
                           const std::string& topic, const StreamLimits& limits) {
    return addStream(name, account, channel, broker, topic, StreamAuth{}, limits);
  }
  Result<Stream> addStream(const std::string& name, const std::string& account,
                           const std::string& channel, const std::string& broker,
                           const std::string& topic) {
    return addStream(name, account, channel, broker, topic, StreamAuth{}, StreamLimits{});
  }
  // Replaces a stream's credentials and TLS files; running ingesters reconnect it with them.
  // Errors: "bad-tls", "no-such-stream".
  virtual Result<void> setStreamAuth(const std::string& name, const StreamAuth& auth) = 0;
  // Ordered by name.
  virtual Result<std::vector<Stream>> streams() = 0;

  // Seals every plaintext key under the KEK the registry was opened with, in one transaction,
  // and then rewrites the file so that no plaintext key stays behind in free pages or the WAL.
  // Errors: "no-kek".
  virtual Result<KeyEncryption> encryptKeys() = 0;

  // The destination allow-list: address ranges (CIDR, e.g. "127.0.0.0/8") that streams and
  // webhooks may reach although they are loopback, private, link-local, ..., and that webhooks
  // may reach over plain http://. Errors: "bad-cidr", "exists" / "no-such-destination".
  virtual Result<std::string> allowDestination(const std::string& cidr) = 0;
  virtual Result<void> removeAllowedDestination(const std::string& cidr) = 0;
  // In the order they were added.
  virtual Result<std::vector<std::string>> allowedDestinations() = 0;

  // Stores a token under the SHA-256 of its secret (`token`'s id and created_ms are set here).
  // Errors: "no-such-account", "no-such-endpoint", "bad-scope" (a scope the kind of token cannot
  // have, or none; an endpoint bound to a token without ingest, or to another account's).
  virtual Result<ApiToken> addToken(const ApiToken& token, const seal::Mac& hash) = 0;
  // Every token, revoked and expired ones too, by id; no hash.
  virtual Result<std::vector<ApiToken>> tokens() = 0;
  // The token whose secret hashes to `hash`, if any (revoked and expired ones too).
  virtual Result<std::optional<ApiToken>> tokenByHash(const seal::Mac& hash) = 0;
  // Errors: "no-such-token". Revoking a revoked token keeps its first revocation time.
  virtual Result<ApiToken> revokeToken(std::int64_t id) = 0;

  // Changes whenever another connection commits to the registry.
  virtual Result<std::int64_t> dataVersion() = 0;
};

}  // namespace dots::cloud
