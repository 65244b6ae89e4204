#pragma once

#include <fnmatch.h>

#include <string>

namespace dots {

// Shell-style pattern match (* ? [..]) of a sensor name.
inline bool globMatch(const std::string& pattern, const std::string& name) {
  return pattern == "*" || fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

}  // namespace dots
