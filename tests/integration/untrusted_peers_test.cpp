// Streams and webhooks against the other side: a 100 MB stream message, a receiver that holds
// its answer, one that answers without end, the cloud metadata address, and a signed https://
// delivery verified by the receiver with its own HMAC.
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "shared/mqtt/client.h"
#include "tests/integration/http_probe.h"
#include "tests/integration/system.h"
#include "tests/support/scoped_env.h"

using namespace dots;
using namespace dots::itest;

namespace {

// The peak resident set of a process, in bytes; -1 when unreadable.
long peakRss(pid_t pid) {
  long kib = peakRssKiB(pid);
  return kib < 0 ? -1 : kib * 1024;
}

long metricOf(System& sys, int api, const std::string& series) {
  return metric(sys.metrics(api), series);
}

// A minimal HTTP receiver on 127.0.0.1 driven by the test, on its own thread: kHold reads a
// request and holds the connection open without answering until release(); kFlood answers 200
// with a body of `flood_bytes` and writes it until done or the client hangs up.
class RawReceiver {
 public:
  enum class Mode { kHold, kFlood };
  explicit RawReceiver(Mode mode, std::size_t flood_bytes = 0)
      : mode_(mode), flood_bytes_(flood_bytes) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    REQUIRE(::listen(listener_, 8) == 0);
    thread_ = std::thread([this] { run(); });
  }
  ~RawReceiver() {
    stop_ = true;
    release();
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    cv_.notify_all();
  }
  int requests() const { return requests_.load(); }
  bool clientHungUp() const { return hung_up_.load(); }
  std::size_t flooded() const { return flooded_.load(); }

 private:
  void run() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      serve(fd);
      ::close(fd);
    }
  }

  // Reads the request head and its Content-Length body.
  bool readRequest(int fd) {
    std::string in;
    char buf[4096];
    while (!stop_) {
      std::size_t head = in.find("\r\n\r\n");
      if (head != std::string::npos) {
        std::smatch m;
        std::string h = in.substr(0, head);
        std::size_t length = 0;
        if (std::regex_search(h, m, std::regex(R"([Cc]ontent-[Ll]ength: (\d+))"))) {
          length = std::stoul(m[1]);
        }
        if (in.size() >= head + 4 + length) return true;
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<std::size_t>(n));
    }
    return false;
  }

  void serve(int fd) {
    if (!readRequest(fd)) return;
    requests_.fetch_add(1);
    if (mode_ == Mode::kFlood) {
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                         std::to_string(flood_bytes_) + "\r\nConnection: close\r\n\r\n";
      (void)::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
      std::string chunk(64 * 1024, 'x');
      while (!stop_ && flooded_.load() < flood_bytes_) {
        ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n <= 0) return;  // the client hung up
        flooded_.fetch_add(static_cast<std::size_t>(n));
      }
      return;
    }
    // Hold: watch for the client hanging up until the test releases the answer.
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (cv_.wait_for(lock, 20ms, [this] { return released_; })) break;
      }
      pollfd p{fd, POLLIN | POLLRDHUP, 0};
      if (::poll(&p, 1, 0) > 0) {
        char c;
        if (::recv(fd, &c, 1, MSG_PEEK) <= 0) {
          hung_up_ = true;
          return;
        }
      }
    }
    std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
  }

  Mode mode_;
  std::size_t flood_bytes_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<bool> hung_up_{false};
  std::atomic<std::size_t> flooded_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;
  std::thread thread_;
};

// Messages arriving on one topic filter, with their arrival times.
class Watcher {
 public:
  Watcher(const std::string& uri, const std::string& filter, const std::string& id) {
    mqtt::ClientOptions o;
    o.uri = uri;
    o.client_id = id;
    client_ = std::make_unique<mqtt::Client>(o);
    client_->subscribe(filter, 1);
    client_->onMessage([this](std::string_view, std::span<const std::uint8_t>) {
      std::lock_guard lock(mutex_);
      arrivals_.push_back(std::chrono::steady_clock::now());
    });
    client_->start();
    REQUIRE(client_->waitConnected(10s));
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return arrivals_.size();
  }
  std::chrono::steady_clock::time_point first() {
    std::lock_guard lock(mutex_);
    return arrivals_.front();
  }

 private:
  std::unique_ptr<mqtt::Client> client_;
  std::mutex mutex_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
};

std::unique_ptr<mqtt::Client> publisherOn(const std::string& uri, const std::string& id) {
  mqtt::ClientOptions o;
  o.uri = uri;
  o.client_id = id;
  auto c = std::make_unique<mqtt::Client>(o);
  c->start();
  REQUIRE(c->waitConnected(10s));
  return c;
}

bool streamConnected(Process& ingest, const std::string& name) {
  return ingest.log().find("stream " + name + ": connected") != std::string::npos;
}

}  // namespace

TEST_CASE("untrusted: a 100 MB stream message is refused before it is copied, memory bounded") {
  System sys;
  Broker other(sys.path(""));
  sys.ctl({"stream", "add", "--name", "plant", "--account", "acme", "--channel", "default",
           "--broker", other.uri(), "--topic", "plant/#"});
  sys.ctl({"stream", "add", "--name", "mill", "--account", "acme", "--channel", "default",
           "--broker", other.uri(), "--topic", "mill/#"});
  // The peak measured is the ingester's own (under AddressSanitizer, without its quarantine).
  test::ScopedEnv asan("ASAN_OPTIONS", test::asanOptionsWithoutQuarantine());
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  REQUIRE(waitFor(
      [&] { return streamConnected(*ingest, "plant") && streamConnected(*ingest, "mill"); }, 20s));
  long before = peakRss(ingest->pid());
  REQUIRE(before > 0);

  auto sender = publisherOn(other.uri(), "big-sender");
  std::string huge(100u * 1024 * 1024, '7');  // a "number" of 100 MB
  constexpr int kHuge = 3;
  for (int i = 0; i < kHuge; ++i) {
    REQUIRE(sender->publish("plant/boiler", huge, 1));
    REQUIRE(sender->waitInflightBelow(1, 120s));
    // The other stream and the same stream keep being served meanwhile.
    REQUIRE(sender->publish("mill/rpm", std::to_string(1400 + i), 1));
    REQUIRE(sender->publish("plant/temp", std::to_string(60 + i), 1));
  }
  huge.clear();
  huge.shrink_to_fit();
  const std::string oversize =
      "dots_stream_rejected_total{stream=\"plant\",reason=\"stream-oversize\"}";
  bool counted = waitFor([&] { return metricOf(sys, api, oversize) == kHuge; }, 120s);
  INFO(ingest->log());
  CHECK(counted);
  CHECK(waitFor([&] { return sys.count("stream:mill").count == kHuge; }, 30s));
  CHECK(waitFor([&] { return sys.count("stream:plant").count == kHuge; }, 30s));
  CHECK(
      metricOf(sys, api,
               "dots_ingest_rejected_total{environment=\"default\",reason=\"stream-oversize\"}") ==
      kHuge);
  CHECK(ingest->log().find("stream-oversize") != std::string::npos);  // logged (rate-limited)

  long peak = peakRss(ingest->pid());
  MESSAGE("ingester VmHWM: ", before / 1024 / 1024, " MiB before, ", peak / 1024 / 1024,
          " MiB after ", kHuge, " stream messages of 100 MiB");
  // The floor is Paho's: its C library reads the whole packet and copies the payload out of it,
  // and its C++ wrapper copies that again before our callback sees the size (3 x 100 MiB, for
  // one message at a time). Nothing of ours copies or queues it; before, the ingester copied
  // it again and queued it, and held several at once.
  constexpr long kMessage = 100L * 1024 * 1024;
  const long bound = before + 3 * kMessage + kMessage / 2;
  MESSAGE("bound: ", bound / 1024 / 1024, " MiB (the peak before + 3.5 x 100 MiB)");
  CHECK(peak < bound);
  CHECK(ingest->running());
}

TEST_CASE("untrusted: a slow webhook receiver delays no other account's MQTT alert") {
  System sys;
  sys.ctl({"account", "add", "beta"});
  Broker other(sys.path(""));
  RawReceiver slow(RawReceiver::Mode::kHold);
  sys.ctl({"channel", "add", "--account", "acme", "--name", "alarms", "--handler",
           "threshold:above=50", "--handler",
           "notify:mqtt=false,webhook=http://127.0.0.1:" + std::to_string(slow.port()) + "/hook"});
  sys.ctl({"channel", "add", "--account", "beta", "--name", "alarms", "--handler",
           "threshold:above=50", "--handler", "notify"});
  for (const std::string account : {"acme", "beta"}) {
    sys.ctl({"stream", "add", "--name", account + "-plant", "--account", account, "--channel",
             "alarms", "--broker", other.uri(), "--topic", account + "/#"});
  }
  Watcher beta_alerts(sys.broker().uri(), "dots/v1/alerts/beta/#", "beta-watch");
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  REQUIRE(waitFor(
      [&] {
        return streamConnected(*ingest, "acme-plant") && streamConnected(*ingest, "beta-plant");
      },
      20s));
  auto sensor = publisherOn(other.uri(), "plant-sensors");

  // acme's alert goes to the slow receiver, which holds its answer.
  REQUIRE(sensor->publish("acme/probe", std::string_view("90"), 1));
  REQUIRE(waitFor([&] { return slow.requests() == 1; }, 30s));

  // beta's alert must arrive while acme's receiver still holds its connection.
  auto sent = std::chrono::steady_clock::now();
  REQUIRE(sensor->publish("beta/probe", std::string_view("90"), 1));
  bool arrived = waitFor([&] { return beta_alerts.count() == 1 || slow.clientHungUp(); }, 60s) &&
                 beta_alerts.count() == 1;
  bool held = !slow.clientHungUp();
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(
      (arrived ? beta_alerts.first() : std::chrono::steady_clock::now()) - sent);
  MESSAGE("beta's MQTT alert arrived ", delay.count(),
          " ms after its reading was published, with acme's webhook receiver holding its answer");
  slow.release();
  CHECK(arrived);
  CHECK(held);
  // The held delivery completes once released: delivered at the first attempt, no retry.
  CHECK(waitFor(
      [&] {
        return metricOf(sys, api, "dots_notify_total{target=\"webhook\",outcome=\"delivered\"}") ==
               1;
      },
      30s));
  CHECK(metricOf(sys, api, "dots_notify_total{target=\"any\",outcome=\"retry\"}") == 0);
  CHECK(slow.requests() == 1);
}

TEST_CASE("untrusted: a webhook to the metadata address or a private one is refused at add") {
  System sys;
  auto add = [&](const std::string& url) {
    return run({DOTS_CTL_BIN, "--data", sys.data(), "channel", "add", "--account", "acme", "--name",
                "hook", "--handler", "threshold:above=1", "--handler", "notify:webhook=" + url},
               sys.path(""));
  };
  for (const std::string url :
       {"http://169.254.169.254/latest/meta-data", "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/hook", "https://[fd00:ec2::254]/latest", "https://0.0.0.0/x",
        "https://224.0.0.1/x", "https://[::ffff:169.254.169.254]/x"}) {
    CAPTURE(url);
    CommandResult r = add(url);
    CHECK(r.code == 2);
    CHECK(r.err.find("blocked-destination") != std::string::npos);
  }
  CommandResult r = add("http://169.254.169.254/latest/meta-data");
  CHECK(r.err.find("169.254.169.254 is a link-local (the cloud metadata address) address") !=
        std::string::npos);
  // Plain http:// to a public address is refused too: only allow-listed ones may use it.
  r = add("http://192.0.2.10/hook");
  CHECK(r.code == 2);
  CHECK(r.err.find("plain http://") != std::string::npos);
  // Nothing was stored.
  CHECK(sys.ctl({"channel", "list"}).out.find("acme/hook") == std::string::npos);
  // A stream's broker is checked the same way.
  r = run({DOTS_CTL_BIN, "--data", sys.data(), "stream", "add", "--name", "s", "--account", "acme",
           "--channel", "default", "--broker", "tcp://192.168.1.20:1883", "--topic", "#"},
          sys.path(""));
  CHECK(r.code == 2);
  CHECK(r.err.find("blocked-destination") != std::string::npos);
  // Allow-listed, the address is accepted.
  sys.ctl({"allow-list", "add", "192.168.1.0/24"});
  sys.ctl({"stream", "add", "--name", "s", "--account", "acme", "--channel", "default", "--broker",
           "tcp://192.168.1.20:1883", "--topic", "#"});
}

TEST_CASE("untrusted: the allow-list is checked again at delivery time") {
  System sys;
  Broker other(sys.path(""));
  RawReceiver hook(RawReceiver::Mode::kHold);
  hook.release();  // answers at once
  sys.ctl({"channel", "add", "--account", "acme", "--name", "alarms", "--handler",
           "threshold:above=50", "--handler",
           "notify:mqtt=false,webhook=http://127.0.0.1:" + std::to_string(hook.port()) + "/h"});
  sys.ctl({"stream", "add", "--name", "plant", "--account", "acme", "--channel", "alarms",
           "--broker", other.uri(), "--topic", "plant/#"});
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  REQUIRE(waitFor([&] { return streamConnected(*ingest, "plant"); }, 20s));
  // Loopback stays allowed for the broker; the receiver's port alone is taken off.
  sys.ctl({"allow-list", "remove", "127.0.0.0/8"});
  auto sensor = publisherOn(other.uri(), "plant-sensor");
  REQUIRE(sensor->publish("plant/probe", std::string_view("90"), 1));
  CHECK(waitFor(
      [&] {
        return metricOf(sys, api, "dots_notify_total{target=\"webhook\",outcome=\"blocked\"}") >= 1;
      },
      30s));
  CHECK(hook.requests() == 0);
  CHECK(ingest->log().find("blocked-destination") != std::string::npos);
}

TEST_CASE("untrusted: an https webhook with a test CA delivers, signed, and is verified") {
  System sys;
  Broker other(sys.path(""));
  std::string certs = sys.path("certs");
  CommandResult made =
      run({DOTS_SOURCE_DIR "/deploy/mosquitto/make-certs", certs, "127.0.0.1"}, sys.path(""));
  REQUIRE(made.code == 0);

  httplib::SSLServer server((certs + "/server.crt").c_str(), (certs + "/server.key").c_str());
  std::mutex mutex;
  std::vector<httplib::Request> posts;
  server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    posts.push_back(req);
    res.set_content("thanks", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread server_thread([&] { server.listen_after_bind(); });

  std::string url = "https://127.0.0.1:" + std::to_string(port) + "/hook";
  CommandResult added = sys.ctl({"channel", "add", "--account", "acme", "--name", "alarms",
                                 "--handler", "threshold:above=50", "--handler",
                                 "notify:mqtt=false,webhook=" + url + ",ca=" + certs + "/ca.crt"});
  std::smatch m;
  REQUIRE(std::regex_search(added.out, m, std::regex(R"(webhook (\S+) secret ([0-9a-f]{64}))")));
  CHECK(m[1] == url);
  std::string secret = m[2];
  // Shown once: not in the channel list.
  CHECK(sys.ctl({"channel", "list", "--json"}).out.find(secret) == std::string::npos);

  sys.ctl({"stream", "add", "--name", "plant", "--account", "acme", "--channel", "alarms",
           "--broker", other.uri(), "--topic", "plant/#"});
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  REQUIRE(waitFor([&] { return streamConnected(*ingest, "plant"); }, 20s));
  auto sensor = publisherOn(other.uri(), "plant-sensor");
  REQUIRE(sensor->publish("plant/probe", std::string_view("90"), 1));
  REQUIRE(waitFor(
      [&] {
        std::lock_guard lock(mutex);
        return posts.size() == 1;
      },
      30s));
  httplib::Request req;
  {
    std::lock_guard lock(mutex);
    req = posts[0];
  }
  // The receiver's side: recompute the signature with OpenSSL, independently of the sender.
  std::string timestamp = req.get_header_value("X-Dots-Timestamp");
  std::string signature = req.get_header_value("X-Dots-Signature");
  std::string delivery = req.get_header_value("X-Dots-Delivery");
  REQUIRE(!timestamp.empty());
  CHECK(!delivery.empty());
  CHECK(std::llabs(std::stoll(timestamp) - std::time(nullptr)) < 300);
  std::string signed_text = timestamp + "." + req.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &mac_len);
  std::string expected = "v1=";
  for (unsigned int i = 0; i < mac_len; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    expected += kHex[mac[i] >> 4];
    expected += kHex[mac[i] & 15];
  }
  CHECK(signature.size() == expected.size());
  CHECK(CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0);
  CHECK(req.body.find("\"state\":\"raised\"") != std::string::npos);
  CHECK(waitFor(
      [&] {
        return metricOf(sys, api, "dots_notify_total{target=\"webhook\",outcome=\"delivered\"}") ==
               1;
      },
      10s));

  server.stop();
  server_thread.join();
}

TEST_CASE("untrusted: a webhook with a CA it does not know, and a huge answer, stay bounded") {
  System sys;
  Broker other(sys.path(""));
  std::string certs = sys.path("certs");
  REQUIRE(run({DOTS_SOURCE_DIR "/deploy/mosquitto/make-certs", certs, "127.0.0.1"}, sys.path(""))
              .code == 0);
  // An https receiver whose certificate no configured CA signed: never delivered.
  httplib::SSLServer untrusted((certs + "/server.crt").c_str(), (certs + "/server.key").c_str());
  std::atomic<int> untrusted_posts{0};
  untrusted.Post("/hook", [&](const httplib::Request&, httplib::Response&) { ++untrusted_posts; });
  int untrusted_port = untrusted.bind_to_any_port("127.0.0.1");
  std::thread untrusted_thread([&] { untrusted.listen_after_bind(); });

  constexpr std::size_t kFlood = 300u * 1024 * 1024;
  RawReceiver flood(RawReceiver::Mode::kFlood, kFlood);
  sys.ctl(
      {"channel", "add", "--account", "acme", "--name", "alarms", "--handler", "threshold:above=50",
       "--handler",
       "notify:mqtt=false,webhook=http://127.0.0.1:" + std::to_string(flood.port()) + "/h",
       "--handler",
       "notify:mqtt=false,webhook=https://127.0.0.1:" + std::to_string(untrusted_port) + "/hook"});
  sys.ctl({"stream", "add", "--name", "plant", "--account", "acme", "--channel", "alarms",
           "--broker", other.uri(), "--topic", "plant/#"});
  // The peak measured is the ingester's own (under AddressSanitizer, without its quarantine).
  test::ScopedEnv asan("ASAN_OPTIONS", test::asanOptionsWithoutQuarantine());
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  REQUIRE(waitFor([&] { return streamConnected(*ingest, "plant"); }, 20s));
  long before = peakRss(ingest->pid());
  auto sensor = publisherOn(other.uri(), "plant-sensor");
  REQUIRE(sensor->publish("plant/probe", std::string_view("90"), 1));

  // The flooding receiver answers 200: delivered, its body cut off after 64 KiB.
  CHECK(waitFor(
      [&] {
        return metricOf(sys, api, "dots_notify_total{target=\"webhook\",outcome=\"delivered\"}") ==
               1;
      },
      60s));
  CHECK(flood.requests() == 1);
  // The TLS handshake with the unknown certificate fails: a retry, never a POST.
  CHECK(waitFor(
      [&] {
        return metricOf(sys, api, "dots_notify_total{target=\"any\",outcome=\"retry\"}") >= 1;
      },
      30s));
  CHECK(untrusted_posts.load() == 0);
  long peak = peakRss(ingest->pid());
  MESSAGE("ingester VmHWM ", before / 1024 / 1024, " MiB before, ", peak / 1024 / 1024,
          " MiB after a 300 MiB webhook answer (", flood.flooded() / 1024,
          " KiB of it written "
          "before the ingester hung up)");
  CHECK(peak - before < 16L * 1024 * 1024);
  CHECK(flood.flooded() < 16u * 1024 * 1024);

  untrusted.stop();
  untrusted_thread.join();
}

TEST_CASE("untrusted: a stream above its rate is cut to it, the excess counted") {
  System sys;
  Broker other(sys.path(""));
  sys.ctl({"stream", "add", "--name", "chatty", "--account", "acme", "--channel", "default",
           "--broker", other.uri(), "--topic", "chatty/#", "--rate", "5"});
  CHECK(sys.ctl({"stream", "list", "--json"}).out.find(R"("rate_per_s":5)") != std::string::npos);
  auto ingest = sys.startIngest("ingest.log", {"--http", "127.0.0.1:0"});
  int api = httpPortOf(*ingest);
  REQUIRE(waitFor([&] { return streamConnected(*ingest, "chatty"); }, 20s));
  auto sender = publisherOn(other.uri(), "chatty-sender");
  auto start = std::chrono::steady_clock::now();
  constexpr int kSent = 200;
  for (int i = 0; i < kSent; ++i) {
    REQUIRE(sender->publish("chatty/v", std::to_string(i), 1));
  }
  const std::string limited =
      "dots_stream_rejected_total{stream=\"chatty\",reason=\"stream-rate-limited\"}";
  REQUIRE(waitFor(
      [&] { return metricOf(sys, api, limited) + sys.count("stream:chatty").count == kSent; },
      30s));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long stored = sys.count("stream:chatty").count;
  // One second's worth at once, then 5 a second for as long as the burst lasted.
  CHECK(stored >= 5);
  CHECK(stored <= 5 + static_cast<long>(5 * seconds) + 1);
  CHECK(metricOf(sys, api, limited) >= kSent - stored);
}
