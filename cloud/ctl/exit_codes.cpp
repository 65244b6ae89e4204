#include "cloud/ctl/exit_codes.h"

namespace dots::ctl {

int report(const Context& ctx, const Error& e) {
  ctx.err << "dotsctl: " << e.describe() << "\n";
  if (e.reason == "exists" || e.reason == "symlink" || e.reason.starts_with("no-such")) {
    return kConflict;
  }
  if (e.reason == "bad-handler" || e.reason == "bad-name" || e.reason == "bad-gateway-id" ||
      e.reason == "bad-broker" || e.reason == "bad-topic" || e.reason == "bad-retention" ||
      e.reason == "bad-tls" || e.reason == "secret-file" || e.reason == "no-kek" ||
      e.reason == "bad-limit" || e.reason == "bad-url" || e.reason == "bad-cidr" ||
      e.reason == "blocked-destination" || e.reason == "unresolvable" || e.reason == "bad-scope") {
    return kUsage;
  }
  return kFailed;
}

}  // namespace dots::ctl
