#include "cloud/ctl/databases.h"

#include "cloud/ctl/exit_codes.h"
#include "cloud/store/sqlite/sqlite_queries.h"

namespace dots::ctl {

int withRegistry(const Context& ctx, const std::function<int(cloud::Registry&)>& command) {
  auto registry = cloud::Registry::open(ctx.data_dir);
  if (!registry) return report(ctx, registry.error());
  return command(**registry);
}

int withStore(const Context& ctx, const std::function<int(cloud::ReadingQueries&)>& command) {
  auto store = cloud::sqlite_store::SqliteQueries::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  return command(**store);
}

}  // namespace dots::ctl
