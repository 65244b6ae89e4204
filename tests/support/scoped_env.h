#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace dots::test {

// Sets an environment variable for the processes a test starts; restores it at scope exit.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// ASAN_OPTIONS for a process whose memory peak a test measures: AddressSanitizer's quarantine
// keeps freed blocks (256 MiB by default) and would count as the process's own. No effect on a
// build without it.
inline std::string asanOptionsWithoutQuarantine() {
  const char* old = std::getenv("ASAN_OPTIONS");
  std::string options = old ? old : "";
  if (!options.empty()) options += ":";
  return options + "quarantine_size_mb=0:thread_local_quarantine_size_kb=0";
}

}  // namespace dots::test
