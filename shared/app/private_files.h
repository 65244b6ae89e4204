#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/error/error.h"

namespace dots::app {

// Secrets on disk (keys, the registry, the store) are 0600 in 0700 folders.

// Sets the process's umask to 077, so that every file and folder it creates from here on is
// private to its user, whatever library creates it (SQLite's -wal and -shm files included).
// Call first thing in main.
void usePrivateFileModes();

// Creates `dir` with mode 0700 if it is missing (missing parents are created under the umask).
// An existing folder is left as it is. Errors: "not-a-directory", "mkdir".
Result<void> makePrivateDir(const std::string& dir);

// Checks `dir` and the database files in it: each of `databases` and its "-wal", "-shm" and
// "-journal" files that exist. A regular file that group or others may access is chmod'ed to
// 0600; a folder looser than 0700 and a symbolic link in place of a database are left alone.
// Returns one line for a person per thing done or found (empty: all private).
std::vector<std::string> tightenPrivateFiles(const std::string& dir,
                                             std::span<const std::string_view> databases);

// A file for a secret, created new with mode 0600 (O_CREAT|O_EXCL|O_NOFOLLOW): never written
// over an existing file, never through a symbolic link. Not thread-safe.
class PrivateFile {
 public:
  // Errors: "exists" (a file is there), "symlink" (a symbolic link is there: not followed, its
  // target is not touched), "cannot-create" (any other failure, with the system's reason).
  static Result<PrivateFile> create(const std::string& path);

  PrivateFile(PrivateFile&& other) noexcept;
  PrivateFile& operator=(PrivateFile&&) = delete;
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;
  // Closes the file if still open (what was written stays).
  ~PrivateFile();

  // Writes all of `data`. Errors: "cannot-write".
  Result<void> write(std::string_view data);
  // Flushes to disk and closes. Errors: "cannot-write".
  Result<void> close();
  // Closes and removes the file (what this process created, nothing else).
  void discard();

  const std::string& path() const { return path_; }

 private:
  PrivateFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace dots::app
