#include "shared/config/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace dots::config {

namespace {
constexpr std::size_t kMaxBytes = 4096;

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}
}  // namespace

Result<std::string> readSecretFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("secret-file", path + " cannot be read");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("secret-file", path + " is not a regular file");
  }
  if ((st.st_mode & (S_IRWXO | S_IWGRP)) != 0) {
    ::close(fd);
    return fail("secret-file", path + " has mode " + octal(st.st_mode) +
                                   ": others may read or change it (chmod 600 " + path + ")");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxBytes) {
    ::close(fd);
    return fail("secret-file", path + " is larger than 4 KiB");
  }
  std::string text(kMaxBytes, '\0');
  ssize_t n = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n < 0) return fail("secret-file", path + " cannot be read");
  text.resize(static_cast<std::size_t>(n));
  std::size_t end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  if (text.empty()) return fail("secret-file", path + " is empty");
  return text;
}

}  // namespace dots::config
