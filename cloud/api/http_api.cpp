#include "cloud/api/http_api.h"

#include <httplib.h>

#include <atomic>
#include <charconv>
#include <exception>
#include <optional>
#include <stdexcept>
#include <thread>

#include "cloud/store/row_json.h"
#include "shared/json/json_writer.h"
#include "shared/log/log.h"

namespace dots::cloud {

struct HttpApi::Impl {
  std::string host;
  int port = 0;
  ReadingQueries* queries = nullptr;
  std::function<IngestView()> view;
  httplib::Server server;
  std::thread thread;
  // Requests whose handler threw: answered 500, counted in /metrics, logged rate-limited.
  std::atomic<std::uint64_t> internal_errors{0};
  log::RateLimiter log_limiter;
};

namespace {

std::optional<std::int64_t> intParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  std::string v = req.get_param_value(name);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size()) {
    throw std::invalid_argument(std::string(name) + " must be an integer");
  }
  return out;
}

ReadingFilter filterOf(const httplib::Request& req) {
  ReadingFilter f;
  if (req.has_param("gateway")) f.gateway = req.get_param_value("gateway");
  if (req.has_param("sensor")) f.sensor = req.get_param_value("sensor");
  f.from_ms = intParam(req, "from");
  f.to_ms = intParam(req, "to");
  return f;
}

std::size_t limitOf(const httplib::Request& req) {
  auto limit = intParam(req, "limit");
  if (!limit) return 1000;
  if (*limit < 1 || *limit > 100000) throw std::invalid_argument("limit must be 1-100000");
  return static_cast<std::size_t>(*limit);
}

void sendError(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  json::Writer w;
  w.beginObject().key("error").string(message).endObject();
  res.set_content(w.take() + "\n", "application/json");
}

// Runs a query handler on the shared query connection; maps errors to HTTP statuses.
void query(ReadingQueries& queries, const httplib::Request& req, httplib::Response& res,
           const std::function<Result<std::string>(ReadingQueries&, const ReadingFilter&,
                                                   std::size_t)>& body) {
  try {
    ReadingFilter filter = filterOf(req);
    std::size_t limit = limitOf(req);
    auto json = body(queries, filter, limit);
    if (!json) return sendError(res, 500, json.error().describe());
    res.set_content(*json, "application/json");
  } catch (const std::invalid_argument& e) {
    sendError(res, 400, e.what());
  }
}

}  // namespace

HttpApi::HttpApi(std::string address, ReadingQueries& queries, std::function<IngestView()> view)
    : impl_(std::make_unique<Impl>()) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--http must be HOST:PORT");
  impl_->host = address.substr(0, colon);
  std::string port = address.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), impl_->port);
  if (ec != std::errc() || end != port.data() + port.size() || impl_->port < 0 ||
      impl_->port > 65535) {
    throw std::runtime_error("--http must be HOST:PORT (got \"" + address + "\")");
  }
  impl_->queries = &queries;
  impl_->view = std::move(view);

  auto& s = impl_->server;
  Impl* impl = impl_.get();
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
        sendError(res, 500, "internal-error");
      });
  s.Get("/healthz", [impl](const httplib::Request&, httplib::Response& res) {
    IngestView now = impl->view();
    res.status = healthy(now) ? 200 : 503;
    res.set_content(renderHealth(now) + "\n", "application/json");
  });
  s.Get("/metrics", [impl](const httplib::Request&, httplib::Response& res) {
    std::string text = renderMetrics(impl->view());
    text +=
        "# HELP dots_http_internal_errors_total HTTP requests whose handler failed (500).\n"
        "# TYPE dots_http_internal_errors_total counter\n"
        "dots_http_internal_errors_total " +
        std::to_string(impl->internal_errors.load()) + "\n";
    res.set_content(text, "text/plain; version=0.0.4");
  });
  s.Get("/api/readings", [impl](const httplib::Request& req, httplib::Response& res) {
    query(*impl->queries, req, res,
          [](ReadingQueries& store, const ReadingFilter& f,
             std::size_t limit) -> Result<std::string> {
            json::Writer w;
            w.beginArray();
            std::size_t n = 0;
            auto r = store.forEach(f, [&](const StoredReading& row) {
              if (n++ >= limit) return;
              w.beginObject();
              writeReadingMembers(w, row.gateway, row.reading);
              w.key("historical").boolean(row.historical).endObject();
            });
            if (!r) return std::unexpected(r.error());
            return w.endArray().take() + "\n";
          });
  });
  s.Get("/api/aggregates", [impl](const httplib::Request& req, httplib::Response& res) {
    query(*impl->queries, req, res,
          [](ReadingQueries& store, const ReadingFilter& f,
             std::size_t limit) -> Result<std::string> {
            auto rows = store.aggregates(f, limit);
            if (!rows) return std::unexpected(rows.error());
            json::Writer w;
            w.beginArray();
            for (const StoredAggregate& a : *rows) {
              w.beginObject()
                  .key("channel_id")
                  .integer(a.channel_id)
                  .key("gateway")
                  .string(a.gateway)
                  .key("sensor")
                  .string(a.sensor)
                  .key("unit")
                  .string(a.unit)
                  .key("window_start_ms")
                  .integer(a.window_start_ms)
                  .key("window_ms")
                  .integer(a.window_ms)
                  .key("count")
                  .integer(a.count)
                  .key("min")
                  .number(a.min)
                  .key("max")
                  .number(a.max)
                  .key("mean")
                  .number(a.mean)
                  .key("stddev")
                  .number(a.stddev)
                  .endObject();
            }
            return w.endArray().take() + "\n";
          });
  });
  s.Get("/api/alerts", [impl](const httplib::Request& req, httplib::Response& res) {
    query(*impl->queries, req, res,
          [](ReadingQueries& store, const ReadingFilter& f,
             std::size_t limit) -> Result<std::string> {
            auto rows = store.alerts(f, limit);
            if (!rows) return std::unexpected(rows.error());
            json::Writer w;
            w.beginArray();
            for (const StoredAlert& a : *rows) writeAlert(w, a.id, a.account, a.channel, a.alert);
            return w.endArray().take() + "\n";
          });
  });
}

HttpApi::~HttpApi() {
  stop();
}

void HttpApi::start() {
  if (impl_->port == 0) {
    impl_->port = impl_->server.bind_to_any_port(impl_->host);
    if (impl_->port <= 0) throw std::runtime_error("http: cannot bind " + impl_->host);
  } else if (!impl_->server.bind_to_port(impl_->host, impl_->port)) {
    throw std::runtime_error("http: cannot bind " + impl_->host + ":" +
                             std::to_string(impl_->port));
  }
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  log::info("http", "listening on http://", impl_->host, ":", impl_->port);
}

void HttpApi::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

int HttpApi::port() const {
  return impl_->port;
}

}  // namespace dots::cloud
