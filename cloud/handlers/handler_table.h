#pragma once

#include <memory>
#include <string_view>

#include "cloud/pipeline/handler.h"

namespace dots::cloud {

// The built-in handlers, by type: builds one from its spec "type[:key=value,...]"; every
// parameter is validated here, at start-up or when the registry changes, never on the data
// path. Error reason "bad-handler", naming the type and key.
Result<std::unique_ptr<Handler>> makeHandler(std::string_view spec);

}  // namespace dots::cloud
