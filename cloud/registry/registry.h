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
  // Changes whenever another connection commits to the registry.
  Result<std::int64_t> dataVersion();

 private:
  explicit Registry(sqlite::Database db) : db_(std::move(db)) {}
  Result<std::vector<Endpoint>> query(const std::string& where, const std::string& arg);
  sqlite::Database db_;
};

}  // namespace dots::cloud
