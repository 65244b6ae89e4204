// The one place that knows which engine backs a data folder.
#include "cloud/registry/registry.h"

#include "cloud/registry/sqlite/sqlite_registry.h"

namespace dots::cloud {

Result<std::unique_ptr<Registry>> Registry::open(const std::string& data_dir,
                                                 const RegistryOptions& options) {
  auto sqlite = SqliteRegistry::open(data_dir, options);
  if (!sqlite) return std::unexpected(sqlite.error());
  return std::unique_ptr<Registry>(std::move(*sqlite));
}

}  // namespace dots::cloud
