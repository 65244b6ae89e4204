#pragma once

#include <optional>
#include <string_view>

namespace dots::cloud {

// A static file of the web console, as the ingester serves it under /console/. Points into data
// built into the binary: valid for the program's life.
struct Asset {
  std::string_view body;
  std::string_view content_type;
  std::string_view etag;  // quoted, for ETag / If-None-Match
};

// The console's file at `path` (relative to /console/; "" is index.html), or nothing.
std::optional<Asset> consoleAsset(std::string_view path);

}  // namespace dots::cloud
