#include "cloud/api/console_assets.h"

#include <array>
#include <utility>

#include "cloud/api/console_files.h"

namespace dots::cloud {

namespace {

std::string_view contentTypeOf(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
  }};
  for (const auto& [suffix, type] : kTypes) {
    if (path.ends_with(suffix)) return type;
  }
  // Licence texts and anything else: shown, never run.
  return "text/plain; charset=utf-8";
}

}  // namespace

std::optional<Asset> consoleAsset(std::string_view path) {
  if (path.empty()) path = "index.html";
  for (const ConsoleFile& file : consoleFiles()) {
    if (path != file.path) continue;
    return Asset{
        {reinterpret_cast<const char*>(file.bytes), file.size}, contentTypeOf(path), file.etag};
  }
  return std::nullopt;
}

}  // namespace dots::cloud
