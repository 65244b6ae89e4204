// TLS as every client uses it: the broker's certificate and host name verified, a CA required
// for ssl://, client certificates (the hardened broker's use_identity_as_username listener) and
// broker passwords kept off the command line.
#include <sys/stat.h>

#include <cstdlib>
#include <mutex>

#include "shared/mqtt/client.h"
#include "tests/integration/pki.h"
#include "tests/integration/system.h"

using namespace dots;
using namespace dots::itest;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Waits until `component` logged either its connect or a failed attempt to `uri`; true when it
// connected.
bool connectedOrRefused(Process& p, const std::string& component, const std::string& uri) {
  std::string connected = component + ": connected to " + uri;
  std::string failed = component + ": connect to " + uri + " failed";
  bool told = waitFor([&] { return has(p.log(), connected) || has(p.log(), failed); }, 20s);
  INFO(p.log());
  REQUIRE(told);
  return has(p.log(), connected);
}

// The gateway config `config` with its uplink's broker replaced by `uri` and `lines` added to
// [uplink].
void pointUplink(const std::string& config, const std::string& old_uri, const std::string& uri,
                 const std::string& lines) {
  std::string text = readFile(config);
  std::string from = "broker = \"" + old_uri + "\"";
  text.replace(text.find(from), from.size(), "broker = \"" + uri + "\"\n" + lines);
  writeFile(config, text);
}

std::string cmdline(pid_t pid) {
  std::string raw = readFile("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : raw)
    if (c == '\0') c = ' ';
  return raw;
}

struct Seen {
  std::mutex mutex;
  std::vector<std::string> topics;
  bool has(const std::string& t) {
    std::lock_guard lock(mutex);
    return std::find(topics.begin(), topics.end(), t) != topics.end();
  }
};

}  // namespace

TEST_CASE("tls: a certificate for another host is refused by ingester, gateway and stream") {
  System sys(/*separate_local=*/true);
  TestPki pki(sys.path(""));
  pki.server("wrong", "DNS:wrong.example");
  pki.server("right", "IP:127.0.0.1,DNS:localhost");
  TlsBroker wrong(sys.path(""), pki, "wrong");
  TlsBroker right(sys.path(""), pki, "right");

  SUBCASE("ingester") {
    Process to_wrong(
        {DOTS_INGEST_BIN, "--data", sys.data(), "--broker", wrong.uri(), "--ca-file", pki.ca()},
        sys.path("ingest-wrong.log"));
    CHECK_FALSE(connectedOrRefused(to_wrong, "ingest-mqtt", wrong.uri()));
    CHECK(has(to_wrong.log(), "IP address mismatch"));
    to_wrong.stop();
    Process to_right(
        {DOTS_INGEST_BIN, "--data", sys.data(), "--broker", right.uri(), "--ca-file", pki.ca()},
        sys.path("ingest-right.log"));
    CHECK(connectedOrRefused(to_right, "ingest-mqtt", right.uri()));
  }

  SUBCASE("gateway") {
    std::string to_wrong = sys.provision("gw-w");
    pointUplink(to_wrong, sys.broker().uri(), wrong.uri(), "ca_file = \"" + pki.ca() + "\"");
    Process gw_wrong({DOTS_GATEWAY_BIN, "--config", to_wrong}, sys.path("gw-wrong.log"));
    CHECK_FALSE(connectedOrRefused(gw_wrong, "uplink", wrong.uri()));
    CHECK(has(gw_wrong.log(), "IP address mismatch"));
    std::string to_right = sys.provision("gw-r");
    pointUplink(to_right, sys.broker().uri(), right.uri(), "ca_file = \"" + pki.ca() + "\"");
    Process gw_right({DOTS_GATEWAY_BIN, "--config", to_right}, sys.path("gw-right.log"));
    CHECK(connectedOrRefused(gw_right, "uplink", right.uri()));
  }

  SUBCASE("stream") {
    sys.ctl({"stream", "add", "--name", "s-wrong", "--account", "acme", "--channel", "default",
             "--broker", wrong.uri(), "--topic", "x/#", "--ca-file", pki.ca()});
    sys.ctl({"stream", "add", "--name", "s-right", "--account", "acme", "--channel", "default",
             "--broker", right.uri(), "--topic", "x/#", "--ca-file", pki.ca()});
    auto ingest = sys.startIngest("stream-ingest.log");
    CHECK_FALSE(connectedOrRefused(*ingest, "stream s-wrong", wrong.uri()));
    CHECK(has(ingest->log(), "IP address mismatch"));
    CHECK(connectedOrRefused(*ingest, "stream s-right", right.uri()));
  }
}

TEST_CASE("tls: ssl:// without a CA file is refused at start-up, naming the option") {
  System sys;
  std::string uri = "ssl://127.0.0.1:" + std::to_string(freePort());

  CommandResult ingest =
      run({DOTS_INGEST_BIN, "--data", sys.data(), "--broker", uri}, sys.path(""));
  CHECK(ingest.code == 2);
  CHECK(has(ingest.err, "--ca-file"));

  std::string config = sys.provision("gw-a");
  pointUplink(config, sys.broker().uri(), uri, "");
  CommandResult gateway =
      run({DOTS_GATEWAY_BIN, "--config", config, "--check-config"}, sys.path(""));
  CHECK(gateway.code == 2);
  CHECK(has(gateway.err, "uplink.ca_file"));

  CommandResult stream =
      run({DOTS_CTL_BIN, "--data", sys.data(), "stream", "add", "--name", "s", "--account", "acme",
           "--channel", "default", "--broker", uri, "--topic", "x/#"},
          sys.path(""));
  CHECK(stream.code == 2);
  CHECK(has(stream.err, "--ca-file"));
}

namespace {

// deploy/mosquitto/make-secure-broker with its client-certificate listener, and client
// certificates from deploy/mosquitto/make-client-cert.
class CertBroker {
 public:
  explicit CertBroker(const std::string& dir)
      : dir_(dir + "/broker"),
        ca_dir_(dir + "/broker-ca"),
        certs_(dir + "/clients"),
        port_(freePort()),
        cert_port_(freePort()) {
    std::filesystem::create_directories(dir);
    CommandResult made = run({DOTS_SOURCE_DIR "/deploy/mosquitto/make-secure-broker", dir_,
                              std::to_string(port_), "ingest-secret", std::to_string(cert_port_)},
                             dir);
    INFO(made.out, made.err);
    REQUIRE(made.code == 0);
    REQUIRE(run({"mosquitto_passwd", "-b", dir_ + "/passwd", "gw-p", "p-secret"}, dir).code == 0);
    process_ = std::make_unique<Process>(
        std::vector<std::string>{DOTS_MOSQUITTO, "-c", dir_ + "/mosquitto.conf"},
        dir + "/mosquitto.log");
    REQUIRE(waitFor([this] { return canConnect(port_) && canConnect(cert_port_); }, 10s));
  }
  void clientCert(const std::string& name) {
    CommandResult made =
        run({DOTS_SOURCE_DIR "/deploy/mosquitto/make-client-cert", ca_dir_, name, certs_}, dir_);
    INFO(made.out, made.err);
    REQUIRE(made.code == 0);
  }
  std::string uri() const { return "ssl://127.0.0.1:" + std::to_string(port_); }
  std::string certUri() const { return "ssl://127.0.0.1:" + std::to_string(cert_port_); }
  std::string ca() const { return dir_ + "/ca.crt"; }
  std::string dir() const { return dir_; }
  std::string caDir() const { return ca_dir_; }
  std::string crt(const std::string& name) const { return certs_ + "/" + name + ".crt"; }
  std::string key(const std::string& name) const { return certs_ + "/" + name + ".key"; }

 private:
  std::string dir_, ca_dir_, certs_;
  int port_, cert_port_;
  std::unique_ptr<Process> process_;
};

std::unique_ptr<mqtt::Client> certClient(const CertBroker& b, const std::string& id,
                                         const std::string& cert, Seen* seen,
                                         std::vector<std::string> filters = {}) {
  mqtt::ClientOptions o;
  o.uri = b.certUri();
  o.client_id = id;
  o.ca_file = b.ca();
  if (!cert.empty()) {
    o.cert_file = b.crt(cert);
    o.key_file = b.key(cert);
  }
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

TEST_CASE("tls: client certificates log a gateway in as its id, and the ACL still holds") {
  System sys(/*separate_local=*/true);
  CertBroker broker(sys.path("secure"));
  for (const char* name : {"gw-a", "dots-ingest", "acme"}) broker.clientCert(name);
  // The CA's key stays with the CA, not in the broker's folder.
  CHECK_FALSE(std::filesystem::exists(broker.dir() + "/ca.key"));
  CHECK(std::filesystem::exists(broker.caDir() + "/ca.key"));

  {
    Seen observer_seen;
    auto observer = certClient(broker, "observer", "dots-ingest", &observer_seen, {"dots/v1/+/up"});
    Seen a_seen;
    auto gw_a =
        certClient(broker, "gw-a", "gw-a", &a_seen, {"dots/v1/gw-b/ack", "dots/v1/gw-a/ack"});
    auto no_cert = certClient(broker, "no-cert", "", nullptr);
    REQUIRE(observer->waitConnected(10s));
    REQUIRE(gw_a->waitConnected(10s));
    REQUIRE(gw_a->publish("dots/v1/gw-b/up", std::string_view("forged"), 1));
    REQUIRE(gw_a->publish("dots/v1/gw-a/up", std::string_view("own"), 1));
    REQUIRE(waitFor([&] { return observer_seen.has("dots/v1/gw-a/up"); }, 10s));
    CHECK_FALSE(observer_seen.has("dots/v1/gw-b/up"));
    REQUIRE(observer->publish("dots/v1/gw-b/ack", std::string_view("for b"), 1));
    REQUIRE(observer->publish("dots/v1/gw-a/ack", std::string_view("for a"), 1));
    REQUIRE(waitFor([&] { return a_seen.has("dots/v1/gw-a/ack"); }, 10s));
    CHECK_FALSE(a_seen.has("dots/v1/gw-b/ack"));

    // An account reads its own alerts only.
    Seen acme_seen;
    auto acme = certClient(broker, "acme-reader", "acme", &acme_seen,
                           {"dots/v1/alerts/other/#", "dots/v1/alerts/acme/#"});
    REQUIRE(acme->waitConnected(10s));
    REQUIRE(observer->publish("dots/v1/alerts/other/default", std::string_view("other's"), 1));
    REQUIRE(observer->publish("dots/v1/alerts/acme/default", std::string_view("acme's"), 1));
    REQUIRE(waitFor([&] { return acme_seen.has("dots/v1/alerts/acme/default"); }, 10s));
    CHECK_FALSE(acme_seen.has("dots/v1/alerts/other/default"));
    CHECK_FALSE(no_cert->isConnected());
  }

  // The data path with both sides logged in by certificate.
  std::string config = sys.provision("gw-a");
  pointUplink(config, sys.broker().uri(), broker.certUri(),
              "ca_file = \"" + broker.ca() + "\"\ncert_file = \"" + broker.crt("gw-a") +
                  "\"\nkey_file = \"" + broker.key("gw-a") + "\"");
  auto ingest = std::make_unique<Process>(
      std::vector<std::string>{DOTS_INGEST_BIN, "--data", sys.data(), "--broker", broker.certUri(),
                               "--ca-file", broker.ca(), "--cert-file", broker.crt("dots-ingest"),
                               "--key-file", broker.key("dots-ingest")},
      sys.path("ingest.log"));
  REQUIRE(connectedOrRefused(*ingest, "ingest-mqtt", broker.certUri()));
  auto gateway = sys.startGateway(config, "gateway.log");
  REQUIRE(run(sys.simArgs("run", 500, 10, 0), sys.path(""), 60s).code == 0);
  sys.requireExactlyOnce("gw-a", 500, "run", gateway->log() + ingest->log());
}

TEST_CASE("tls: broker passwords from a file or the environment, never on the command line") {
  System sys(/*separate_local=*/true);
  CertBroker broker(sys.path("secure"));
  std::string secret = sys.path("ingest-password");
  writeFile(secret, "ingest-secret\n");
  ::chmod(secret.c_str(), 0600);
  std::vector<std::string> base{DOTS_INGEST_BIN, "--data",     sys.data(),
                                "--broker",      broker.uri(), "--ca-file",
                                broker.ca(),     "--username", "dots-ingest"};

  SUBCASE("--password-file") {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), {"--password-file", secret});
    Process ingest(argv, sys.path("ingest-file.log"));
    CHECK(connectedOrRefused(ingest, "ingest-mqtt", broker.uri()));
    CHECK_FALSE(has(cmdline(ingest.pid()), "ingest-secret"));
  }

  SUBCASE("a password file that others may read is refused") {
    ::chmod(secret.c_str(), 0644);
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), {"--password-file", secret});
    CommandResult r = run(argv, sys.path(""));
    CHECK(r.code == 2);
    CHECK(has(r.err, secret));
  }

  SUBCASE("DOTS_BROKER_PASSWORD") {
    ::setenv("DOTS_BROKER_PASSWORD", "ingest-secret", 1);
    Process ingest(base, sys.path("ingest-env.log"));
    ::unsetenv("DOTS_BROKER_PASSWORD");
    CHECK(connectedOrRefused(ingest, "ingest-mqtt", broker.uri()));
    CHECK_FALSE(has(cmdline(ingest.pid()), "ingest-secret"));
  }

  SUBCASE("a wrong password is still refused") {
    ::setenv("DOTS_BROKER_PASSWORD", "not-it", 1);
    Process ingest(base, sys.path("ingest-wrong.log"));
    ::unsetenv("DOTS_BROKER_PASSWORD");
    CHECK_FALSE(connectedOrRefused(ingest, "ingest-mqtt", broker.uri()));
  }

  SUBCASE("the gateway's password_file") {
    std::string gw_secret = sys.path("gw-password");
    writeFile(gw_secret, "p-secret\n");
    ::chmod(gw_secret.c_str(), 0600);
    std::string config = sys.provision("gw-p");
    pointUplink(config, sys.broker().uri(), broker.uri(),
                "ca_file = \"" + broker.ca() + "\"\nusername = \"gw-p\"\npassword_file = \"" +
                    gw_secret + "\"");
    Process gateway({DOTS_GATEWAY_BIN, "--config", config}, sys.path("gw-p.log"));
    CHECK(connectedOrRefused(gateway, "uplink", broker.uri()));
  }
}
