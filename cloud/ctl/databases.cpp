#include "cloud/ctl/databases.h"

#include "cloud/ctl/exit_codes.h"
#include "cloud/registry/key_wrap.h"
#include "cloud/store/sqlite/sqlite_queries.h"

namespace dots::ctl {

Result<std::unique_ptr<cloud::Registry>> openRegistry(const Context& ctx,
                                                      bool allow_plaintext_keys) {
  cloud::RegistryOptions options;
  options.allow_plaintext_keys = allow_plaintext_keys;
  if (!ctx.kek_file.empty()) {
    std::string warning;
    auto kek = cloud::readKekFile(ctx.kek_file, warning);
    if (!kek) return std::unexpected(kek.error());
    if (!warning.empty()) ctx.err << "dotsctl: warning: " << warning << "\n";
    options.kek = *kek;
  }
  return cloud::Registry::open(ctx.data_dir, options);
}

int withRegistry(const Context& ctx, const std::function<int(cloud::Registry&)>& command,
                 bool allow_plaintext_keys) {
  auto registry = openRegistry(ctx, allow_plaintext_keys);
  if (!registry) return report(ctx, registry.error());
  return command(**registry);
}

int withStore(const Context& ctx, const std::function<int(cloud::ReadingQueries&)>& command) {
  auto store = cloud::sqlite_store::SqliteQueries::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  return command(**store);
}

}  // namespace dots::ctl
