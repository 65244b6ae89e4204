#pragma once

#include <functional>
#include <memory>
#include <string>

namespace dots::cloud {

// The ingester's HTTP side (the only place that sees cpp-httplib):
//   GET /healthz          200 {"status":"ok",...} or 503 when the broker link is down
//   GET /metrics          Prometheus text format
//   GET /api/readings     ?gateway=&sensor=&from=&to=&limit=   (times in ms since the epoch)
//   GET /api/aggregates   same parameters; windows by start time
//   GET /api/alerts       same parameters
// Query endpoints read the store with their own SQLite connection per request.
class HttpApi {
 public:
  struct Hooks {
    std::function<bool(std::string& body)> health;  // true when healthy; body is JSON
    std::function<std::string()> metrics;
  };
  // `address` is HOST:PORT; port 0 picks a free one (see port()).
  HttpApi(std::string address, std::string data_dir, Hooks hooks);
  ~HttpApi();

  // Binds and starts serving on a background thread; throws std::runtime_error on failure.
  void start();
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dots::cloud
