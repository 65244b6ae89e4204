#pragma once

#include <functional>

#include "cloud/ctl/commands.h"
#include "cloud/registry/registry.h"
#include "cloud/store/reading_queries.h"

namespace dots::ctl {

// The one place dotsctl opens its databases in ctx.data_dir. Each opens, reports a failure to
// open (returning its exit code), or else returns what `command` returns; the database is closed
// when `command` has returned.
int withRegistry(const Context& ctx, const std::function<int(cloud::Registry&)>& command);
int withStore(const Context& ctx, const std::function<int(cloud::ReadingQueries&)>& command);

}  // namespace dots::ctl
