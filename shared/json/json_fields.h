#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "shared/error/error.h"

namespace dots::json {

// The top-level scalar members of a JSON object (nested objects and arrays are skipped): what a
// flat status message carries. Errors: "oversize" (more than `max_bytes`), "bad-json",
// "not-object".
struct TopLevelFields {
  std::map<std::string, double, std::less<>> numbers;  // numbers and booleans (1/0)
  std::map<std::string, std::string, std::less<>> strings;
};
Result<TopLevelFields> topLevelFields(std::string_view text, std::size_t max_bytes = 16 * 1024);

}  // namespace dots::json
