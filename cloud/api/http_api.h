#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cloud/api/ingest_view.h"
#include "cloud/api/token_gate.h"
#include "cloud/store/reading_queries.h"

namespace dots::cloud {

// How the HTTP side serves, and how much work one request may cause.
struct HttpOptions {
  std::string address;  // HOST:PORT; port 0 picks a free one (see HttpApi::port())
  // Both given: HTTPS (PEM files), else plain HTTP.
  std::string cert_file;
  std::string key_file;
  // Connections served at once, a thread each (started as they come); each costs at most
  // max_head_bytes + max_body_bytes of memory and request_time per request.
  std::size_t workers = 128;
  std::size_t max_body_bytes = 1u << 20;           // larger bodies: 413, never buffered whole
  std::size_t max_head_bytes = 64u << 10;          // request line and headers; beyond: cut off
  std::size_t max_headers = 64;                    // more header lines: 431
  std::chrono::milliseconds request_time{10'000};  // a request's bytes arrive within it, or cut off
  std::chrono::milliseconds io_timeout{5'000};     // each wait for the peer
  std::chrono::milliseconds keep_alive{5'000};     // an idle kept-alive connection is closed
  std::size_t max_limit = 10000;                   // rows one query may return (?limit=)
  std::int64_t max_span_ms = 31LL * 86'400'000;    // time span one query may cover
  TokenRate token_rate;
};

// The ingester's HTTP side (the notifier's webhook client is the other user of cpp-httplib):
//   GET /                             302 to /console/
//   GET /console/FILE                 the web console's files (built in); needs no token
//   GET /healthz                      {"status":"ok"} or 503 with the reason; needs no token
//   GET /metrics                      Prometheus text; an operator token of scope metrics
//   GET /api/v1/gateways              the account's gateways and their counters
//   GET /api/v1/gateways/ID           one of them
//   GET /api/v1/channels              the account's channels, their handlers and counters
//   GET /api/v1/channels/NAME         one of them
//   GET /api/v1/readings              ?gateway=&sensor=&from=&to=&limit= (times: ms since epoch)
//   GET /api/v1/aggregates            same parameters; windows by start time
//   GET /api/v1/alerts                same parameters
//   GET /api/v1/alerts/ID             one alert
// Every /api/ route needs "Authorization: Bearer TOKEN" of an account (401 without a valid one,
// 403 without the scope, 429 beyond the token's rate); the account is the token's, and another
// account's gateway, channel or alert is 404. Query routes share one query connection
// (`queries`, thread-safe: SerialQueries); /healthz and /metrics render a view of the ingester
// that never waits for a commit. Each request admitted is logged: token, account, method, path
// and status.
class HttpApi {
 public:
  // `queries`, `gate` and `view`'s captures must outlive the server. Throws std::runtime_error
  // for a bad address or TLS files that cannot be loaded.
  HttpApi(HttpOptions options, ReadingQueries& queries, TokenGate& gate,
          std::function<IngestView()> view);
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
