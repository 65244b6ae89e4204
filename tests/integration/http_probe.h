#pragma once

#include <httplib.h>

#include <regex>
#include <string>

#include "tests/integration/harness.h"

namespace dots::itest {

// The port an ingester started with --http HOST:0 logged (`scheme` https with --http-cert).
inline int httpPortOf(Process& ingest, const std::string& scheme = "http") {
  int port = 0;
  const std::regex listening("listening on " + scheme + R"(://127\.0\.0\.1:(\d+))");
  waitFor(
      [&] {
        std::smatch m;
        std::string log = ingest.log();
        if (!std::regex_search(log, m, listening)) return false;
        port = std::stoi(m[1]);
        return true;
      },
      10s);
  return port;
}

// GET a path on 127.0.0.1:port, with a bearer token if one is given; the body, or "" on
// failure.
inline std::string httpGet(int port, const std::string& path, int* status = nullptr,
                           const std::string& token = "") {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5, 0);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto res = client.Get(path.c_str(), headers);
  if (status) *status = res ? res->status : -1;
  return res ? res->body : "";
}

// A Prometheus sample's value from /metrics text (a line that starts with `series`), or -1.
inline long metric(const std::string& text, const std::string& series) {
  std::size_t at = text.starts_with(series + " ") ? 0 : text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  if (at != 0) ++at;
  return std::stol(text.substr(at + series.size() + 1));
}

// How many times `needle` occurs in `text`.
inline long occurrences(const std::string& text, const std::string& needle) {
  long n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

}  // namespace dots::itest
