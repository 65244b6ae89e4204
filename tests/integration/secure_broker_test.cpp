// The hardened broker of deploy/mosquitto/: TLS, no anonymous access, per-gateway passwords and
// an ACL that keeps each gateway to its own topics; and the whole data path through it.
#include <mutex>

#include "shared/mqtt/client.h"
#include "tests/integration/system.h"

using namespace dots;
using namespace dots::itest;

namespace {

// A Mosquitto made by deploy/mosquitto/make-secure-broker on a free loopback port.
class SecureBroker {
 public:
  explicit SecureBroker(const std::string& dir) : dir_(dir), port_(freePort()) {
    std::filesystem::create_directories(dir_);
    CommandResult made = run({DOTS_SOURCE_DIR "/deploy/mosquitto/make-secure-broker", dir_,
                              std::to_string(port_), "ingest-secret"},
                             dir_);
    INFO(made.out, made.err);
    REQUIRE(made.code == 0);
    addUser("gw-a", "a-secret");
    addUser("gw-b", "b-secret");
    process_ = std::make_unique<Process>(
        std::vector<std::string>{DOTS_MOSQUITTO, "-c", dir_ + "/mosquitto.conf"},
        dir_ + "/mosquitto.log");
    REQUIRE(waitFor([this] { return canConnect(port_); }, 10s));
  }
  void addUser(const std::string& user, const std::string& password) {
    REQUIRE(run({"mosquitto_passwd", "-b", dir_ + "/passwd", user, password}, dir_).code == 0);
  }
  std::string uri() const { return "ssl://127.0.0.1:" + std::to_string(port_); }
  std::string ca() const { return dir_ + "/ca.crt"; }

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<Process> process_;
};

struct Seen {
  std::mutex mutex;
  std::vector<std::string> topics;
  bool has(const std::string& t) {
    std::lock_guard lock(mutex);
    return std::find(topics.begin(), topics.end(), t) != topics.end();
  }
};

std::unique_ptr<mqtt::Client> client(const SecureBroker& b, const std::string& id,
                                     const std::string& user, const std::string& password,
                                     Seen* seen, std::vector<std::string> filters = {}) {
  mqtt::ClientOptions o;
  o.uri = b.uri();
  o.client_id = id;
  o.username = user;
  o.password = password;
  o.ca_file = b.ca();
  o.log_name = id;
  auto c = std::make_unique<mqtt::Client>(o);
  for (auto& f : filters) c->subscribe(f, 1);
  if (seen) {
    c->onMessage([seen](std::string_view topic, std::span<const std::uint8_t>) {
      std::lock_guard lock(seen->mutex);
      seen->topics.emplace_back(topic);
    });
  }
  c->start();
  return c;
}

}  // namespace

TEST_CASE("secure broker: anonymous and wrong passwords refused, gateway A cannot act as B") {
  test::TempDir dir;
  SecureBroker broker(dir.file(""));
  auto anonymous = client(broker, "anon", "", "", nullptr);
  auto wrong = client(broker, "wrong", "gw-a", "not-the-password", nullptr);
  Seen ingest_seen;
  auto ingest = client(broker, "ingest", "dots-ingest", "ingest-secret", &ingest_seen,
                       {"$share/default/dots/v1/+/up"});
  Seen a_seen;
  auto gw_a =
      client(broker, "gw-a", "gw-a", "a-secret", &a_seen, {"dots/v1/gw-b/ack", "dots/v1/gw-a/ack"});
  REQUIRE(ingest->waitConnected(10s));
  REQUIRE(gw_a->waitConnected(10s));

  // A publishes on B's topic, then on its own: once its own arrives, B's must have been dropped
  // (one connection's messages arrive in order).
  REQUIRE(gw_a->publish("dots/v1/gw-b/up", std::string_view("forged"), 1));
  REQUIRE(gw_a->publish("dots/v1/gw-a/up", std::string_view("own"), 1));
  REQUIRE(waitFor([&] { return ingest_seen.has("dots/v1/gw-a/up"); }, 10s));
  CHECK_FALSE(ingest_seen.has("dots/v1/gw-b/up"));

  // A subscribed to B's acks too: B's ack is sent first, A's second; A sees only its own.
  REQUIRE(ingest->publish("dots/v1/gw-b/ack", std::string_view("for b"), 1));
  REQUIRE(ingest->publish("dots/v1/gw-a/ack", std::string_view("for a"), 1));
  REQUIRE(waitFor([&] { return a_seen.has("dots/v1/gw-a/ack"); }, 10s));
  CHECK_FALSE(a_seen.has("dots/v1/gw-b/ack"));

  // Never connected, however long A took.
  CHECK_FALSE(anonymous->isConnected());
  CHECK_FALSE(wrong->isConnected());
}

TEST_CASE("secure broker: the data path over TLS with per-gateway credentials") {
  System sys(/*separate_local=*/true);
  SecureBroker broker(sys.path("secure"));
  auto config = sys.provision("gw-a");
  std::string text = readFile(config);
  text.replace(text.find("broker = \"" + sys.broker().uri() + "\""),
               10 + sys.broker().uri().size() + 1,
               "broker = \"" + broker.uri() +
                   "\"\nusername = \"gw-a\"\npassword = \"a-secret\"\n"
                   "ca_file = \"" +
                   broker.ca() + "\"");
  writeFile(config, text);
  auto ingest = std::make_unique<Process>(
      std::vector<std::string>{DOTS_INGEST_BIN, "--data", sys.data(), "--broker", broker.uri(),
                               "--username", "dots-ingest", "--password", "ingest-secret",
                               "--ca-file", broker.ca()},
      sys.path("ingest.log"));
  REQUIRE(waitFor([&] { return ingest->log().find("ingest-mqtt: connected") != std::string::npos; },
                  20s));
  auto gateway = sys.startGateway(config, "gateway.log");
  REQUIRE(run(sys.simArgs("run", 2000, 10, 0), sys.path(""), 60s).code == 0);
  sys.requireExactlyOnce("gw-a", 2000, "run", gateway->log() + ingest->log());
  CHECK(gateway->log().find("connected to " + broker.uri()) != std::string::npos);
}
