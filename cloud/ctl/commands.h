#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

namespace dots::ctl {

// Each command writes its result to `out`, diagnostics to `err`, and returns the exit code:
// 0 done, 1 failed (a reason is printed), 3 the thing already exists / does not exist.
struct Context {
  std::string data_dir;
  std::ostream& out;
  std::ostream& err;
};

int accountAdd(const Context& ctx, const std::string& name);
int accountList(const Context& ctx, bool json);

struct EndpointSnippet {
  std::string broker = "tcp://127.0.0.1:1883";
  std::string local_broker = "tcp://127.0.0.1:1883";
  std::string spool;  // default /var/lib/dots/spool-<gw>.db
};
int endpointAdd(const Context& ctx, const std::string& account, const std::string& gateway,
                const EndpointSnippet& snippet);
int endpointList(const Context& ctx, bool json);
int endpointEnable(const Context& ctx, const std::string& gateway, bool enabled);

struct ReadingQuery {
  std::optional<std::string> gateway;
  std::optional<std::string> sensor;
};
int readingsCount(const Context& ctx, const ReadingQuery& q, bool json);
int readingsStats(const Context& ctx, const ReadingQuery& q, bool json);
int readingsRecent(const Context& ctx, const ReadingQuery& q, std::size_t limit, bool json);
int readingsExportCsv(const Context& ctx, const ReadingQuery& q);

}  // namespace dots::ctl
