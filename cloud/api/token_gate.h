#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/registry/registry.h"

namespace dots::cloud {

// Why a request was not let in, and its HTTP status: "no-token", "bad-token", "expired-token",
// "revoked-token" (401), "wrong-scope" (403), "rate-limited" (429), "registry" (503).
struct Refusal {
  int status = 401;
  std::string reason;
  std::string message;
};

// What an account's token may see: the account's gateways (endpoints) and channels, as the
// registry has them now. Queries are restricted to these at the storage layer.
struct AccountScope {
  std::string account;
  std::map<std::string, bool> gateways;          // id -> enabled
  std::map<std::string, std::int64_t> channels;  // name -> id
  std::vector<std::int64_t> channelIds() const;
};

// Per-token request rate: a token bucket of `burst` requests refilled at `rate_per_s`.
struct TokenRate {
  double rate_per_s = 50;
  double burst = 100;
};

// Counters for /metrics.
struct GateCounters {
  std::map<std::string, std::uint64_t> refused;        // by reason
  std::map<std::int64_t, std::uint64_t> requests;      // admitted, by token id
  std::map<std::int64_t, std::uint64_t> rate_limited;  // by token id
};

// Checks the bearer tokens of the HTTP API against the registry, on its own registry connection
// (the gate serialises its callers). Tokens found are kept until the registry changes, so a
// revocation (by dotsctl, in another process) is seen from the next request on. Thread-safe.
class TokenGate {
 public:
  using Clock = std::chrono::steady_clock;

  TokenGate(std::unique_ptr<Registry> registry, TokenRate rate);

  // `authorization` is the Authorization header's value ("Bearer TOKEN"), or empty. The token
  // must be in force, hold every scope of `needed`, and have a request left in its bucket.
  std::expected<ApiToken, Refusal> admit(std::string_view authorization, unsigned needed,
                                         std::int64_t now_ms, Clock::time_point now);
  // Whether token `id` is still in force (not revoked, not expired): what a long-lived stream
  // asks now and then. False too when the registry cannot be read.
  bool inForce(std::int64_t id, std::int64_t now_ms);
  // The account's gateways and channels. Errors: the registry's.
  Result<AccountScope> scope(const std::string& account);
  GateCounters counters() const;

 private:
  // Forgets what was cached when the registry changed. Call with mutex_ held.
  Result<void> refresh();
  void refuse(const std::string& reason);

  mutable std::mutex mutex_;
  std::unique_ptr<Registry> registry_;
  TokenRate rate_;
  std::optional<std::int64_t> version_;
  std::map<std::string, ApiToken> by_hash_;  // tokens seen, by hash (bytes), until a change
  std::map<std::string, AccountScope> scopes_;
  struct Bucket {
    double left = 0;
    Clock::time_point at{};
  };
  std::map<std::int64_t, Bucket> buckets_;
  GateCounters counters_;
};

}  // namespace dots::cloud
