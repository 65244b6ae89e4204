#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cloud/registry/registry.h"
#include "shared/error/error.h"
#include "shared/net/destination_policy.h"

namespace dots::ctl {

// dotsctl's commands: registry_commands.cpp (accounts, environments, channels, routes, streams),
// endpoint_commands.cpp (endpoints and keys), reading_commands.cpp (queries of the store).
//
// Each command writes its result to `out`, diagnostics to `err`, and returns the exit code
// (exit_codes.h): 0 done; 1 failed (a reason is printed); 2 a bad argument (a name, gateway id,
// handler spec, broker URI, topic, TLS file or password file that is refused; main also returns 2
// when the command line does not parse); 3 the thing already exists / does not exist (also: a
// file that a key would be written to exists or is a symbolic link).
struct Context {
  std::string data_dir;
  std::ostream& out;
  std::ostream& err;
  // The secret file with the registry's key-encryption key (--kek-file or DOTS_KEK_FILE); empty:
  // none, the keys are kept in plaintext (a registry whose keys are encrypted then refuses).
  std::string kek_file;
};

// Also creates the account's channel "default" (handlers: store) in the public environment
// "default", which new endpoints are routed to.
int accountAdd(const Context& ctx, const std::string& name);
int accountList(const Context& ctx, bool json);

struct EndpointSnippet {
  std::string broker = "tcp://127.0.0.1:1883";
  std::string local_broker = "tcp://127.0.0.1:1883";
  std::string spool;  // default /var/lib/dots/spool-<gw>.db
};
// Routes the endpoint to the account's "default" channel unless `route_default` is false. The
// gateway's config goes to stdout, or, with `out_file`, to that file, created new with mode 0600
// (an existing file or a symbolic link there is refused before anything is provisioned).
int endpointAdd(const Context& ctx, const std::string& account, const std::string& gateway,
                const EndpointSnippet& snippet, bool route_default,
                const std::string& out_file = "");
// A push endpoint (`endpoint add --kind http`): for a partner system that POSTs SenML JSON over
// HTTPS instead of a gateway on MQTT. Prints the endpoint's push token (scope ingest, bound to
// it) once, as the last line of stdout.
int endpointAddPush(const Context& ctx, const std::string& account, const std::string& endpoint,
                    bool route_default);
// Provisions gateways <prefix>1 .. <prefix><count> of one account in one go, each routed to the
// account's channel `channel`, and writes one line "<gateway> <key hex>" per gateway to
// `keys_file`, created new with mode 0600 (an existing file or a symbolic link there is refused
// before anything is provisioned): for fleets and load tests.
int endpointFleet(const Context& ctx, const std::string& account, const std::string& prefix,
                  std::size_t count, const std::string& channel, const std::string& keys_file);
// Adds a key and makes it active; prints the gateway's new config.
int endpointRotateKey(const Context& ctx, const std::string& gateway,
                      const EndpointSnippet& snippet);
int endpointRetireKey(const Context& ctx, const std::string& gateway, std::uint32_t key_id);
// Seals the registry's plaintext keys under the KEK of ctx.kek_file (required: else exit 2).
int registryEncryptKeys(const Context& ctx);

int environmentAdd(const Context& ctx, const std::string& name, const std::string& owner);
int environmentList(const Context& ctx, bool json);
// Every handler spec is validated before the channel is stored, and every webhook URL checked
// like a stream's broker (below). Each webhook gets a fresh signing secret, printed once
// ("webhook URL secret HEX") and stored with the channel.
int channelAdd(const Context& ctx, const std::string& account, const std::string& name,
               const std::string& environment, const std::vector<std::string>& handlers);
int channelList(const Context& ctx, bool json);
// Periods as dotsctl takes them ("30d", "12h", "90m", "45s", "0" = forever); those not given
// keep their values. With none given, prints the channel's retention.
struct RetentionArgs {
  std::optional<std::string> readings;
  std::optional<std::string> aggregates;
  std::optional<std::string> alerts;
};
int channelRetention(const Context& ctx, const std::string& account, const std::string& name,
                     const RetentionArgs& args, bool json);
int routeAdd(const Context& ctx, const std::string& gateway, const std::string& account,
             const std::string& channel, const std::string& sensors);
int routeRemove(const Context& ctx, const std::string& gateway, const std::string& account,
                const std::string& channel, const std::string& sensors);
int routeList(const Context& ctx, bool json);
// A stream's credentials and TLS files as given on the command line: the password is read from
// `password_file` (never given as an argument), the files must be readable here.
struct StreamLogin {
  std::string username;
  std::string password_file;
  std::string ca_file;  // required for ssl://
  std::string cert_file;
  std::string key_file;
};
// The broker's host is resolved and refused ("blocked-destination", exit code 2) when an
// address is loopback, private, link-local, unspecified or multicast and not allow-listed.
int streamAdd(const Context& ctx, const std::string& name, const std::string& account,
              const std::string& channel, const std::string& broker, const std::string& topic,
              const StreamLogin& login, const cloud::StreamLimits& limits);
// Replaces a stream's credentials and TLS files (all of them: what is not given is cleared).
int streamSet(const Context& ctx, const std::string& name, const StreamLogin& login);
int streamList(const Context& ctx, bool json);
int endpointList(const Context& ctx, bool json);

// The destination allow-list (destination_commands.cpp): CIDR ranges streams and webhooks may
// reach although private, and webhooks over plain http://.
int allowListAdd(const Context& ctx, const std::string& cidr);
int allowListRemove(const Context& ctx, const std::string& cidr);
int allowListList(const Context& ctx, bool json);
// Resolves `host` and checks every address against the registry's allow-list; `plain` for
// http:// webhooks. Errors: "unresolvable", "blocked-destination", the registry's.
Result<void> checkDestination(cloud::Registry& reg, const std::string& host, int port, bool plain);
int endpointEnable(const Context& ctx, const std::string& gateway, bool enabled);

// The HTTP API's bearer tokens (token_commands.cpp). `create` prints the token once, as the
// last line of stdout; only its hash is kept. `account` empty: an operator token. `expires_in_days`
// 0: never expires.
struct TokenArgs {
  std::string account;
  std::string scopes;
  std::string name;
  double expires_in_days = 0;
};
int tokenCreate(const Context& ctx, const TokenArgs& args);
int tokenList(const Context& ctx, bool json);
int tokenRevoke(const Context& ctx, std::int64_t id);

struct ReadingQuery {
  std::optional<std::string> gateway;
  std::optional<std::string> sensor;
  std::optional<std::string> channel;  // "<account>/<name>"
};
int readingsCount(const Context& ctx, const ReadingQuery& q, bool json);
int readingsStats(const Context& ctx, const ReadingQuery& q, bool json);
int readingsRecent(const Context& ctx, const ReadingQuery& q, std::size_t limit, bool json);
int readingsExportCsv(const Context& ctx, const ReadingQuery& q);
// What the HTTP API serves, from the store directly: alerts (oldest first), aggregate windows,
// and the gateways (endpoints) with what the store holds of each.
int alertsList(const Context& ctx, const ReadingQuery& q, std::size_t limit, bool json);
int aggregatesList(const Context& ctx, const ReadingQuery& q, std::size_t limit, bool json);
int gatewaysList(const Context& ctx, bool json);

}  // namespace dots::ctl
