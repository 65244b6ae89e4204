#include "shared/app/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace dots::app {

namespace {
std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}
}  // namespace

void usePrivateFileModes() {
  ::umask(077);
}

Result<void> makePrivateDir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail("not-a-directory", dir + " is not a directory");
    return {};
  }
  std::filesystem::path path(dir);
  std::error_code ec;
  if (path.has_parent_path() && !path.parent_path().empty()) {
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail("mkdir", "cannot create " + dir + ": " + std::strerror(errno));
  }
  // mkdir applies the umask; 0700 is what is meant whatever the umask was.
  if (::chmod(dir.c_str(), 0700) != 0) {
    return fail("mkdir", "cannot set the mode of " + dir + ": " + std::strerror(errno));
  }
  return {};
}

std::vector<std::string> tightenPrivateFiles(const std::string& dir,
                                             std::span<const std::string_view> databases) {
  std::vector<std::string> notes;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    notes.push_back("folder " + dir + " has mode " + octal(st.st_mode) +
                    ": others may list it; 0700 is advised (chmod 0700 " + dir + ")");
  }
  for (std::string_view db : databases) {
    for (std::string_view suffix : {"", "-wal", "-shm", "-journal"}) {
      std::string path = dir + "/" + std::string(db) + std::string(suffix);
      if (::lstat(path.c_str(), &st) != 0) continue;
      if (S_ISLNK(st.st_mode)) {
        notes.push_back(path + " is a symbolic link; the file it points to should be 0600");
        continue;
      }
      if (!S_ISREG(st.st_mode) || (st.st_mode & 077) == 0) continue;
      if (::chmod(path.c_str(), 0600) == 0) {
        notes.push_back(path + " had mode " + octal(st.st_mode) + "; tightened to 0600");
      } else {
        notes.push_back(path + " has mode " + octal(st.st_mode) +
                        " and cannot be tightened: " + std::strerror(errno));
      }
    }
  }
  return notes;
}

Result<PrivateFile> PrivateFile::create(const std::string& path) {
  struct stat st {};
  auto refused = [&](const struct stat& s) {
    if (S_ISLNK(s.st_mode)) {
      return fail("symlink", path +
                                 " is a symbolic link: refused (not followed, its target is "
                                 "left alone); name a new file");
    }
    return fail("exists", path +
                              " already exists: refused (a key file is never written over); "
                              "name a new file or remove it first");
  };
  if (::lstat(path.c_str(), &st) == 0) return refused(st);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    // Something appeared between the lstat and the open: refused the same way.
    if ((err == EEXIST || err == ELOOP) && ::lstat(path.c_str(), &st) == 0) return refused(st);
    return fail("cannot-create", "cannot create " + path + ": " + std::strerror(err));
  }
  return PrivateFile(path, fd);
}

PrivateFile::PrivateFile(PrivateFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

PrivateFile::~PrivateFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> PrivateFile::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot-write", "cannot write " + path_ + ": " + std::strerror(errno));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> PrivateFile::close() {
  int err = ::fsync(fd_) == 0 ? 0 : errno;
  if (::close(fd_) != 0 && err == 0) err = errno;
  fd_ = -1;
  if (err != 0) return fail("cannot-write", "cannot write " + path_ + ": " + std::strerror(err));
  return {};
}

void PrivateFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(path_.c_str());
}

}  // namespace dots::app
