#include "cloud/api/token_gate.h"

#include <algorithm>

#include "cloud/registry/api_tokens.h"
#include "shared/log/log.h"

namespace dots::cloud {

std::vector<std::int64_t> AccountScope::channelIds() const {
  std::vector<std::int64_t> ids;
  ids.reserve(channels.size());
  for (const auto& [name, id] : channels) ids.push_back(id);
  return ids;
}

TokenGate::TokenGate(std::unique_ptr<Registry> registry, TokenRate rate)
    : registry_(std::move(registry)), rate_(rate) {}

Result<void> TokenGate::refresh() {
  auto version = registry_->dataVersion();
  if (!version) return std::unexpected(version.error());
  if (version_ && *version_ == *version) return {};
  version_ = *version;
  by_hash_.clear();
  scopes_.clear();
  return {};
}

void TokenGate::refuse(const std::string& reason) {
  ++counters_.refused[reason];
}

std::expected<ApiToken, Refusal> TokenGate::admit(std::string_view authorization, unsigned needed,
                                                  std::int64_t now_ms, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    refuse("no-token");
    return std::unexpected(Refusal{401, "no-token", "an Authorization: Bearer token is required"});
  }
  if (!authorization.starts_with(kBearer) || authorization.size() == kBearer.size() ||
      authorization.size() > 512) {
    refuse("bad-token");
    return std::unexpected(
        Refusal{401, "bad-token", "the Authorization header is not Bearer TOKEN"});
  }
  std::string_view secret = authorization.substr(kBearer.size());
  if (auto r = refresh(); !r) {
    refuse("registry");
    log::error("http", "tokens cannot be checked: ", r.error().describe());
    return std::unexpected(Refusal{503, "registry", "tokens cannot be checked now"});
  }
  seal::Mac hash = tokenHash(secret);
  std::string key(hash.begin(), hash.end());
  auto cached = by_hash_.find(key);
  if (cached == by_hash_.end()) {
    auto found = registry_->tokenByHash(hash);
    if (!found) {
      refuse("registry");
      log::error("http", "tokens cannot be checked: ", found.error().describe());
      return std::unexpected(Refusal{503, "registry", "tokens cannot be checked now"});
    }
    if (!*found) {
      refuse("bad-token");
      return std::unexpected(Refusal{401, "bad-token", "unknown token"});
    }
    cached = by_hash_.emplace(key, std::move(**found)).first;
  }
  const ApiToken& token = cached->second;
  switch (tokenState(token, now_ms)) {
    case TokenState::kExpired:
      refuse("expired-token");
      return std::unexpected(Refusal{401, "expired-token", "the token has expired"});
    case TokenState::kRevoked:
      refuse("revoked-token");
      return std::unexpected(Refusal{401, "revoked-token", "the token was revoked"});
    case TokenState::kActive: break;
  }
  if ((token.scopes & needed) != needed) {
    refuse("wrong-scope");
    return std::unexpected(Refusal{
        403, "wrong-scope", "the token lacks the scope " + formatScopes(needed & ~token.scopes)});
  }
  auto [it, fresh] = buckets_.try_emplace(token.id);
  Bucket& b = it->second;
  if (fresh) {
    b.left = rate_.burst;
  } else {
    double seconds = std::chrono::duration<double>(now - b.at).count();
    b.left = std::min(rate_.burst, b.left + std::max(0.0, seconds) * rate_.rate_per_s);
  }
  b.at = now;
  if (b.left < 1) {
    refuse("rate-limited");
    ++counters_.rate_limited[token.id];
    return std::unexpected(Refusal{429, "rate-limited", "too many requests for this token"});
  }
  b.left -= 1;
  ++counters_.requests[token.id];
  return token;
}

bool TokenGate::inForce(std::int64_t id, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (!refresh()) return false;
  for (const auto& [hash, token] : by_hash_) {
    if (token.id == id) return tokenState(token, now_ms) == TokenState::kActive;
  }
  auto all = registry_->tokens();
  if (!all) return false;
  for (const ApiToken& token : *all) {
    if (token.id == id) return tokenState(token, now_ms) == TokenState::kActive;
  }
  return false;
}

Result<AccountScope> TokenGate::scope(const std::string& account) {
  std::lock_guard lock(mutex_);
  if (auto r = refresh(); !r) return std::unexpected(r.error());
  if (auto it = scopes_.find(account); it != scopes_.end()) return it->second;
  AccountScope s;
  s.account = account;
  auto endpoints = registry_->endpoints();
  if (!endpoints) return std::unexpected(endpoints.error());
  for (const Endpoint& ep : *endpoints) {
    if (ep.account == account) s.gateways.emplace(ep.gateway, ep.enabled);
  }
  auto channels = registry_->channels();
  if (!channels) return std::unexpected(channels.error());
  for (const ChannelRecord& c : *channels) {
    if (c.account == account) s.channels.emplace(c.name, c.id);
  }
  scopes_.emplace(account, s);
  return s;
}

GateCounters TokenGate::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace dots::cloud
