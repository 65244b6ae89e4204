#pragma once

#include <functional>

#include "cloud/ctl/commands.h"
#include "cloud/registry/registry.h"
#include "cloud/store/reading_queries.h"

namespace dots::ctl {

// The one place dotsctl opens its databases in ctx.data_dir. Each opens, reports a failure to
// open (returning its exit code), or else returns what `command` returns; the database is closed
// when `command` has returned.
// The registry is opened with the KEK of ctx.kek_file when one is named; `allow_plaintext_keys`
// is for `registry encrypt-keys` alone (RegistryOptions).
int withRegistry(const Context& ctx, const std::function<int(cloud::Registry&)>& command,
                 bool allow_plaintext_keys = false);
// The same, for a command that needs the registry along the way (errors as Registry::open's,
// or "kek-file").
Result<std::unique_ptr<cloud::Registry>> openRegistry(const Context& ctx,
                                                      bool allow_plaintext_keys = false);
int withStore(const Context& ctx, const std::function<int(cloud::ReadingQueries&)>& command);

}  // namespace dots::ctl
