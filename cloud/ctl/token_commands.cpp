// dotsctl's API tokens.
#include <cmath>

#include "cloud/ctl/commands.h"
#include "cloud/ctl/databases.h"
#include "cloud/ctl/exit_codes.h"
#include "cloud/registry/api_tokens.h"
#include "shared/json/json_writer.h"
#include "shared/time/clock.h"

namespace dots::ctl {

namespace {

std::string owner(const cloud::ApiToken& t) {
  return t.account.empty() ? "operator" : "account " + t.account;
}

}  // namespace

int tokenCreate(const Context& ctx, const TokenArgs& args) {
  auto scopes = cloud::parseScopes(args.scopes);
  if (!scopes) return report(ctx, scopes.error());
  if (!(args.expires_in_days >= 0) || args.expires_in_days > 36500) {
    return report(ctx, Error{"bad-limit", "--expires-in must be 0-36500 days"});
  }
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    cloud::ApiToken spec;
    spec.name = args.name;
    spec.account = args.account;
    spec.scopes = *scopes;
    if (args.expires_in_days > 0) {
      spec.expires_ms =
          wallMillis() + static_cast<std::int64_t>(std::ceil(args.expires_in_days * 86'400'000.0));
    }
    std::string secret = cloud::newTokenSecret();
    auto added = reg.addToken(spec, cloud::tokenHash(secret));
    if (!added) return report(ctx, added.error());
    ctx.out << "token " << added->id << (added->name.empty() ? "" : " \"" + added->name + "\"")
            << " for " << owner(*added) << ", scopes " << cloud::formatScopes(added->scopes)
            << (added->expires_ms ? ", expires at " + std::to_string(added->expires_ms) + " ms"
                                  : ", never expires")
            << ": shown once, only its hash is kept\n"
            << secret << "\n";
    return kOk;
  });
}

int tokenList(const Context& ctx, bool json) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto tokens = reg.tokens();
    if (!tokens) return report(ctx, tokens.error());
    std::int64_t now = wallMillis();
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const cloud::ApiToken& t : *tokens) {
        w.beginObject().key("id").integer(t.id).key("name").string(t.name);
        if (t.account.empty()) {
          w.key("operator").boolean(true);
        } else {
          w.key("account").string(t.account);
        }
        w.key("scopes").string(cloud::formatScopes(t.scopes));
        if (!t.endpoint.empty()) w.key("endpoint").string(t.endpoint);
        w.key("created_ms").integer(t.created_ms).key("expires_ms").integer(t.expires_ms);
        w.key("revoked_ms").integer(t.revoked_ms);
        w.key("state").string(cloud::describe(cloud::tokenState(t, now))).endObject();
      }
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    for (const cloud::ApiToken& t : *tokens) {
      ctx.out << t.id << "  " << (t.name.empty() ? "-" : t.name) << "  " << owner(t) << "  "
              << cloud::formatScopes(t.scopes)
              << (t.endpoint.empty() ? "" : "  endpoint " + t.endpoint) << "  "
              << cloud::describe(cloud::tokenState(t, now)) << "\n";
    }
    return kOk;
  });
}

int tokenRevoke(const Context& ctx, std::int64_t id) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto revoked = reg.revokeToken(id);
    if (!revoked) return report(ctx, revoked.error());
    ctx.out << "token " << id << " revoked: the API refuses it from its next request on\n";
    return kOk;
  });
}

}  // namespace dots::ctl
