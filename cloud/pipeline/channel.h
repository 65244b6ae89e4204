#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cloud/pipeline/handler.h"

namespace dots::cloud {

// A channel at runtime: its handlers in order. Not thread-safe (worker thread); counters may be
// read from any thread.
class Channel {
 public:
  // Builds every handler; the first bad spec fails the channel.
  static Result<std::unique_ptr<Channel>> create(std::int64_t id, std::string account,
                                                 std::string name, std::string environment,
                                                 const std::vector<std::string>& specs);

  // Runs `readings` through the handlers in order; what they write goes to `sink`, in the
  // batch group's transaction.
  Result<void> run(std::vector<Reading> readings, std::string_view gateway, bool historical,
                   ChannelSink& sink);
  // The group's transaction committed (keep every handler's state) or rolled back (undo it).
  void commit();
  void abort();

  std::int64_t id() const { return id_; }
  const std::string& account() const { return account_; }
  const std::string& name() const { return name_; }
  const std::string& environment() const { return environment_; }
  const std::vector<std::string>& specs() const { return specs_; }
  const std::vector<std::unique_ptr<Handler>>& handlers() const { return handlers_; }

 private:
  std::int64_t id_ = 0;
  std::string account_;
  std::string name_;
  std::string environment_;
  std::vector<std::string> specs_;
  std::vector<std::unique_ptr<Handler>> handlers_;
};

}  // namespace dots::cloud
