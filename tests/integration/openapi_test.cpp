// The OpenAPI file (cloud/api/openapi.yaml) against the real answers of a real dots-ingest fed
// by a real gateway: every route, its success and its refusals, validated by
// tests/api/check_openapi.py (JSON Schema 2020-12).
#include <doctest/doctest.h>
#include <httplib.h>

#include <regex>
#include <string>
#include <vector>

#include "shared/json/json_writer.h"
#include "tests/integration/harness.h"
#include "tests/integration/http_probe.h"
#include "tests/integration/system.h"

using namespace dots::itest;

TEST_CASE("openapi: every route's answers match cloud/api/openapi.yaml") {
  System sys;
  sys.ctl({"channel", "add", "--account", "acme", "--name", "watch", "--handler",
           "threshold:above=-1000000000", "--handler", "aggregate:window_s=60"});
  auto config = sys.provision("gw1");
  sys.ctl({"route", "add", "--gateway", "gw1", "--account", "acme", "--channel", "watch"});
  std::string push_out =
      sys.ctl({"endpoint", "add", "--account", "acme", "--gateway", "partner", "--kind", "http"})
          .out;
  push_out.erase(push_out.find_last_not_of('\n') + 1);
  const std::string push = push_out.substr(push_out.rfind('\n') + 1);
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  auto gateway = sys.startGateway(config, "gateway.log");
  REQUIRE(run(sys.simArgs("run", 300, 3, 0), sys.path(""), 60s).code == 0);
  REQUIRE(waitFor([&] { return sys.count("gw1").count == 300; }, 30s));
  const std::string read = sys.token("acme", "read");
  const std::string ingest_only = sys.token("acme", "ingest");
  const std::string command = sys.token("acme", "command");
  std::string alerts = httpGet(api, "/api/v1/alerts", nullptr, read);
  std::smatch alert_id;
  REQUIRE(std::regex_search(alerts, alert_id, std::regex(R"("id":(\d+))")));

  struct Call {
    std::string method;
    std::string path;
    std::string token;
    int status;
    std::string body;  // POST
    std::string key;   // Idempotency-Key
  };
  const std::string senml = R"([{"n":"meter","u":"W","v":12.5}])";
  const std::vector<Call> calls{
      {"GET", "/healthz", "", 200, "", ""},
      {"GET", "/metrics", "", 401, "", ""},
      {"GET", "/metrics", read, 403, "", ""},
      {"GET", "/api/v1/gateways", read, 200, "", ""},
      {"GET", "/api/v1/gateways", "", 401, "", ""},
      {"GET", "/api/v1/gateways", ingest_only, 403, "", ""},
      {"GET", "/api/v1/gateways/gw1", read, 200, "", ""},
      {"GET", "/api/v1/gateways/nope", read, 404, "", ""},
      {"GET", "/api/v1/gateways/gw1/sensors", read, 200, "", ""},
      {"GET", "/api/v1/channels", read, 200, "", ""},
      {"GET", "/api/v1/channels/watch", read, 200, "", ""},
      {"GET", "/api/v1/channels/nope", read, 404, "", ""},
      {"GET", "/api/v1/readings?limit=50", read, 200, "", ""},
      {"GET", "/api/v1/readings?order=newest&limit=5", read, 200, "", ""},
      {"GET", "/api/v1/readings?gateway=gw1&sensor=sensor-0001&points=20", read, 200, "", ""},
      {"GET", "/api/v1/readings?from=abc", read, 400, "", ""},
      {"GET", "/api/v1/readings?from=0", read, 400, "", ""},
      {"GET", "/api/v1/aggregates", read, 200, "", ""},
      {"GET", "/api/v1/alerts", read, 200, "", ""},
      {"GET", "/api/v1/alerts/" + std::string(alert_id[1]), read, 200, "", ""},
      {"GET", "/api/v1/alerts/999999", read, 404, "", ""},
      {"POST", "/api/v1/alerts/" + std::string(alert_id[1]) + "/ack", command, 200, "", ""},
      {"POST", "/api/v1/alerts/" + std::string(alert_id[1]) + "/ack", read, 403, "", ""},
      {"POST", "/api/v1/alerts/999999/ack", command, 404, "", ""},
      {"GET", "/api/v1/alerts/" + std::string(alert_id[1]), read, 200, "", ""},
      {"GET", "/api/v1/events?gateway=nope", read, 404, "", ""},
      {"POST", "/api/v1/push/partner", push, 200, senml, "a"},
      {"POST", "/api/v1/push/partner", push, 200, senml, "a"},
      {"POST", "/api/v1/push/partner", push, 409, R"([{"n":"meter","v":1}])", "a"},
      {"POST", "/api/v1/push/partner", push, 400, "{oops", "b"},
      {"POST", "/api/v1/push/partner", push, 400, senml, ""},
      {"POST", "/api/v1/push/partner", read, 403, senml, "c"},
      {"POST", "/api/v1/push/partner", push, 413, std::string(300 << 10, ' '), "d"},
  };
  std::vector<std::string> files;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const Call& c = calls[i];
    CAPTURE(c.path);
    httplib::Client client("127.0.0.1", api);
    client.set_read_timeout(10, 0);
    httplib::Headers headers;
    if (!c.token.empty()) headers.emplace("Authorization", "Bearer " + c.token);
    if (!c.key.empty()) headers.emplace("Idempotency-Key", c.key);
    auto res = c.method == "GET"
                   ? client.Get(c.path.c_str(), headers)
                   : client.Post(c.path.c_str(), headers, c.body, "application/senml+json");
    REQUIRE(res);
    CHECK(res->status == c.status);
    dots::json::Writer w;
    w.beginObject()
        .key("method")
        .string(c.method)
        .key("path")
        .string(c.path)
        .key("status")
        .integer(res->status)
        .key("content_type")
        .string(res->get_header_value("Content-Type"))
        .key("body")
        .string(res->body)
        .endObject();
    std::string file = sys.path("capture-" + std::to_string(i) + ".json");
    writeFile(file, w.take());
    files.push_back(file);
  }
  // dotsctl answers the same queries from the store: nothing is API-only.
  CHECK(sys.ctl({"alerts", "list", "--json"}).out == httpGet(api, "/api/v1/alerts", nullptr, read));
  std::string windows = sys.ctl({"aggregates", "list", "--json", "--gateway", "gw1"}).out;
  CHECK(occurrences(windows, "\"channel\":\"acme/watch\"") >= 3);  // a window per sensor at least
  CHECK(
      occurrences(windows, "\"window_ms\"") ==
      occurrences(httpGet(api, "/api/v1/aggregates?gateway=gw1", nullptr, read), "\"window_ms\""));
  std::string fleet = sys.ctl({"gateways", "list", "--json"}).out;
  CHECK(
      fleet.find(R"("gateway":"gw1","account":"acme","enabled":true,"sensors":3,"readings":300)") !=
      std::string::npos);
  std::string tokens = sys.ctl({"token", "list", "--json"}).out;
  CHECK(tokens.find(read) == std::string::npos);
  CHECK(tokens.find(read.substr(5, 12)) == std::string::npos);

  std::vector<std::string> check{"python3", DOTS_SOURCE_DIR "/tests/api/check_openapi.py",
                                 DOTS_SOURCE_DIR "/cloud/api/openapi.yaml"};
  check.insert(check.end(), files.begin(), files.end());
  CommandResult r = run(check, sys.path(""), 60s);
  INFO(r.out, r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find(std::to_string(calls.size()) + " responses checked") != std::string::npos);
}
