// SqliteRegistry: the HTTP API's tokens.
#include <string>

#include "cloud/registry/sqlite/sqlite_registry.h"
#include "shared/time/clock.h"

namespace dots::cloud {

namespace {

constexpr unsigned kAccountScopes = kScopeRead | kScopeCommand | kScopeIngest | kScopeAdmin;
constexpr unsigned kOperatorScopes = kScopeMetrics | kScopeAdmin;

constexpr const char* kTokenColumns =
    "SELECT t.id, t.name, coalesce(a.name, ''), t.scopes, coalesce(t.endpoint, ''), "
    "t.created_ms, t.expires_ms, t.revoked_ms FROM api_tokens t "
    "LEFT JOIN accounts a ON a.id = t.account_id";

}  // namespace

Result<ApiToken> SqliteRegistry::addToken(const ApiToken& token, const seal::Mac& hash) {
  const bool operator_token = token.account.empty();
  const unsigned allowed = operator_token ? kOperatorScopes : kAccountScopes;
  if (token.scopes == 0 || (token.scopes & ~allowed) != 0) {
    return fail("bad-scope", operator_token
                                 ? "an operator token's scopes are metrics and admin"
                                 : "an account token's scopes are read, command, ingest and admin");
  }
  if (!token.endpoint.empty() && !(token.scopes & kScopeIngest)) {
    return fail("bad-scope", "a token bound to a push endpoint needs the ingest scope");
  }
  auto tx = sqlite::Transaction::begin(db_, sqlite::Transaction::Kind::kImmediate);
  if (!tx) return std::unexpected(tx.error());
  std::optional<std::int64_t> account_id;
  if (!operator_token) {
    auto id = accountId(token.account);
    if (!id) return std::unexpected(id.error());
    account_id = *id;
  }
  if (!token.endpoint.empty()) {
    auto ep = endpoint(token.endpoint);
    if (!ep) return std::unexpected(ep.error());
    if (!*ep) return fail("no-such-endpoint", "no endpoint \"" + token.endpoint + "\"");
    if ((*ep)->account != token.account) {
      return fail("bad-scope",
                  "endpoint \"" + token.endpoint + "\" is not account \"" + token.account + "\"'s");
    }
  }
  ApiToken out = token;
  out.created_ms = wallMillis();
  out.revoked_ms = 0;
  auto ins = db_.prepare(
      "INSERT INTO api_tokens(name, account_id, scopes, endpoint, hash, created_ms, expires_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!ins) return std::unexpected(ins.error());
  ins->bind(1, out.name);
  if (account_id) {
    ins->bind(2, *account_id);
  } else {
    ins->bindNull(2);
  }
  ins->bind(3, static_cast<std::int64_t>(out.scopes));
  if (out.endpoint.empty()) {
    ins->bindNull(4);
  } else {
    ins->bind(4, out.endpoint);
  }
  ins->bindBlob(5, hash).bind(6, out.created_ms).bind(7, out.expires_ms);
  if (auto r = ins->run(); !r) return std::unexpected(r.error());
  out.id = db_.lastInsertRowid();
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  return out;
}

Result<std::vector<ApiToken>> SqliteRegistry::tokensWhere(const std::string& where,
                                                          std::span<const std::uint8_t> arg) {
  auto st = db_.prepare(std::string(kTokenColumns) + where + " ORDER BY t.id");
  if (!st) return std::unexpected(st.error());
  if (!arg.empty()) st->bindBlob(1, arg);
  std::vector<ApiToken> out;
  auto r = st->forEachRow([&](const sqlite::Statement& row) {
    ApiToken t;
    t.id = row.int64(0);
    t.name = row.text(1);
    t.account = row.text(2);
    t.scopes = static_cast<unsigned>(row.int64(3));
    t.endpoint = row.text(4);
    t.created_ms = row.int64(5);
    t.expires_ms = row.int64(6);
    t.revoked_ms = row.int64(7);
    out.push_back(std::move(t));
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

Result<std::vector<ApiToken>> SqliteRegistry::tokens() {
  return tokensWhere("", {});
}

Result<std::optional<ApiToken>> SqliteRegistry::tokenByHash(const seal::Mac& hash) {
  auto found = tokensWhere(" WHERE t.hash = ?1", hash);
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return std::optional<ApiToken>();
  return std::optional(std::move(found->front()));
}

Result<ApiToken> SqliteRegistry::revokeToken(std::int64_t id) {
  auto st = db_.prepare("UPDATE api_tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms = 0");
  if (!st) return std::unexpected(st.error());
  st->bind(1, id).bind(2, wallMillis());
  if (auto r = st->run(); !r) return std::unexpected(r.error());
  auto all = tokens();
  if (!all) return std::unexpected(all.error());
  for (ApiToken& t : *all) {
    if (t.id == id) return std::move(t);
  }
  return fail("no-such-token", "no token " + std::to_string(id));
}

}  // namespace dots::cloud
