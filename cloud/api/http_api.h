#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cloud/api/event_hub.h"
#include "cloud/api/ingest_view.h"
#include "cloud/api/token_gate.h"
#include "cloud/intake/gateway_status.h"
#include "cloud/intake/intake_queue.h"
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
  // How long a push waits for room in the intake queue, and then for its commit; beyond: 503
  // (the retry with the same Idempotency-Key is safe).
  std::chrono::milliseconds push_queue_wait{5'000};
  std::chrono::milliseconds push_commit_wait{15'000};
  // Live events waiting for one client at most (serialised); beyond, the client is dropped.
  std::size_t event_buffer_bytes = 1u << 20;
  TokenRate token_rate;
};

// What the HTTP side reads and hands on; everything must outlive the server. `intake` null: no
// push endpoint (404); `events` null: no live events (404); `statuses` null: gateways are
// listed without their status.
struct HttpParts {
  ReadingQueries& queries;  // thread-safe (SerialQueries)
  TokenGate& gate;
  IntakeQueue* intake = nullptr;
  EventHub* events = nullptr;
  const GatewayStatusBoard* statuses = nullptr;
  std::function<IngestView()> view;
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
//   GET /api/v1/events                Server-Sent Events of the account's committed readings
//                                     ("readings", optionally ?gateway=&sensor=) and alerts
//   POST /api/v1/push/ID              SenML JSON from a partner system, with an Idempotency-Key:
//                                     a push token bound to endpoint ID (scope ingest); answered
//                                     after the commit, a retry with the same key stored once
// Every /api/ route needs "Authorization: Bearer TOKEN" of an account (401 without a valid one,
// 403 without the scope, 429 beyond the token's rate); the account is the token's, and another
// account's gateway, channel or alert is 404. Query routes share one query connection
// (`queries`, thread-safe: SerialQueries); /healthz and /metrics render a view of the ingester
// that never waits for a commit. Each request admitted is logged: token, account, method, path
// and status.
class HttpApi {
 public:
  // Throws std::runtime_error for a bad address or TLS files that cannot be loaded.
  HttpApi(HttpOptions options, HttpParts parts);
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
