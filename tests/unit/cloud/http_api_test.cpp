// The HTTP API's own guard: a handler that throws is answered 500, counted and logged, and the
// server goes on serving.
#include "cloud/api/http_api.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <new>
#include <string>

#include "cloud/store/sqlite/sqlite_queries.h"
#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::cloud;

TEST_CASE("http api: a handler that throws is answered 500 and counted, the server serves on") {
  test::TempDir dir;
  auto queries = sqlite_store::SqliteQueries::open(dir.str());
  REQUIRE(queries.has_value());
  std::atomic<int> calls{0};
  // The first two views fail as a poisoned state or an exhausted heap would.
  HttpApi api("127.0.0.1:0", **queries, [&]() -> IngestView {
    int n = calls.fetch_add(1);
    if (n == 0) throw std::bad_alloc();
    if (n == 1) throw 42;  // not even a std::exception
    return IngestView{};
  });
  api.start();
  httplib::Client client("127.0.0.1", api.port());
  for (int i = 0; i < 2; ++i) {
    auto res = client.Get("/healthz");
    REQUIRE(res);
    CHECK(res->status == 500);
    CHECK(res->body.find("internal-error") != std::string::npos);
  }
  auto healthy = client.Get("/healthz");
  REQUIRE(healthy);
  CHECK(healthy->status != 500);
  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->body.find("dots_http_internal_errors_total 2\n") != std::string::npos);
  // A bad parameter stays a 400, not an internal error.
  auto bad = client.Get("/api/readings?limit=x");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  api.stop();
}
