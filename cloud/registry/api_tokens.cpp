#include "cloud/registry/api_tokens.h"

#include <array>
#include <utility>

#include "shared/text/hex.h"

namespace dots::cloud {

namespace {

constexpr std::array<std::pair<std::string_view, unsigned>, 5> kScopeNames{{
    {"read", kScopeRead},
    {"command", kScopeCommand},
    {"ingest", kScopeIngest},
    {"admin", kScopeAdmin},
    {"metrics", kScopeMetrics},
}};

}  // namespace

std::string newTokenSecret() {
  seal::Key bytes = seal::randomKey();
  return "dots_" + toHex(bytes);
}

seal::Mac tokenHash(std::string_view secret) {
  return seal::sha256Digest(secret);
}

Result<unsigned> parseScopes(std::string_view text) {
  unsigned scopes = 0;
  while (true) {
    std::size_t comma = text.find(',');
    std::string_view name = text.substr(0, comma);
    bool known = false;
    for (const auto& [scope_name, bit] : kScopeNames) {
      if (name == scope_name) {
        scopes |= bit;
        known = true;
      }
    }
    if (!known) {
      return fail("bad-scope", "unknown scope \"" + std::string(name) +
                                   "\" (read, command, ingest, admin, metrics)");
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return scopes;
}

std::string formatScopes(unsigned scopes) {
  std::string out;
  for (const auto& [name, bit] : kScopeNames) {
    if (!(scopes & bit)) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

TokenState tokenState(const ApiToken& token, std::int64_t now_ms) {
  if (token.revoked_ms != 0) return TokenState::kRevoked;
  if (token.expires_ms != 0 && now_ms >= token.expires_ms) return TokenState::kExpired;
  return TokenState::kActive;
}

const char* describe(TokenState state) {
  switch (state) {
    case TokenState::kActive: return "active";
    case TokenState::kExpired: return "expired";
    case TokenState::kRevoked: return "revoked";
  }
  return "unknown";
}

}  // namespace dots::cloud
