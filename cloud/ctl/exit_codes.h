#pragma once

#include "cloud/ctl/commands.h"
#include "shared/error/error.h"

namespace dots::ctl {

// dotsctl's exit codes (commands.h states what each means).
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;
inline constexpr int kUsage = 2;
inline constexpr int kConflict = 3;

// Prints `e` on ctx.err as "dotsctl: <reason>: <detail>" and returns its exit code: kConflict
// for "exists", "symlink" (a key file's path) and "no-such-*", kUsage for a bad argument
// ("bad-name", "bad-gateway-id", "bad-handler", "bad-broker", "bad-topic", "bad-tls",
// "secret-file", "no-kek", "bad-limit", "bad-url", "bad-cidr") and for a destination refused
// ("blocked-destination", "unresolvable") and for a scope refused ("bad-scope"), kFailed for
// everything else (a KEK that is missing, wrong or unreadable among them).
int report(const Context& ctx, const Error& e);

}  // namespace dots::ctl
