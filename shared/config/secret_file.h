#pragma once

#include <string>

#include "shared/error/error.h"

namespace dots::config {

// Reads a secret (a broker password) from a file, so that it never appears on a command line
// or in a config file: the file's first line, without its line end. Refused ("secret-file",
// detail naming the file): not a regular file, unreadable, empty, larger than 4 KiB, or
// accessible to others or writable by the group (it must be like 0600, 0400 or 0640).
Result<std::string> readSecretFile(const std::string& path);

}  // namespace dots::config
