// The cloud side with real brokers and processes: accounts, private environments, routing,
// streams, threshold alerts to MQTT and a webhook, anomaly detection of dots-sim's injected
// faults, and replicas sharing one environment.
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "shared/mqtt/client.h"
#include "tests/integration/http_probe.h"
#include "tests/integration/probes.h"
#include "tests/integration/system.h"

using namespace dots;
using namespace dots::itest;

namespace {

long countIn(System& sys, const std::string& gw, const std::string& channel) {
  CommandResult r = sys.ctl({"readings", "count", "--gateway", gw, "--channel", channel, "--json"});
  std::smatch m;
  if (!std::regex_search(r.out, m, std::regex(R"(\"count\": (\d+))"))) return -1;
  return std::stol(m[1]);
}

}  // namespace

TEST_CASE("cloud: two accounts, a private environment, routing never crosses accounts") {
  System sys(/*separate_local=*/true);
  sys.ctl({"account", "add", "beta"});
  sys.ctl({"environment", "add", "beta-env", "--private-to", "beta"});
  // Another account's channel can never be placed in a private environment.
  CommandResult sneaky =
      run({DOTS_CTL_BIN, "--data", sys.data(), "channel", "add", "--account", "acme", "--name",
           "sneaky", "--environment", "beta-env", "--handler", "store"},
          sys.path(""));
  CHECK(sneaky.code == 1);
  CHECK(sneaky.err.find("private to account \"beta\"") != std::string::npos);
  sys.ctl({"channel", "add", "--account", "beta", "--name", "main", "--environment", "beta-env",
           "--handler", "store"});
  sys.ctl({"channel", "add", "--account", "acme", "--name", "hot", "--handler", "store"});

  auto cfg_a = sys.provisionFor("acme", "gw-a", "site-a", true);
  sys.ctl({"route", "add", "--gateway", "gw-a", "--account", "acme", "--channel", "hot",
           "--sensors", "a-000[1-3]"});
  auto cfg_b = sys.provisionFor("beta", "gw-b", "site-b", false);
  sys.ctl({"route", "add", "--gateway", "gw-b", "--account", "beta", "--channel", "main"});
  // Routes never cross accounts, and one endpoint is served by one environment.
  CommandResult cross = run({DOTS_CTL_BIN, "--data", sys.data(), "route", "add", "--gateway",
                             "gw-b", "--account", "acme", "--channel", "hot"},
                            sys.path(""));
  CHECK(cross.code == 1);
  CHECK(cross.err.find("other-account") != std::string::npos);
  CommandResult split = run({DOTS_CTL_BIN, "--data", sys.data(), "route", "add", "--gateway",
                             "gw-b", "--account", "beta", "--channel", "default"},
                            sys.path(""));
  CHECK(split.err.find("environment-conflict") != std::string::npos);

  auto ingest_default = sys.startIngest("ingest-default.log", {"--http", "127.0.0.1:0"});
  auto ingest_beta =
      sys.startIngest("ingest-beta.log", {"--environment", "beta-env", "--http", "127.0.0.1:0"});
  auto gw_a = sys.startGateway(cfg_a, "gateway-a.log");
  auto gw_b = sys.startGateway(cfg_b, "gateway-b.log");

  auto args_a = sys.simArgs("a", 600, 6, 0);
  args_a.insert(args_a.end(), {"--topic-prefix", "site-a", "--name-prefix", "a-"});
  auto args_b = sys.simArgs("b", 400, 4, 0);
  args_b.insert(args_b.end(), {"--topic-prefix", "site-b", "--name-prefix", "b-"});
  REQUIRE(run(args_a, sys.path(""), 60s).code == 0);
  REQUIRE(run(args_b, sys.path(""), 60s).code == 0);

  REQUIRE(waitFor([&] { return sys.count("gw-a").count == 900 && sys.count("gw-b").count == 400; },
                  60s));
  CHECK(countIn(sys, "gw-a", "acme/default") == 600);
  CHECK(countIn(sys, "gw-a", "acme/hot") == 300);  // sensors a-0001..a-0003 only
  CHECK(countIn(sys, "gw-b", "beta/main") == 400);
  CHECK(countIn(sys, "gw-b", "acme/default") == 0);
  CHECK(countIn(sys, "gw-b", "beta/default") == 0);
  CHECK(countIn(sys, "gw-a", "beta/main") == 0);
  auto hot = sys.ctl({"readings", "stats", "--channel", "acme/hot"}).out;
  CHECK(hot.find("a-0004") == std::string::npos);

  // Each environment's ingester served only its own endpoints.
  std::string m_default = sys.metrics(httpPortOf(*ingest_default));
  std::string m_beta = sys.metrics(httpPortOf(*ingest_beta));
  CHECK(metric(m_default, "dots_endpoint_readings_total{gateway=\"gw-a\"}") == 600);
  CHECK(m_default.find("gw-b") == std::string::npos);
  CHECK(metric(m_beta, "dots_endpoint_readings_total{gateway=\"gw-b\"}") == 400);
  CHECK(m_beta.find("gw-a") == std::string::npos);
  CHECK(m_beta.find("channel=\"beta/main\",handler=\"1:store\",direction=\"in\"") !=
        std::string::npos);
}

TEST_CASE("cloud: a stream pulls from a second Mosquitto into a channel") {
  System sys;
  Broker other(sys.path(""));
  auto ingest = sys.startIngest();
  sys.ctl({"stream", "add", "--name", "plant", "--account", "acme", "--channel", "default",
           "--broker", other.uri(), "--topic", "plant/#"});
  // The running ingester picks up the new stream and subscribes.
  REQUIRE(waitFor(
      [&] { return ingest->log().find("stream plant: connected") != std::string::npos; }, 20s));
  mqtt::ClientOptions o;
  o.uri = other.uri();
  o.client_id = "plant-sensor";
  mqtt::Client sensor(o);
  sensor.start();
  REQUIRE(sensor.waitConnected(10s));
  REQUIRE(sensor.publish("plant/boiler", std::string_view(R"([{"n":"temp","t":1700000000,"v":81.5},
                                                              {"n":"temp","t":1700000001,"v":82}])"),
                         1));
  REQUIRE(sensor.publish("plant/pump/rpm", std::string_view("1450"), 1));
  REQUIRE(waitFor([&] { return sys.count("stream:plant").count == 3; }, 20s));
  auto stored = sys.stored("stream:plant");
  CHECK(stored[0] == "pump/rpm," + stored[0].substr(9));  // named from the topic
  CHECK(stored[1] == "temp,1700000000000,81.5");
  CHECK(stored[2] == "temp,1700000001000,82");
}

TEST_CASE("cloud: a boundary violation alerts once on MQTT and the webhook, flapping is limited") {
  System sys;
  // A local webhook receiver; its first answer is a 500, to exercise the retry.
  httplib::Server hook;
  std::mutex hook_mutex;
  std::vector<std::string> posts;
  std::atomic<int> calls{0};
  hook.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    if (calls.fetch_add(1) == 0) {
      res.status = 500;
      return;
    }
    std::lock_guard lock(hook_mutex);
    posts.push_back(req.body);
  });
  int hook_port = hook.bind_to_any_port("127.0.0.1");
  std::thread hook_thread([&] { hook.listen_after_bind(); });
  auto post_count = [&] {
    std::lock_guard lock(hook_mutex);
    return static_cast<long>(posts.size());
  };

  sys.ctl(
      {"channel", "add", "--account", "acme", "--name", "alarms", "--handler",
       "threshold:sensors=probe,above=80,hysteresis=5", "--handler",
       "notify:webhook=http://127.0.0.1:" + std::to_string(hook_port) + "/hook,rate_per_min=3"});
  auto config = sys.provision("gw1");
  sys.ctl({"route", "add", "--gateway", "gw1", "--account", "acme", "--channel", "alarms",
           "--sensors", "probe"});
  Collector alerts(sys.broker().uri(), "dots/v1/alerts/acme/alarms", "alert-watch");
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  auto gateway = sys.startGateway(config, "gateway.log");

  mqtt::ClientOptions o;
  o.uri = sys.localBroker().uri();
  o.client_id = "probe-sensor";
  mqtt::Client probe(o);
  probe.start();
  REQUIRE(probe.waitConnected(10s));
  std::int64_t t = 1700000000;
  auto send = [&](double v) {
    std::string payload = R"({"v":)" + std::to_string(v) + R"(,"t":)" + std::to_string(t++) + "}";
    REQUIRE(probe.publish("sensors/probe", payload, 1));
  };
  for (double v : {50.0, 85.0, 86.0, 90.0, 78.0, 70.0}) send(v);  // one episode

  REQUIRE(waitFor([&] { return alerts.messages().size() >= 2; }, 30s));
  REQUIRE(waitFor([&] { return post_count() >= 2; }, 30s));
  CHECK(alerts.count(R"("state":"raised")") == 1);
  CHECK(alerts.count(R"("state":"cleared")") == 1);
  CHECK(alerts.messages()[0].find(
            R"("sensor":"probe","kind":"threshold","state":"raised","value":85)") !=
        std::string::npos);
  CHECK(post_count() == 2);
  CHECK(calls.load() == 3);  // one refused, retried, then delivered
  // The receiver may answer before its delivery worker counts the delivery.
  std::string metrics;
  CHECK(waitFor(
      [&] {
        metrics = sys.metrics(api);
        return metric(metrics, "dots_notify_total{target=\"webhook\",outcome=\"delivered\"}") >= 2;
      },
      10s));
  CHECK(metric(metrics, "dots_notify_total{target=\"any\",outcome=\"retry\"}") >= 1);
  CHECK(metric(metrics, "dots_notify_total{target=\"webhook\",outcome=\"delivered\"}") == 2);

  // Flapping: 20 episodes in a row; every alert is recorded, few are sent.
  const std::string read = sys.token("acme", "read");
  for (int i = 0; i < 20; ++i) {
    send(95);
    send(60);
  }
  REQUIRE(waitFor(
      [&] {
        return occurrences(httpGet(api, "/api/v1/alerts?sensor=probe&limit=1000", nullptr, read),
                           "\"id\":") == 42;
      },
      30s));
  metrics = sys.metrics(api);
  long suppressed = metric(metrics,
                           "dots_handler_events_total{channel=\"acme/"
                           "alarms\",handler=\"2:notify\",event=\"suppressed\"}");
  long sent = metric(
      metrics,
      "dots_handler_events_total{channel=\"acme/alarms\",handler=\"2:notify\",event=\"alert\"}");
  CHECK(sent + suppressed == 42);
  CHECK(sent <= 5);  // 3 per minute, plus what refills while the test runs
  REQUIRE(waitFor([&] { return static_cast<long>(alerts.messages().size()) == sent; }, 30s));
  CHECK(waitFor([&] { return post_count() == sent; }, 30s));

  hook.stop();
  hook_thread.join();
}

TEST_CASE("cloud: anomalies injected by dots-sim are detected, clean series raise none") {
  System sys;
  sys.ctl(
      {"channel", "add", "--account", "acme", "--name", "watch", "--handler", "anomaly:stuck=20"});
  auto config = sys.provision("gw1");
  sys.ctl({"route", "add", "--gateway", "gw1", "--account", "acme", "--channel", "watch"});
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  auto gateway = sys.startGateway(config, "gateway.log");

  long total = 0;
  for (std::string kind : {"none", "spike", "shift", "stuck"}) {
    auto args = sys.simArgs(kind, 1800, 3, 0);
    args.insert(args.end(), {"--name-prefix", kind + "-", "--anomaly", kind});
    REQUIRE(run(args, sys.path(""), 60s).code == 0);
    total += 1800;
  }
  REQUIRE(waitFor([&] { return sys.count("gw1").count == total; }, 60s));
  const std::string read = sys.token("acme", "read");
  auto alerts_of = [&](const std::string& sensor) {
    return occurrences(httpGet(api, "/api/v1/alerts?sensor=" + sensor, nullptr, read),
                       "\"state\":\"raised\"");
  };
  for (std::string kind : {"none", "spike", "shift", "stuck"}) {
    CAPTURE(kind);
    long found = alerts_of(kind + "-0001");
    CHECK(found == (kind == "none" ? 0 : 1));  // one episode each
    CHECK(alerts_of(kind + "-0002") == 0);
    CHECK(alerts_of(kind + "-0003") == 0);
  }
  CHECK(httpGet(api, "/api/v1/alerts?sensor=stuck-0001", nullptr, read).find("stuck at") !=
        std::string::npos);
}

TEST_CASE("cloud: two replicas share an environment, one killed mid-stream, all stored once") {
  System sys;
  auto config = sys.provision("gw1", "ack_timeout_ms = 1000\n", "max_readings = 100\n");
  auto first = sys.startIngest("ingest-1.log", {"--http", "127.0.0.1:0"});
  auto second = sys.startIngest("ingest-2.log", {"--http", "127.0.0.1:0"});
  int first_api = httpPortOf(*first);
  int second_api = httpPortOf(*second);
  auto gateway = sys.startGateway(config, "gateway.log");

  Process sim(sys.simArgs("run", 12000, 20, 2500), sys.path("sim.log"));
  auto batches = [&](int port) {
    return metric(sys.metrics(port), "dots_endpoint_batches_total{gateway=\"gw1\"}");
  };
  // Both replicas take a share before one dies.
  REQUIRE(waitFor([&] { return batches(first_api) > 5 && batches(second_api) > 5; }, 60s));
  REQUIRE(sim.running());
  first->signal(SIGKILL);
  CHECK(first->wait(10s) == 128 + SIGKILL);
  REQUIRE(sim.wait(120s) == 0);
  long sent = System::sentCount(sys.path("run-summary.json"));
  REQUIRE(sent == 12000);
  sys.requireExactlyOnce("gw1", sent, "run", gateway->log() + second->log());
}

TEST_CASE("cloud: health and the query API") {
  System sys;
  auto config = sys.provision("gw1");
  sys.ctl({"channel", "add", "--account", "acme", "--name", "agg", "--handler",
           "aggregate:window_s=3600"});
  sys.ctl({"route", "add", "--gateway", "gw1", "--account", "acme", "--channel", "agg"});
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  int status = 0;
  CHECK(httpGet(api, "/healthz", &status).find(R"("status":"ok")") != std::string::npos);
  CHECK(status == 200);
  auto gateway = sys.startGateway(config, "gateway.log");
  REQUIRE(run(sys.simArgs("run", 300, 3, 0), sys.path(""), 60s).code == 0);
  REQUIRE(waitFor([&] { return sys.count("gw1").count == 300; }, 30s));
  const std::string read = sys.token("acme", "read");
  std::string readings =
      httpGet(api, "/api/v1/readings?gateway=gw1&sensor=sensor-0001&limit=1000", nullptr, read);
  CHECK(occurrences(readings, "\"sensor\":\"sensor-0001\"") == 100);
  CHECK(occurrences(httpGet(api, "/api/v1/readings?limit=7", nullptr, read), "\"time_ms\"") == 7);
  std::string aggregates = httpGet(api, "/api/v1/aggregates?sensor=sensor-0002", nullptr, read);
  CHECK(aggregates.find("\"count\":") != std::string::npos);
  long counted = 0;
  std::regex count_re(R"(\"count\":(\d+))");
  for (std::sregex_iterator it(aggregates.begin(), aggregates.end(), count_re), end; it != end;
       ++it) {
    counted += std::stol((*it)[1]);
  }
  CHECK(counted == 100);  // every reading in exactly one window
  httpGet(api, "/api/v1/readings?from=abc", &status, read);
  CHECK(status == 400);

  // Broker gone: unhealthy.
  sys.broker().kill9();
  CHECK(waitFor(
      [&] {
        int s = 0;
        httpGet(api, "/healthz", &s);
        return s == 503;
      },
      20s));
}

TEST_CASE("cloud: a key rotated while batches wait under the old key loses nothing") {
  System sys(/*separate_local=*/true);
  auto config = sys.provision("gw1");
  // No ingester yet: the gateway seals and spools under key 1.
  auto gateway = sys.startGateway(config, "gateway-1.log");
  REQUIRE(run(sys.simArgs("old", 1000, 10, 0), sys.path(""), 60s).code == 0);
  REQUIRE(waitFor(
      [&] {
        return queryLong(sys.spoolPath("gw1"), "SELECT coalesce(sum(readings),0) FROM batches") ==
               1000;
      },
      30s));
  CHECK(gateway->stop() == 0);

  // Rotate: the new config carries key 2; key 1 stays accepted.
  CommandResult rotated =
      sys.ctl({"endpoint", "rotate-key", "--gateway", "gw1", "--broker", sys.broker().uri(),
               "--local-broker", sys.localBroker().uri(), "--spool", sys.spoolPath("gw1")});
  CHECK(rotated.out.find("key_id = 2") != std::string::npos);
  writeFile(config, rotated.out + "\n[batch]\n");
  CommandResult retire_active = run({DOTS_CTL_BIN, "--data", sys.data(), "endpoint", "retire-key",
                                     "--gateway", "gw1", "--key-id", "2"},
                                    sys.path(""));
  CHECK(retire_active.code == 1);  // the active key cannot be retired

  auto ingest = sys.startIngest();
  gateway = sys.startGateway(config, "gateway-2.log");
  auto args = sys.simArgs("new", 1000, 10, 0);
  args.insert(args.end(), {"--name-prefix", "new-"});
  REQUIRE(run(args, sys.path(""), 60s).code == 0);
  REQUIRE(waitFor([&] { return sys.count("gw1").count == 2000; }, 60s));
  auto stored = sys.stored("gw1");
  auto old_sent = System::sent(sys.path("old-sent.csv"));
  auto new_sent = System::sent(sys.path("new-sent.csv"));
  std::vector<std::string> expected = old_sent;
  expected.insert(expected.end(), new_sent.begin(), new_sent.end());
  std::sort(expected.begin(), expected.end());
  CHECK(stored == expected);
  CHECK(sys.count("gw1").distinct == 2000);
  CHECK(gateway->log().find("spool holds") != std::string::npos);

  // Once retired, key 1 is refused.
  sys.ctl({"endpoint", "retire-key", "--gateway", "gw1", "--key-id", "1"});
  CHECK(sys.ctl({"endpoint", "list", "--json"}).out.find("\"key_id\":2") != std::string::npos);
}
