#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cloud/api/ingest_view.h"
#include "cloud/store/reading_queries.h"

namespace dots::cloud {

// The ingester's HTTP side (the notifier's webhook client is the other user of cpp-httplib):
//   GET /healthz          200 {"status":"ok",...} or 503 when the broker link is down
//   GET /metrics          Prometheus text format
//   GET /api/readings     ?gateway=&sensor=&from=&to=&limit=   (times in ms since the epoch)
//   GET /api/aggregates   same parameters; windows by start time
//   GET /api/alerts       same parameters
// Query endpoints share one query connection (`queries`, thread-safe: SerialQueries); the
// health and metrics endpoints render a view of the ingester that never waits for a commit.
class HttpApi {
 public:
  // `address` is HOST:PORT; port 0 picks a free one (see port()). `queries` and `view` must
  // outlive the server.
  HttpApi(std::string address, ReadingQueries& queries, std::function<IngestView()> view);
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
