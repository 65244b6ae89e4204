#include "cloud/api/http_api.h"

#include <httplib.h>

#include <atomic>
#include <charconv>
#include <exception>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

#include "cloud/api/bounded_server.h"
#include "cloud/api/console_assets.h"
#include "cloud/registry/api_tokens.h"
#include "cloud/store/row_json.h"
#include "shared/json/json_writer.h"
#include "shared/log/log.h"
#include "shared/senml/payload_parser.h"
#include "shared/time/clock.h"

namespace dots::cloud {

namespace {

// The token a request on this thread was admitted with (cpp-httplib serves a request and then
// logs it on one worker thread), for the access log.
thread_local std::optional<ApiToken> admitted_token;

// A request the route refuses, with the HTTP status and the reason.
struct Refused {
  int status;
  std::string reason;
  std::string message;
};

}  // namespace

struct HttpApi::Impl {
  HttpOptions options;
  std::string host;
  int port = 0;
  ReadingQueries* queries = nullptr;
  TokenGate* gate = nullptr;
  IntakeQueue* intake = nullptr;
  EventHub* events = nullptr;
  const GatewayStatusBoard* statuses = nullptr;
  std::function<IngestView()> view;
  std::mutex push_mutex;
  std::map<std::string, std::uint64_t> push_rejected;  // by reason
  std::uint64_t pushes_stored = 0;
  std::uint64_t pushes_duplicate = 0;
  void refusePush(const std::string& reason) {
    std::lock_guard lock(push_mutex);
    ++push_rejected[reason];
  }
  void push(const ApiToken& token, const httplib::Request& req, httplib::Response& res);
  void acknowledge(const ApiToken& token, const AccountScope& scope, std::int64_t alert_id,
                   httplib::Response& res);
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  // Requests whose handler threw: answered 500, counted in /metrics, logged rate-limited.
  std::atomic<std::uint64_t> internal_errors{0};
  std::atomic<std::uint64_t> too_many_headers{0};
  std::function<std::uint64_t()> cut_off;  // requests over their bytes or time
  log::RateLimiter log_limiter;
  std::mutex status_mutex;
  std::map<int, std::uint64_t> responses;  // by status

  using Route = std::function<void(const ApiToken&, const AccountScope&, const httplib::Request&,
                                   httplib::Response&)>;
  // The request's token if it holds `needed` (and is logged as the request's); else the
  // refusal is answered and nullopt returned.
  std::optional<ApiToken> admit(const httplib::Request& req, httplib::Response& res,
                                unsigned needed);
  // Wraps an /api/v1 route: the token (scope `needed`), then its account's scope.
  httplib::Server::Handler guarded(unsigned needed, Route route);
  std::string metricsText();
};

namespace {

void sendError(httplib::Response& res, int status, const std::string& reason,
               const std::string& message) {
  res.status = status;
  json::Writer w;
  w.beginObject().key("error").string(reason).key("message").string(message).endObject();
  res.set_content(w.take() + "\n", "application/json");
}

std::optional<std::int64_t> intParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  std::string v = req.get_param_value(name);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size()) {
    throw Refused{400, "bad-parameter", std::string(name) + " must be an integer"};
  }
  return out;
}

// The filter of a query route, within the account's scope and the options' bounds: a gateway
// that is not the account's is 404 (as if it did not exist). With `bounded_span` (readings and
// aggregates, which the store finds by time) `from` defaults to max_span before `to` (or now),
// and a longer span is refused; alerts are found by id, LIMIT in the SQL.
ReadingFilter filterOf(const httplib::Request& req, const AccountScope& scope,
                       const HttpOptions& options, bool bounded_span) {
  ReadingFilter f;
  if (req.has_param("gateway")) {
    f.gateway = req.get_param_value("gateway");
    if (!scope.gateways.contains(*f.gateway)) {
      throw Refused{404, "not-found", "no such gateway"};
    }
  }
  if (req.has_param("sensor")) f.sensor = req.get_param_value("sensor");
  if (req.has_param("channel")) {
    auto it = scope.channels.find(req.get_param_value("channel"));
    if (it == scope.channels.end()) {
      throw Refused{404, "not-found", "no such channel"};
    }
    f.channel_id = it->second;
  }
  f.from_ms = intParam(req, "from");
  f.to_ms = intParam(req, "to");
  // Times are kept within ±2^53 ms (about ±285,000 years), so no difference below overflows.
  constexpr std::int64_t kTimeLimit = std::int64_t{1} << 53;
  for (const auto& t : {f.from_ms, f.to_ms}) {
    if (t && (*t > kTimeLimit || *t < -kTimeLimit)) {
      throw Refused{400, "bad-parameter", "from and to must be within ±2^53 ms"};
    }
  }
  if (f.from_ms && f.to_ms && *f.from_ms > *f.to_ms) {
    throw Refused{400, "bad-parameter", "from is after to"};
  }
  if (bounded_span) {
    std::int64_t upper = f.to_ms.value_or(wallMillis());
    if (!f.from_ms) f.from_ms = upper - options.max_span_ms;
    if (upper - *f.from_ms > options.max_span_ms) {
      throw Refused{400, "span-too-long",
                    "from..to may span at most " + std::to_string(options.max_span_ms) + " ms"};
    }
  }
  f.channel_ids = scope.channelIds();
  return f;
}

std::size_t limitOf(const httplib::Request& req, const HttpOptions& options) {
  auto limit = intParam(req, "limit");
  if (!limit) return std::min<std::size_t>(1000, options.max_limit);
  if (*limit < 1 || static_cast<std::size_t>(*limit) > options.max_limit) {
    throw Refused{400, "bad-parameter", "limit must be 1-" + std::to_string(options.max_limit)};
  }
  return static_cast<std::size_t>(*limit);
}

template <typename T>
T orFail(Result<T> r) {
  if (!r) throw std::runtime_error(r.error().describe());
  return std::move(*r);
}

std::string channelName(const AccountScope& scope, std::int64_t id) {
  for (const auto& [name, channel_id] : scope.channels) {
    if (channel_id == id) return name;
  }
  return "";
}

void writeGateway(json::Writer& w, const std::string& gateway, bool enabled, const IngestView& view,
                  const GatewayStatusBoard* statuses) {
  auto count = [](const std::map<std::string, std::uint64_t>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? std::uint64_t{0} : it->second;
  };
  w.beginObject()
      .key("gateway")
      .string(gateway)
      .key("enabled")
      .boolean(enabled)
      .key("batches")
      .integer(count(view.stats.endpoint_batches, gateway))
      .key("readings")
      .integer(count(view.stats.endpoint_readings, gateway));
  std::optional<GatewayStatus> status = statuses ? statuses->find(gateway) : std::nullopt;
  w.key("online").boolean(status && status->online());
  if (status) {
    w.key("status")
        .beginObject()
        .key("state")
        .string(status->state)
        .key("seen_ms")
        .integer(status->seen_ms)
        .key("spool_bytes")
        .integer(status->spool_bytes)
        .key("spool_readings")
        .integer(status->spool_readings)
        .key("received")
        .integer(status->received)
        .key("dropped")
        .integer(status->dropped)
        .key("acked")
        .integer(status->acked)
        .key("wire_bytes_per_reading")
        .number(status->wire_bytes_per_reading)
        .endObject();
  }
  w.endObject();
}

void writeChannel(json::Writer& w, const std::string& account, const std::string& name,
                  const IngestView& view) {
  const std::string full = account + "/" + name;
  w.beginObject().key("name").string(name).key("handlers").beginArray();
  for (const HandlerView& h : view.handlers) {
    if (h.channel != full) continue;
    w.beginObject()
        .key("handler")
        .string(h.handler)
        .key("in")
        .integer(h.in)
        .key("out")
        .integer(h.out)
        .key("errors")
        .integer(h.errors)
        .key("alerts")
        .integer(h.alerts)
        .key("suppressed")
        .integer(h.suppressed)
        .endObject();
  }
  w.endArray().endObject();
}

// The console's pages load only their own files, talk only to this server and are framed by no
// one; all script is in files (no inline script or style).
constexpr const char* kConsolePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// GET /console/<path>: an embedded file of the web console. Needs no token: the files hold no
// data, the API calls they make need one.
void serveConsole(const std::string& path, const httplib::Request& req, httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy", kConsolePolicy);
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  std::optional<Asset> asset = consoleAsset(path);
  if (!asset) return sendError(res, 404, "not-found", "no such file");
  // A file keeps its name when the binary changes it: revalidated on every use, by its hash.
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", std::string(asset->etag));
  if (req.get_header_value("If-None-Match") == asset->etag) {
    res.status = 304;
    return;
  }
  res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
}

}  // namespace

std::optional<ApiToken> HttpApi::Impl::admit(const httplib::Request& req, httplib::Response& res,
                                             unsigned needed) {
  auto token = gate->admit(req.get_header_value("Authorization"), needed, wallMillis(),
                           TokenGate::Clock::now());
  if (!token) {
    if (token.error().status == 429) res.set_header("Retry-After", "1");
    if (token.error().status == 401) res.set_header("WWW-Authenticate", "Bearer");
    sendError(res, token.error().status, token.error().reason, token.error().message);
    return std::nullopt;
  }
  admitted_token = *token;
  return std::move(*token);
}

httplib::Server::Handler HttpApi::Impl::guarded(unsigned needed, Route route) {
  return [this, needed, route = std::move(route)](const httplib::Request& req,
                                                  httplib::Response& res) {
    auto token = admit(req, res, needed);
    if (!token) return;
    if (token->account.empty()) {
      return sendError(res, 403, "wrong-scope", "an operator token has no account to query");
    }
    try {
      auto scope = gate->scope(token->account);
      if (!scope) throw std::runtime_error(scope.error().describe());
      route(*token, *scope, req, res);
    } catch (const Refused& r) {
      sendError(res, r.status, r.reason, r.message);
    }
  };
}

std::string HttpApi::Impl::metricsText() {
  std::string text = renderMetrics(view());
  text +=
      "# HELP dots_http_internal_errors_total HTTP requests whose handler failed (500).\n"
      "# TYPE dots_http_internal_errors_total counter\n"
      "dots_http_internal_errors_total " +
      std::to_string(internal_errors.load()) + "\n";
  GateCounters c = gate->counters();
  text +=
      "# HELP dots_http_refused_total HTTP requests refused before their route, by reason.\n"
      "# TYPE dots_http_refused_total counter\n";
  for (const auto& [reason, n] : c.refused) {
    text += "dots_http_refused_total{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
  }
  text += "dots_http_refused_total{reason=\"too-many-headers\"} " +
          std::to_string(too_many_headers.load()) + "\n";
  text += "dots_http_refused_total{reason=\"cut-off\"} " + std::to_string(cut_off()) + "\n";
  text +=
      "# HELP dots_http_token_requests_total Requests admitted, by token id.\n"
      "# TYPE dots_http_token_requests_total counter\n";
  for (const auto& [id, n] : c.requests) {
    text += "dots_http_token_requests_total{token=\"" + std::to_string(id) + "\"} " +
            std::to_string(n) + "\n";
  }
  text +=
      "# HELP dots_http_token_rate_limited_total Requests refused with 429, by token id.\n"
      "# TYPE dots_http_token_rate_limited_total counter\n";
  for (const auto& [id, n] : c.rate_limited) {
    text += "dots_http_token_rate_limited_total{token=\"" + std::to_string(id) + "\"} " +
            std::to_string(n) + "\n";
  }
  {
    std::lock_guard lock(push_mutex);
    text +=
        "# HELP dots_push_total POSTs to the push endpoint answered 200, by outcome.\n"
        "# TYPE dots_push_total counter\n"
        "dots_push_total{outcome=\"stored\"} " +
        std::to_string(pushes_stored) +
        "\n"
        "dots_push_total{outcome=\"duplicate\"} " +
        std::to_string(pushes_duplicate) +
        "\n"
        "# HELP dots_push_rejected_total POSTs to the push endpoint refused, by reason.\n"
        "# TYPE dots_push_rejected_total counter\n";
    for (const auto& [reason, n] : push_rejected) {
      text += "dots_push_rejected_total{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
    }
  }
  if (events) {
    EventHubCounters e = events->counters();
    text +=
        "# HELP dots_events_clients Live event clients connected.\n"
        "# TYPE dots_events_clients gauge\n"
        "dots_events_clients " +
        std::to_string(e.clients) +
        "\n"
        "# HELP dots_events_sent_total Live events handed to clients.\n"
        "# TYPE dots_events_sent_total counter\n"
        "dots_events_sent_total " +
        std::to_string(e.events) +
        "\n"
        "# HELP dots_events_dropped_clients_total Live clients dropped as too slow.\n"
        "# TYPE dots_events_dropped_clients_total counter\n"
        "dots_events_dropped_clients_total " +
        std::to_string(e.dropped_clients) + "\n";
  }
  text +=
      "# HELP dots_http_responses_total HTTP responses, by status.\n"
      "# TYPE dots_http_responses_total counter\n";
  std::lock_guard lock(status_mutex);
  for (const auto& [status, n] : responses) {
    text += "dots_http_responses_total{code=\"" + std::to_string(status) + "\"} " +
            std::to_string(n) + "\n";
  }
  return text;
}

void HttpApi::Impl::push(const ApiToken& token, const httplib::Request& req,
                         httplib::Response& res) {
  const std::string endpoint = req.matches[1];
  // A push token names its endpoint; any other is as if it did not exist.
  if (!intake || token.endpoint != endpoint) {
    refusePush("not-found");
    throw Refused{404, "not-found", "no such endpoint"};
  }
  const std::string key = req.get_header_value("Idempotency-Key");
  bool printable = std::ranges::all_of(key, [](char c) { return c > 0x20 && c < 0x7f; });
  if (key.empty() || key.size() > 128 || !printable) {
    refusePush("bad-idempotency-key");
    throw Refused{400, "bad-idempotency-key",
                  "an Idempotency-Key header of 1-128 printable characters is required"};
  }
  thread_local senml::PayloadParser parser;
  PushMessage m;
  if (auto r = parser.parse(req.body, "", wallMillis(), m.readings); !r) {
    int status = r.error().reason == "oversize" ? 413 : 400;
    refusePush(r.error().reason);
    throw Refused{status, r.error().reason, r.error().detail};
  }
  if (m.readings.empty()) {
    refusePush("empty");
    throw Refused{400, "empty", "no readings in the body"};
  }
  m.endpoint = endpoint;
  m.key = key;
  m.digest = seal::sha256Digest(req.body);
  m.done = std::make_shared<std::promise<PushOutcome>>();
  auto answer = m.done->get_future();
  IncomingMessage message = std::move(m);
  if (!intake->tryPush(message, options.push_queue_wait)) {
    refusePush("busy");
    res.set_header("Retry-After", "1");
    throw Refused{503, "busy", "the ingester is busy; retry with the same Idempotency-Key"};
  }
  if (answer.wait_for(options.push_commit_wait) != std::future_status::ready) {
    refusePush("not-committed");
    res.set_header("Retry-After", "1");
    throw Refused{503, "not-committed",
                  "not committed in time; retry with the same Idempotency-Key"};
  }
  PushOutcome out;
  try {
    out = answer.get();
  } catch (const std::future_error&) {
    out.result = fail("stopping", "the ingester stopped before committing");
  }
  if (!out.result) {
    const std::string& reason = out.result.error().reason;
    refusePush(reason);
    int status = reason == "conflict" || reason == "other-environment" ? 409
                 : reason == "unknown-gateway"                         ? 404
                 : reason == "disabled-endpoint"                       ? 403
                                                                       : 503;
    throw Refused{status, reason, out.result.error().detail};
  }
  {
    std::lock_guard lock(push_mutex);
    out.duplicate ? ++pushes_duplicate : ++pushes_stored;
  }
  json::Writer w;
  w.beginObject()
      .key("stored")
      .integer(out.stored)
      .key("duplicate")
      .boolean(out.duplicate)
      .endObject();
  res.set_content(w.take() + "\n", "application/json");
}

void HttpApi::Impl::acknowledge(const ApiToken& token, const AccountScope& scope,
                                std::int64_t alert_id, httplib::Response& res) {
  if (!intake) throw Refused{404, "not-found", "no such alert"};
  AckMessage m;
  m.alert_id = alert_id;
  m.channel_ids = scope.channelIds();
  m.by = token.name.empty() ? "token " + std::to_string(token.id) : token.name;
  m.at_ms = wallMillis();
  m.done = std::make_shared<std::promise<Result<bool>>>();
  auto answer = m.done->get_future();
  IncomingMessage message = std::move(m);
  if (!intake->tryPush(message, options.push_queue_wait) ||
      answer.wait_for(options.push_commit_wait) != std::future_status::ready) {
    res.set_header("Retry-After", "1");
    throw Refused{503, "busy", "not recorded in time; acknowledging again is safe"};
  }
  Result<bool> found = fail("stopping", "the ingester stopped before recording it");
  try {
    found = answer.get();
  } catch (const std::future_error&) {
  }
  if (!found) throw Refused{503, found.error().reason, found.error().detail};
  if (!*found) throw Refused{404, "not-found", "no such alert"};
  ReadingFilter f;
  f.channel_ids = scope.channelIds();
  f.alert_id = alert_id;
  auto rows = orFail(queries->alerts(f, 1));
  if (rows.empty()) throw Refused{404, "not-found", "no such alert"};
  json::Writer w;
  writeStoredAlert(w, rows[0]);
  res.set_content(w.take() + "\n", "application/json");
}

HttpApi::HttpApi(HttpOptions options, HttpParts parts) : impl_(std::make_unique<Impl>()) {
  const std::string address = options.address;
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--http must be HOST:PORT");
  impl_->host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), impl_->port);
  if (ec != std::errc() || end != port.data() + port.size() || impl_->port < 0 ||
      impl_->port > 65535) {
    throw std::runtime_error("--http must be HOST:PORT (got \"" + address + "\")");
  }
  impl_->options = std::move(options);
  impl_->queries = &parts.queries;
  impl_->gate = &parts.gate;
  impl_->intake = parts.intake;
  impl_->events = parts.events;
  impl_->statuses = parts.statuses;
  impl_->view = std::move(parts.view);
  const HttpOptions& o = impl_->options;
  if (o.cert_file.empty() != o.key_file.empty()) {
    throw std::runtime_error("--http-cert and --http-key come together");
  }
  ConnectionBounds bounds;
  bounds.request_bytes = o.max_head_bytes + o.max_body_bytes;
  bounds.request_time = o.request_time;
  bounds.io_timeout = o.io_timeout;
  bounds.keep_alive = o.keep_alive;
  bounds.answer_time = o.request_time + o.push_queue_wait + o.push_commit_wait;
  if (!o.cert_file.empty()) {
    auto tls = std::make_unique<BoundedTlsServer>(bounds, o.cert_file.c_str(), o.key_file.c_str());
    if (!tls->is_valid()) {
      throw std::runtime_error("--http-cert " + o.cert_file + " / --http-key " + o.key_file +
                               ": cannot be loaded (PEM certificate and its key)");
    }
    BoundedTlsServer* raw = tls.get();
    impl_->cut_off = [raw] { return raw->cutOff(); };
    impl_->server = std::move(tls);
  } else {
    auto plain = std::make_unique<BoundedServer>(bounds);
    BoundedServer* raw = plain.get();
    impl_->cut_off = [raw] { return raw->cutOff(); };
    impl_->server = std::move(plain);
  }

  auto& s = *impl_->server;
  Impl* impl = impl_.get();
  std::size_t workers = std::max<std::size_t>(2, o.workers);
  s.new_task_queue = [workers] { return new GrowingPool(workers); };
  s.set_payload_max_length(o.max_body_bytes);
  s.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    admitted_token.reset();
    if (req.headers.size() > impl->options.max_headers) {
      ++impl->too_many_headers;
      sendError(res, 431, "too-many-headers",
                "at most " + std::to_string(impl->options.max_headers) + " header lines");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) return sendError(res, 404, "not-found", "no such route");
    if (res.status == 413) {
      return sendError(res, 413, "too-large", "the request body is larger than allowed");
    }
    sendError(res, res.status, "refused", "the request was refused");
  });
  s.set_logger([impl](const httplib::Request& req, const httplib::Response& res) {
    {
      std::lock_guard lock(impl->status_mutex);
      ++impl->responses[res.status];
    }
    if (!admitted_token) return;
    // Token use: who, what, when (the log line's time); never the secret.
    std::string path = req.path.substr(0, 256);
    for (char& c : path) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    log::info("http", "token ", admitted_token->id,
              admitted_token->account.empty() ? " (operator) "
                                              : " (account " + admitted_token->account + ") ",
              req.method, " ", path, " ", res.status);
    admitted_token.reset();
  });
  s.set_exception_handler(
      [impl](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "an unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        std::uint64_t total = ++impl->internal_errors;
        long suppressed = 0;
        if (impl->log_limiter.allow("internal-error", suppressed)) {
          // The path as a client sent it, decoded: no control characters reach the log.
          std::string path = req.path.substr(0, 256);
          for (char& c : path) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
          }
          log::error("http", req.method, " ", path, " failed: ", what, " (", total, " so far",
                     suppressed ? log::concat(", ", suppressed, " not logged") : "", ")");
        }
        sendError(res, 500, "internal-error", "the request failed; it is logged");
      });
  s.Get("/healthz", [impl](const httplib::Request&, httplib::Response& res) {
    IngestView now = impl->view();
    res.status = healthy(now) ? 200 : 503;
    res.set_content(renderHealth(now) + "\n", "application/json");
  });
  s.Get("/metrics", [impl](const httplib::Request& req, httplib::Response& res) {
    auto token = impl->admit(req, res, kScopeMetrics);
    if (!token) return;
    if (!token->account.empty()) {
      return sendError(res, 403, "wrong-scope", "/metrics needs an operator token");
    }
    res.set_content(impl->metricsText(), "text/plain; version=0.0.4");
  });

  s.Get("/api/v1/gateways",
        impl->guarded(kScopeRead, [impl](const ApiToken&, const AccountScope& scope,
                                         const httplib::Request&, httplib::Response& res) {
          IngestView now = impl->view();
          json::Writer w;
          w.beginArray();
          for (const auto& [gateway, enabled] : scope.gateways) {
            writeGateway(w, gateway, enabled, now, impl->statuses);
          }
          res.set_content(w.endArray().take() + "\n", "application/json");
        }));
  s.Get(R"(/api/v1/gateways/([^/]+))",
        impl->guarded(kScopeRead, [impl](const ApiToken&, const AccountScope& scope,
                                         const httplib::Request& req, httplib::Response& res) {
          std::string gateway = req.matches[1];
          auto it = scope.gateways.find(gateway);
          if (it == scope.gateways.end()) {
            throw Refused{404, "not-found", "no such gateway"};
          }
          json::Writer w;
          writeGateway(w, gateway, it->second, impl->view(), impl->statuses);
          res.set_content(w.take() + "\n", "application/json");
        }));
  s.Get("/api/v1/channels",
        impl->guarded(kScopeRead, [impl](const ApiToken&, const AccountScope& scope,
                                         const httplib::Request&, httplib::Response& res) {
          IngestView now = impl->view();
          json::Writer w;
          w.beginArray();
          for (const auto& [name, id] : scope.channels) writeChannel(w, scope.account, name, now);
          res.set_content(w.endArray().take() + "\n", "application/json");
        }));
  s.Get(R"(/api/v1/channels/([^/]+))",
        impl->guarded(kScopeRead, [impl](const ApiToken&, const AccountScope& scope,
                                         const httplib::Request& req, httplib::Response& res) {
          std::string name = req.matches[1];
          if (!scope.channels.contains(name)) {
            throw Refused{404, "not-found", "no such channel"};
          }
          json::Writer w;
          writeChannel(w, scope.account, name, impl->view());
          res.set_content(w.take() + "\n", "application/json");
        }));
  s.Get("/api/v1/readings",
        impl->guarded(kScopeRead, [impl](const ApiToken&, const AccountScope& scope,
                                         const httplib::Request& req, httplib::Response& res) {
          ReadingFilter f = filterOf(req, scope, impl->options, true);
          json::Writer w;
          w.beginArray();
          if (auto points = intParam(req, "points")) {
            // Downsampled: one sensor, min/max/mean per bucket, at most `points` buckets.
            if (!f.sensor || !f.gateway) {
              throw Refused{400, "bad-parameter", "points needs gateway and sensor"};
            }
            if (*points < 1 || static_cast<std::size_t>(*points) > impl->options.max_limit) {
              throw Refused{400, "bad-parameter",
                            "points must be 1-" + std::to_string(impl->options.max_limit)};
            }
            std::int64_t to = f.to_ms.value_or(wallMillis() + 1);
            auto rows = orFail(
                impl->queries->buckets(f, *f.from_ms, to, static_cast<std::size_t>(*points)));
            for (const ReadingBucket& b : rows) {
              w.beginObject()
                  .key("start_ms")
                  .integer(b.start_ms)
                  .key("end_ms")
                  .integer(b.end_ms)
                  .key("count")
                  .integer(b.count)
                  .key("min")
                  .number(b.min)
                  .key("max")
                  .number(b.max)
                  .key("mean")
                  .number(b.mean)
                  .endObject();
            }
            res.set_content(w.endArray().take() + "\n", "application/json");
            return;
          }
          std::size_t limit = limitOf(req, impl->options);
          std::string order = req.has_param("order") ? req.get_param_value("order") : "stored";
          if (order != "stored" && order != "newest") {
            throw Refused{400, "bad-parameter", "order is stored or newest"};
          }
          auto rows = orFail(order == "newest" ? impl->queries->recent(f, limit)
                                               : impl->queries->readings(f, limit));
          for (const StoredReading& row : rows) {
            w.beginObject();
            writeReadingMembers(w, row.gateway, row.reading);
            w.key("historical").boolean(row.historical).endObject();
          }
          res.set_content(w.endArray().take() + "\n", "application/json");
        }));
  s.Get(R"(/api/v1/gateways/([^/]+)/sensors)",
        impl->guarded(kScopeRead, [impl](const ApiToken&, const AccountScope& scope,
                                         const httplib::Request& req, httplib::Response& res) {
          std::string gateway = req.matches[1];
          if (!scope.gateways.contains(gateway)) {
            throw Refused{404, "not-found", "no such gateway"};
          }
          ReadingFilter f = filterOf(req, scope, impl->options, true);
          f.gateway = gateway;
          auto rows = orFail(impl->queries->stats(f));
          json::Writer w;
          w.beginArray();
          for (const SeriesStats& st : rows) {
            w.beginObject()
                .key("sensor")
                .string(st.sensor)
                .key("unit")
                .string(st.unit)
                .key("count")
                .integer(st.count)
                .key("first_ms")
                .integer(st.first_ms)
                .key("last_ms")
                .integer(st.last_ms)
                .key("latest")
                .beginObject();
            writeReadingMembers(w, gateway, st.latest);
            w.endObject().endObject();
          }
          res.set_content(w.endArray().take() + "\n", "application/json");
        }));
  s.Get("/api/v1/aggregates",
        impl->guarded(kScopeRead, [impl](const ApiToken&, const AccountScope& scope,
                                         const httplib::Request& req, httplib::Response& res) {
          ReadingFilter f = filterOf(req, scope, impl->options, true);
          std::size_t limit = limitOf(req, impl->options);
          auto rows = orFail(impl->queries->aggregates(f, limit));
          json::Writer w;
          w.beginArray();
          for (const StoredAggregate& a : rows) {
            writeAggregate(w, a, channelName(scope, a.channel_id));
          }
          res.set_content(w.endArray().take() + "\n", "application/json");
        }));
  s.Get("/api/v1/alerts",
        impl->guarded(kScopeRead, [impl](const ApiToken&, const AccountScope& scope,
                                         const httplib::Request& req, httplib::Response& res) {
          ReadingFilter f = filterOf(req, scope, impl->options, false);
          std::size_t limit = limitOf(req, impl->options);
          auto rows = orFail(impl->queries->alerts(f, limit));
          json::Writer w;
          w.beginArray();
          for (const StoredAlert& a : rows) writeStoredAlert(w, a);
          res.set_content(w.endArray().take() + "\n", "application/json");
        }));
  s.Get(R"(/api/v1/alerts/(\d{1,18}))",
        impl->guarded(kScopeRead, [impl](const ApiToken&, const AccountScope& scope,
                                         const httplib::Request& req, httplib::Response& res) {
          std::int64_t id = std::stoll(req.matches[1]);
          ReadingFilter f;
          f.channel_ids = scope.channelIds();
          f.alert_id = id;
          auto rows = orFail(impl->queries->alerts(f, 1));
          if (rows.empty()) throw Refused{404, "not-found", "no such alert"};
          json::Writer w;
          writeStoredAlert(w, rows[0]);
          res.set_content(w.take() + "\n", "application/json");
        }));
  s.Post(R"(/api/v1/alerts/(\d{1,18})/ack)",
         impl->guarded(kScopeCommand, [impl](const ApiToken& token, const AccountScope& scope,
                                             const httplib::Request& req, httplib::Response& res) {
           impl->acknowledge(token, scope, std::stoll(req.matches[1]), res);
         }));
  s.Get("/api/v1/events",
        impl->guarded(kScopeRead, [impl](const ApiToken& token, const AccountScope& scope,
                                         const httplib::Request& req, httplib::Response& res) {
          if (!impl->events) throw Refused{404, "not-found", "no such route"};
          EventFilter filter;
          filter.account = scope.account;
          for (const auto& [name, id] : scope.channels) filter.channels.insert(id);
          if (req.has_param("gateway")) {
            filter.gateway = req.get_param_value("gateway");
            if (!scope.gateways.contains(*filter.gateway)) {
              throw Refused{404, "not-found", "no such gateway"};
            }
          }
          if (req.has_param("sensor")) filter.sensor = req.get_param_value("sensor");
          // The subscription lives as long as the response: the provider's state, released
          // when cpp-httplib is done with it (the client left, or was dropped).
          std::shared_ptr<EventHub::Subscription> sub = impl->events->subscribe(std::move(filter));
          if (!sub) {
            res.set_header("Retry-After", "5");
            throw Refused{503, "too-many-streams", "too many live streams open; try again later"};
          }
          res.set_header("Cache-Control", "no-store");
          res.set_header("X-Accel-Buffering", "no");
          res.set_chunked_content_provider(
              "text/event-stream",
              [impl, sub, token_id = token.id, opened = false, idle_s = 0,
               next_check = std::chrono::steady_clock::now() + std::chrono::seconds(5)](
                  std::size_t, httplib::DataSink& sink) mutable {
                // First an SSE comment, so the client knows it is live; then the frames, a
                // comment every 15 s of silence, and a check each second of whether the
                // server stops.
                if (!opened) {
                  opened = true;
                  static const std::string hello = ": live\n\n";
                  return sink.write(hello.data(), hello.size());
                }
                // A token revoked or expired while its stream is open ends it within about 5 s.
                if (std::chrono::steady_clock::now() >= next_check) {
                  next_check = std::chrono::steady_clock::now() + std::chrono::seconds(5);
                  if (!impl->gate->inForce(token_id, wallMillis())) {
                    static const std::string ended =
                        "event: ended\ndata: {\"reason\":\"token-not-in-force\"}\n\n";
                    sink.write(ended.data(), ended.size());
                    sink.done();
                    return true;
                  }
                }
                bool dropped = false;
                auto frame = sub->next(std::chrono::milliseconds(1000), dropped);
                if (dropped) {
                  static const std::string bye =
                      "event: dropped\ndata: {\"reason\":\"too-slow\"}\n\n";
                  sink.write(bye.data(), bye.size());
                  sink.done();
                  return true;
                }
                if (!frame) {
                  if (++idle_s < 15) return true;
                  idle_s = 0;
                  static const std::string beat = ": keep-alive\n\n";
                  return sink.write(beat.data(), beat.size());
                }
                idle_s = 0;
                return sink.write(frame->data(), frame->size());
              });
        }));
  s.Post(R"(/api/v1/push/([^/]+))",
         impl->guarded(kScopeIngest, [impl](const ApiToken& token, const AccountScope&,
                                            const httplib::Request& req, httplib::Response& res) {
           impl->push(token, req, res);
         }));
  auto toConsole = [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/console/", 302);
  };
  s.Get("/", toConsole);
  s.Get("/console", toConsole);
  s.Get(R"(/console/(.*))", [](const httplib::Request& req, httplib::Response& res) {
    serveConsole(req.matches[1], req, res);
  });
  // Any other path under /api/ is refused like a route the token may not see: 401 without a
  // valid token, 404 with one.
  auto unknown = impl->guarded(
      0, [](const ApiToken&, const AccountScope&, const httplib::Request&, httplib::Response&) {
        throw Refused{404, "not-found", "no such route"};
      });
  s.Get(R"(/api/.*)", unknown);
  s.Post(R"(/api/.*)", unknown);
  s.Put(R"(/api/.*)", unknown);
  s.Delete(R"(/api/.*)", unknown);
  s.Patch(R"(/api/.*)", unknown);
}

HttpApi::~HttpApi() {
  stop();
}

void HttpApi::start() {
  auto& server = *impl_->server;
  if (impl_->port == 0) {
    impl_->port = server.bind_to_any_port(impl_->host);
    if (impl_->port <= 0) throw std::runtime_error("http: cannot bind " + impl_->host);
  } else if (!server.bind_to_port(impl_->host, impl_->port)) {
    throw std::runtime_error("http: cannot bind " + impl_->host + ":" +
                             std::to_string(impl_->port));
  }
  impl_->thread = std::thread([this] { impl_->server->listen_after_bind(); });
  const char* scheme = impl_->options.cert_file.empty() ? "http" : "https";
  log::info("http", "listening on ", scheme, "://", impl_->host, ":", impl_->port);
}

void HttpApi::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server->stop();
  impl_->thread.join();
}

int HttpApi::port() const {
  return impl_->port;
}

}  // namespace dots::cloud
