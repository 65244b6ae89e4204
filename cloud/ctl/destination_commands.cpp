// dotsctl's destination allow-list, and the check every stream broker and webhook passes when
// it is added.
#include "cloud/ctl/commands.h"
#include "cloud/ctl/databases.h"
#include "cloud/ctl/exit_codes.h"
#include "shared/json/json_writer.h"

namespace dots::ctl {

Result<void> checkDestination(cloud::Registry& reg, const std::string& host, int port, bool plain) {
  auto allowed = reg.allowedDestinations();
  if (!allowed) return std::unexpected(allowed.error());
  std::vector<net::Cidr> ranges;
  for (const auto& text : *allowed) {
    if (auto c = net::Cidr::parse(text)) ranges.push_back(*c);
  }
  auto resolved = net::DestinationPolicy(std::move(ranges)).resolve(host, port, plain);
  if (!resolved) return std::unexpected(resolved.error());
  return {};
}

int allowListAdd(const Context& ctx, const std::string& cidr) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto added = reg.allowDestination(cidr);
    if (!added) return report(ctx, added.error());
    ctx.out << "allow-listed " << *added
            << ": streams and webhooks may reach it, webhooks also over plain http://\n";
    return kOk;
  });
}

int allowListRemove(const Context& ctx, const std::string& cidr) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    if (auto r = reg.removeAllowedDestination(cidr); !r) return report(ctx, r.error());
    ctx.out << "removed " << cidr << " from the allow-list\n";
    return kOk;
  });
}

int allowListList(const Context& ctx, bool json) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto list = reg.allowedDestinations();
    if (!list) return report(ctx, list.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& c : *list) w.string(c);
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    for (const auto& c : *list) ctx.out << c << "\n";
    return kOk;
  });
}

}  // namespace dots::ctl
