#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/registry/key_wrap.h"
#include "cloud/registry/registry.h"
#include "shared/sqlite/database.h"

namespace dots::cloud {

// The registry in one SQLite file, <data dir>/registry.db, in WAL mode so that dots-ingest reads
// while dotsctl writes. Writes that touch more than one row run in one IMMEDIATE transaction.
// Keys are in endpoint_keys.key: 32 plaintext bytes, or sealed under the KEK (KeyWrap) once the
// registry_meta row "kek-check" exists; secure_delete is on, so a replaced key is zeroed.
class SqliteRegistry final : public Registry {
 public:
  // Creates the file and its tables if missing.
  static Result<std::unique_ptr<SqliteRegistry>> open(const std::string& data_dir,
                                                      const RegistryOptions& options = {});

  SqliteRegistry(sqlite::Database db, std::unique_ptr<KeyWrap> kek)
      : db_(std::move(db)), kek_(std::move(kek)) {}

  // Accounts, endpoints and their keys (sqlite_registry.cpp).
  Result<Account> addAccount(const std::string& name) override;
  Result<std::vector<Account>> accounts() override;
  Result<Endpoint> addEndpoint(const std::string& account, const std::string& gateway) override;
  Result<std::vector<Endpoint>> endpoints() override;
  Result<std::optional<Endpoint>> endpoint(const std::string& gateway) override;
  Result<void> setEnabled(const std::string& gateway, bool enabled) override;
  Result<Endpoint> rotateKey(const std::string& gateway) override;
  Result<void> retireKey(const std::string& gateway, std::uint32_t key_id) override;
  Result<KeyEncryption> encryptKeys() override;
  Result<std::int64_t> dataVersion() override;

  // Environments, channels, routes and streams (sqlite_channels.cpp).
  Result<Environment> addEnvironment(const std::string& name, const std::string& owner) override;
  Result<std::vector<Environment>> environments() override;
  using Registry::addChannel;
  Result<ChannelRecord> addChannel(
      const std::string& account, const std::string& name, const std::string& environment,
      const std::vector<std::string>& handlers,
      const std::map<std::string, std::string>& webhook_secrets) override;
  Result<std::vector<ChannelRecord>> channels() override;
  Result<ChannelRecord> setRetention(const std::string& account, const std::string& name,
                                     const RetentionChange& change) override;
  Result<Route> addRoute(const std::string& gateway, const std::string& account,
                         const std::string& channel, const std::string& sensors) override;
  Result<std::vector<Route>> routes() override;
  Result<void> removeRoute(const std::string& gateway, const std::string& account,
                           const std::string& channel, const std::string& sensors) override;
  using Registry::addStream;
  Result<Stream> addStream(const std::string& name, const std::string& account,
                           const std::string& channel, const std::string& broker,
                           const std::string& topic, const StreamAuth& auth,
                           const StreamLimits& limits) override;
  Result<void> setStreamAuth(const std::string& name, const StreamAuth& auth) override;
  Result<std::vector<Stream>> streams() override;
  Result<std::string> allowDestination(const std::string& cidr) override;
  Result<void> removeAllowedDestination(const std::string& cidr) override;
  Result<std::vector<std::string>> allowedDestinations() override;

  // API tokens (sqlite_tokens.cpp).
  Result<ApiToken> addToken(const ApiToken& token, const seal::Mac& hash) override;
  Result<std::vector<ApiToken>> tokens() override;
  Result<std::optional<ApiToken>> tokenByHash(const seal::Mac& hash) override;
  Result<ApiToken> revokeToken(std::int64_t id) override;

 private:
  // Endpoints matching `where` (empty: all), which may bind ?1 to `arg`.
  Result<std::vector<Endpoint>> query(const std::string& where, const std::string& arg);
  // Tokens matching `where` (empty: all), which may bind ?1 to `arg`.
  Result<std::vector<ApiToken>> tokensWhere(const std::string& where,
                                            std::span<const std::uint8_t> arg);
  // Routes matching `where` (empty: all), which may bind ?1 to `arg`.
  Result<std::vector<Route>> routesWhere(const std::string& where, const std::string& arg);
  // Errors: "no-such-account".
  Result<std::int64_t> accountId(const std::string& name);
  Result<std::optional<Environment>> findEnvironment(const std::string& name);
  Result<std::optional<ChannelRecord>> findChannel(const std::string& account,
                                                   const std::string& name);
  // The form `key` is stored in: sealed under the KEK, or plaintext when the registry has none.
  // Call inside the write's transaction. Errors: "kek-required" (the registry's keys are sealed
  // and this connection has no KEK: another process sealed them after this one opened).
  Result<std::vector<std::uint8_t>> storedForm(const std::string& gateway, std::uint32_t key_id,
                                               const seal::Key& key);
  // "kek-required" when this connection has no KEK and the registry's keys are sealed (another
  // process sealed them after this one opened it): nothing may then be written in plain.
  Result<void> refuseIfSealed(std::string_view what);
  // A secret (a stream's password, a webhook's signing secret) as it is stored: sealed under
  // the KEK for `owner` (secretOwner), or plaintext when the registry has none.
  // Errors: "kek-required" (as storedForm).
  Result<std::string> storedSecret(const std::string& owner, const std::string& secret);
  // A stored secret in plain; "" (with a warning) when it is sealed and does not open.
  std::string plainSecret(const std::string& owner, const std::string& stored);
  // Seals the plaintext secrets of streams and webhooks (encryptKeys); returns how many.
  Result<std::size_t> sealSecrets();

  sqlite::Database db_;
  std::unique_ptr<KeyWrap> kek_;  // null: no KEK given
};

}  // namespace dots::cloud
