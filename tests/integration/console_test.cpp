// The web console: its static files as the ingester serves them (redirect, headers, 404), and
// the console in a real browser (Debian's Chromium driven by playwright-core,
// tests/browser/console.mjs) against a real dots-ingest fed by a real gateway and dots-sim over a
// real Mosquitto: sign-in, the fleet, a chart that gains points live, a threshold alert, the
// channels' counters, and another account that sees none of it.
#include <doctest/doctest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/integration/http_probe.h"
#include "tests/integration/system.h"

using namespace dots::itest;

namespace {

// `name` as posix_spawnp finds it on PATH, or "".
std::string onPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir + "/" + name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

const std::string kInstall = "run scripts/bootstrap and scripts/web-deps";

}  // namespace

TEST_CASE("console: the ingester serves the console's files without a token, with strict headers") {
  System sys;
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int port = httpPortOf(*ingest);
  REQUIRE(port > 0);
  httplib::Client client("127.0.0.1", port);

  auto root = client.Get("/");
  REQUIRE(root);
  CHECK(root->status == 302);
  CHECK(root->get_header_value("Location") == "/console/");

  auto index = client.Get("/console/");
  REQUIRE(index);
  CHECK(index->status == 200);
  CHECK(index->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(index->body.find("<title>Dots console</title>") != std::string::npos);
  const std::string policy = index->get_header_value("Content-Security-Policy");
  CHECK(policy.find("script-src 'self'") != std::string::npos);
  CHECK(policy.find("unsafe-inline") == std::string::npos);
  CHECK(policy.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(index->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(index->get_header_value("Cache-Control") == "no-cache");
  // The page has no inline script: every <script> loads a file.
  CHECK(occurrences(index->body, "<script") ==
        occurrences(index->body, "<script src=") +
            occurrences(index->body, "<script type=\"module\" src="));

  auto chart = client.Get("/console/vendor/uplot/uPlot.iife.min.js");
  REQUIRE(chart);
  CHECK(chart->status == 200);
  CHECK(chart->get_header_value("Content-Type") == "text/javascript; charset=utf-8");
  const std::string etag = chart->get_header_value("ETag");
  CHECK(!etag.empty());
  auto again = client.Get("/console/vendor/uplot/uPlot.iife.min.js", {{"If-None-Match", etag}});
  REQUIRE(again);
  CHECK(again->status == 304);
  CHECK(again->body.empty());

  for (const char* missing : {"/console/nothing.js", "/console/../CMakeLists.txt",
                              "/console/vendor/", "/console/index.html/"}) {
    CAPTURE(missing);
    auto res = client.Get(missing);
    REQUIRE(res);
    CHECK(res->status == 404);
    CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
  }
  // The data still needs a token.
  int status = 0;
  httpGet(port, "/api/v1/gateways", &status);
  CHECK(status == 401);
}

TEST_CASE(
    "console: in a real browser, an account signs in and sees its fleet, live readings and "
    "alerts, and another account none of them") {
  // Missing tools fail here, naming what installs them: CI installs them, nothing is skipped.
  const std::string node = onPath("node");
  REQUIRE_MESSAGE(!node.empty(), "node is not on PATH: ", kInstall);
  const char* chromium_env = std::getenv("DOTS_CHROMIUM");
  const std::string chromium = chromium_env ? chromium_env : "/usr/bin/chromium";
  REQUIRE_MESSAGE(::access(chromium.c_str(), X_OK) == 0, chromium, " is missing: ", kInstall);
  const std::string source = DOTS_SOURCE_DIR;
  REQUIRE_MESSAGE(std::filesystem::exists(source + "/node_modules/playwright-core/package.json"),
                  "playwright-core is not installed in ", source, "/node_modules: ", kInstall);

  System sys(/*separate_local=*/true);
  sys.ctl({"account", "add", "beta"});
  // Sensor 2 of dots-sim is relative humidity around 45 %RH: always above 30.
  sys.ctl({"channel", "add", "--account", "acme", "--name", "watch", "--handler",
           "threshold:sensors=sensor-0002,above=30"});
  auto cfg_a = sys.provisionFor("acme", "gw-a", "site-a", true);
  sys.ctl({"route", "add", "--gateway", "gw-a", "--account", "acme", "--channel", "watch"});
  sys.provisionFor("beta", "gw-b", "site-b", true);
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int port = httpPortOf(*ingest);
  REQUIRE(port > 0);
  auto gateway = sys.startGateway(cfg_a, "gateway-a.log");
  std::string made = sys.ctl({"token", "create", "--account", "acme", "--scope", "read,command",
                              "--name", "console-test"})
                         .out;
  made.erase(made.find_last_not_of('\n') + 1);
  const std::string acme = made.substr(made.rfind('\n') + 1);
  const std::string beta = sys.token("beta", "read");

  // First a burst, so that the chart holds more readings than it is pixels wide (1500 a sensor),
  // then readings all through the browser run (3000 at 50/s: a minute), so that it has new points
  // to show; the second dots-sim is ended, if still running, when the test ends.
  auto burst_args = sys.simArgs("burst", 4500, 3, 0);
  burst_args.insert(burst_args.end(), {"--topic-prefix", "site-a"});
  REQUIRE(run(burst_args, sys.path(""), 60s).code == 0);
  REQUIRE(waitFor([&] { return sys.count("gw-a").count == 4500; }, 60s));
  auto live_args = sys.simArgs("live", 3000, 3, 50);
  live_args.insert(live_args.end(), {"--topic-prefix", "site-a"});
  Process sim(live_args, sys.path("sim.log"));

  const std::string out_dir = sys.path("browser");
  std::filesystem::create_directories(out_dir);
  auto started = std::chrono::steady_clock::now();
  CommandResult browser = run({node, source + "/tests/browser/console.mjs",
                               "http://127.0.0.1:" + std::to_string(port), acme, beta, out_dir},
                              out_dir, 180s);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  MESSAGE("browser run: ", took.count(), " ms");

  // The screenshots, where a reader can find them after the temporary folder is gone.
  std::filesystem::create_directories(DOTS_TEST_ARTIFACTS_DIR);
  for (const auto& entry : std::filesystem::directory_iterator(DOTS_TEST_ARTIFACTS_DIR)) {
    if (entry.path().filename().string().starts_with("console-")) {
      std::filesystem::remove(entry.path());
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(out_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("console-") && name.ends_with(".png")) {
      std::filesystem::copy_file(entry.path(), std::string(DOTS_TEST_ARTIFACTS_DIR) + "/" + name,
                                 std::filesystem::copy_options::overwrite_existing);
    }
  }
  INFO("browser stdout:\n", browser.out);
  INFO("browser stderr:\n", browser.err);
  INFO("ingest log:\n", ingest->log());
  CHECK(browser.code == 0);
  CHECK(browser.out.find("console: all checks passed") != std::string::npos);
  CHECK(occurrences(browser.out, "screenshot: ") == 6);
}
