#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cloud/registry/registry.h"
#include "shared/error/error.h"

namespace dots::cloud {

// A new token: "dots_" and 64 hex digits of fresh DRBG output (256 bits).
std::string newTokenSecret();
// What the registry keeps of a token: its SHA-256.
seal::Mac tokenHash(std::string_view secret);

// "read,command" <-> ApiScope bits. Errors: "bad-scope" (an unknown or empty name).
Result<unsigned> parseScopes(std::string_view text);
std::string formatScopes(unsigned scopes);

// Whether a token is in force at `now_ms`: not revoked, not expired.
enum class TokenState { kActive, kExpired, kRevoked };
TokenState tokenState(const ApiToken& token, std::int64_t now_ms);
const char* describe(TokenState state);

}  // namespace dots::cloud
