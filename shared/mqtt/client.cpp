#include "shared/mqtt/client.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <mqtt/async_client.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "shared/log/log.h"

namespace dots::mqtt {

std::chrono::milliseconds reconnectDelay(int attempt, std::chrono::milliseconds min,
                                         std::chrono::milliseconds max, std::minstd_rand& rng) {
  long long cap = std::max<long long>(1, max.count());
  long long base = std::min<long long>(cap, min.count() << std::clamp(attempt, 0, 20));
  std::uniform_int_distribution<long long> jitter(std::max<long long>(1, base / 2),
                                                  std::max<long long>(1, base));
  return std::chrono::milliseconds(jitter(rng));
}

namespace {
bool readableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), R_OK) == 0;
}
}  // namespace

std::optional<TlsProblem> checkTlsOptions(const ClientOptions& o) {
  bool ssl = o.uri.starts_with("ssl://");
  const std::pair<const char*, const std::string*> files[] = {
      {"ca_file", &o.ca_file}, {"cert_file", &o.cert_file}, {"key_file", &o.key_file}};
  for (const auto& [field, path] : files) {
    if (path->empty()) continue;
    if (!ssl) return TlsProblem{field, "is for ssl:// brokers only (this one is " + o.uri + ")"};
    if (!readableFile(*path)) return TlsProblem{field, *path + " is not a readable file"};
  }
  if (!ssl) return std::nullopt;
  if (o.ca_file.empty()) {
    return TlsProblem{"ca_file",
                      "is required for an ssl:// broker: the CA certificate (PEM) that signed "
                      "the broker's certificate"};
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    return TlsProblem{o.cert_file.empty() ? "cert_file" : "key_file",
                      "a client certificate needs both cert_file and key_file"};
  }
  return std::nullopt;
}

namespace {
// The host and port of an ssl://host:port or ssl://[v6]:port URI.
bool splitUri(const std::string& uri, std::string& host, std::string& port) {
  std::string rest = uri.substr(uri.find("://") + 3);
  std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return false;
  host = rest.substr(0, colon);
  port = rest.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return !host.empty() && !port.empty();
}

// Why a TLS connection to the broker fails, found by a handshake of our own with the same CA,
// client certificate and host-name check as Paho's (which reports only "TCP/TLS connect
// failure"). Empty when the handshake succeeds or the broker cannot be reached at all.
std::string tlsDiagnosis(const ClientOptions& o) {
  std::string host, port;
  if (!splitUri(o.uri, host, port)) return "";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || !found) return "";
  int fd = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  timeval timeout{5, 0};
  bool reached = fd >= 0 &&
                 ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) == 0 &&
                 ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) == 0 &&
                 ::connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  ::freeaddrinfo(found);
  if (!reached) {
    if (fd >= 0) ::close(fd);
    return "";
  }
  std::string why;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = nullptr;
  ERR_clear_error();
  if (!ctx || SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1) {
    why = "cannot load the CA file " + o.ca_file;
  } else if (!o.cert_file.empty() &&
             (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1 ||
              SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
    why = "cannot load the client certificate " + o.cert_file + " or its key " + o.key_file;
  } else if ((ssl = SSL_new(ctx)) != nullptr) {
    SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
    in6_addr ip{};
    bool is_ip = ::inet_pton(AF_INET, host.c_str(), &ip) == 1 ||
                 ::inet_pton(AF_INET6, host.c_str(), &ip) == 1;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, host.c_str());
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
      long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        why = std::string("the broker's certificate is not accepted for ") + host + ": " +
              X509_verify_cert_error_string(verify);
      } else if (unsigned long err = ERR_get_error(); err != 0) {
        char text[256];
        ERR_error_string_n(err, text, sizeof(text));
        why = std::string("TLS handshake failed: ") + text;
      } else {
        why = "TLS handshake failed";
      }
    } else {
      SSL_shutdown(ssl);
    }
  }
  if (ssl) SSL_free(ssl);
  if (ctx) SSL_CTX_free(ctx);
  ::close(fd);
  return why;
}

// Calls visit(fd, inode) for every socket the process has open.
template <typename Visit>
void forEachSocket(Visit visit) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
    struct stat st {};
    if (::fstat(static_cast<int>(fd), &st) == 0 && S_ISSOCK(st.st_mode)) {
      visit(static_cast<int>(fd), st.st_ino);
    }
  }
  ::closedir(dir);
}

std::set<ino_t> openSockets() {
  std::set<ino_t> out;
  forEachSocket([&](int, ino_t inode) { out.insert(inode); });
  return out;
}

// Paho C leaves Nagle's algorithm on and exposes no socket options: this turns TCP_NODELAY on
// for every socket that appeared in the process since `before`. Those are the ones the connect
// opened, plus any another thread opened meanwhile (they get the option too).
void noDelayOnNewSockets(const std::set<ino_t>& before) {
  forEachSocket([&](int fd, ino_t inode) {
    if (before.contains(inode)) return;
    int on = 1;  // fails harmlessly on anything that is not TCP
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  });
}
}  // namespace

struct Client::Impl : public ::mqtt::callback {
  explicit Impl(ClientOptions o)
      : options(std::move(o)),
        client(options.uri, options.client_id,
               ::mqtt::create_options(MQTTVERSION_3_1_1, options.max_buffered)) {
    client.set_callback(*this);
  }

  ClientOptions options;
  ::mqtt::async_client client;
  std::vector<std::pair<std::string, int>> subscriptions;
  MessageHandler on_message;
  std::function<void()> on_connected;
  std::function<void(const std::string&)> on_lost;

  mutable std::mutex mutex;
  std::condition_variable cv;
  bool connected = false;
  bool stopping = false;
  std::thread connector;
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> delivered{0};
  std::string last_failure;  // connector thread only: the failure last logged as a warning

  // A warning with the reason the first time a failure is seen (since start or the last
  // connection), debug while the same failure repeats.
  void logFailure(const std::string& what) {
    if (what == last_failure) {
      log::debug(options.log_name, "connect to ", options.uri, " failed: ", what);
      return;
    }
    last_failure = what;
    std::string why = options.uri.starts_with("ssl://") ? tlsDiagnosis(options) : "";
    log::warn(options.log_name, "connect to ", options.uri, " failed: ", what,
              why.empty() ? "" : " (", why, why.empty() ? "" : ")");
  }

  // ::mqtt::callback (network thread)
  void connection_lost(const std::string& cause) override {
    {
      std::lock_guard lock(mutex);
      connected = false;
      // Deliveries in flight on the lost connection will never be confirmed to us.
      delivered = published.load();
    }
    cv.notify_all();
    log::warn(options.log_name, "connection to ", options.uri, " lost", cause.empty() ? "" : ": ",
              cause);
    if (on_lost) on_lost(cause);
  }

  void message_arrived(::mqtt::const_message_ptr msg) override {
    if (!on_message) return;
    const auto& payload = msg->get_payload_ref();
    // An exception must not reach the client library's thread (it would end the process).
    try {
      if (options.max_message_bytes > 0 && payload.size() > options.max_message_bytes) {
        if (options.on_oversize) options.on_oversize(msg->get_topic(), payload.size());
        return;
      }
      on_message(msg->get_topic(),
                 {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
    } catch (const std::exception& e) {
      log::error(options.log_name, "a message handler failed on ", msg->get_topic(), ": ",
                 e.what());
    } catch (...) {
      log::error(options.log_name, "a message handler failed on ", msg->get_topic());
    }
  }

  void delivery_complete(::mqtt::delivery_token_ptr) override {
    delivered.fetch_add(1);
    cv.notify_all();
  }

  ::mqtt::connect_options connectOptions() const {
    ::mqtt::connect_options opts;
    opts.set_clean_session(options.clean_session);
    opts.set_keep_alive_interval(static_cast<int>(options.keep_alive.count()));
    opts.set_connect_timeout(5);
    opts.set_max_inflight(options.max_inflight);
    opts.set_automatic_reconnect(false);
    if (!options.username.empty()) {
      opts.set_user_name(options.username);
      opts.set_password(options.password);
    }
    if (options.will) {
      opts.set_will(::mqtt::will_options(options.will->topic, options.will->payload,
                                         options.will->qos, options.will->retained));
    }
    if (options.uri.starts_with("ssl://")) {
      // Only the given CA is trusted (Paho loads the system's store only without one), and
      // verify checks the certificate's names against the URI's host after the handshake.
      ::mqtt::ssl_options ssl;
      ssl.set_trust_store(options.ca_file);
      ssl.set_enable_server_cert_auth(true);
      ssl.set_verify(true);
      if (!options.cert_file.empty()) {
        ssl.set_key_store(options.cert_file);
        ssl.set_private_key(options.key_file);
      }
      opts.set_ssl(ssl);
    }
    return opts;
  }

  void run() {
    if (auto problem = checkTlsOptions(options)) {
      log::error(options.log_name, "not connecting to ", options.uri, ": ", problem->field, " ",
                 problem->message);
      return;
    }
    std::minstd_rand rng{std::random_device{}()};
    int attempt = 0;
    std::unique_lock lock(mutex);
    while (!stopping) {
      if (connected) {
        cv.wait(lock, [this] { return stopping || !connected; });
        continue;
      }
      lock.unlock();
      bool ok = false;
      try {
        ok = tryConnect();
      } catch (const std::exception& e) {
        // E.g. a failing name lookup in before_connect: a failed attempt, retried with backoff.
        logFailure(e.what());
      }
      lock.lock();
      if (ok) {
        attempt = 0;
        continue;
      }
      auto delay = reconnectDelay(attempt, options.min_backoff, options.max_backoff, rng);
      ++attempt;
      cv.wait_for(lock, delay, [this] { return stopping; });
    }
  }

  // The host and port of tcp://host:port, ssl://host:port or ssl://[v6]:port.
  std::pair<std::string, int> hostPort() const {
    std::string rest = options.uri.substr(options.uri.find("://") + 3);
    std::size_t colon = rest.rfind(':');
    std::string host = rest.substr(0, colon);
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    int port = colon == std::string::npos ? 1883 : std::atoi(rest.c_str() + colon + 1);
    return {host, port};
  }

  // Runs check_peer on the sockets the connect opened to the broker's port.
  Result<void> checkPeers(const std::set<ino_t>& before, int port) {
    Result<void> verdict;
    forEachSocket([&](int fd, ino_t inode) {
      if (before.contains(inode) || !verdict) return;
      sockaddr_storage peer{};
      socklen_t length = sizeof(peer);
      if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return;
      int peer_port = 0;
      if (peer.ss_family == AF_INET) {
        peer_port = ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port);
      } else if (peer.ss_family == AF_INET6) {
        peer_port = ntohs(reinterpret_cast<sockaddr_in6*>(&peer)->sin6_port);
      } else {
        return;
      }
      if (peer_port != port) return;
      verdict = options.check_peer(reinterpret_cast<const sockaddr*>(&peer));
    });
    return verdict;
  }

  bool tryConnect() {
    auto [host, port] = hostPort();
    std::string pinned;  // the numeric address before_connect checked, for a tcp:// connect
    if (options.before_connect) {
      auto r = options.before_connect(host, port);
      if (!r) {
        log::warn(options.log_name, "not connecting to ", options.uri, ": ", r.error().describe());
        return false;
      }
      if (options.uri.starts_with("tcp://") && !r->empty()) {
        std::string numeric = r->find(':') != std::string::npos ? "[" + *r + "]" : *r;
        pinned = "tcp://" + numeric + ":" + std::to_string(port);
      }
    }
    std::set<ino_t> before;
    if (options.no_delay || options.check_peer) before = openSockets();
    try {
      auto connect = connectOptions();
      if (!pinned.empty()) connect.set_servers(std::make_shared<::mqtt::string_collection>(pinned));
      client.connect(connect)->wait();
      if (options.check_peer) {
        if (auto r = checkPeers(before, port); !r) {
          log::warn(options.log_name, "disconnecting from ", options.uri, ": ",
                    r.error().describe());
          client.disconnect()->wait_for(std::chrono::seconds(2));
          return false;
        }
      }
      for (const auto& [filter, qos] : subscriptions) {
        client.subscribe(filter, qos)->wait_for(std::chrono::seconds(10));
      }
    } catch (const ::mqtt::exception& e) {
      logFailure(e.what());
      return false;
    }
    last_failure.clear();
    if (options.no_delay) noDelayOnNewSockets(before);
    {
      std::lock_guard lock(mutex);
      connected = true;
    }
    cv.notify_all();
    log::info(options.log_name, "connected to ", options.uri, " as ", options.client_id);
    if (on_connected) on_connected();
    return true;
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Client::~Client() {
  stop();
}

void Client::subscribe(std::string filter, int qos) {
  impl_->subscriptions.emplace_back(std::move(filter), qos);
}
void Client::onMessage(MessageHandler handler) {
  impl_->on_message = std::move(handler);
}
void Client::onConnected(std::function<void()> handler) {
  impl_->on_connected = std::move(handler);
}
void Client::onConnectionLost(std::function<void(const std::string&)> handler) {
  impl_->on_lost = std::move(handler);
}

void Client::start() {
  if (impl_->connector.joinable()) return;
  impl_->connector = std::thread([this] { impl_->run(); });
}

bool Client::waitConnected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [this] { return impl_->connected; });
}

bool Client::isConnected() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connected;
}

Result<void> Client::publish(std::string_view topic, std::span<const std::uint8_t> payload, int qos,
                             bool retained) {
  if (!isConnected()) return fail("not-connected", impl_->options.uri);
  try {
    if (qos > 0) impl_->published.fetch_add(1);
    impl_->client.publish(std::string(topic), payload.data(), payload.size(), qos, retained);
  } catch (const ::mqtt::exception& e) {
    if (qos > 0) impl_->delivered.fetch_add(1);  // it will never be confirmed
    if (e.get_return_code() == MQTTASYNC_MAX_BUFFERED_MESSAGES) return fail("busy", e.what());
    return fail("mqtt-publish", e.what());
  }
  return {};
}

std::size_t Client::inflight() const {
  auto p = impl_->published.load();
  auto d = impl_->delivered.load();
  return p > d ? static_cast<std::size_t>(p - d) : 0;
}

bool Client::waitInflightBelow(std::size_t limit, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [&] { return inflight() < limit; });
}

void Client::stop(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->connector.joinable()) impl_->connector.join();
  try {
    if (impl_->client.is_connected()) {
      impl_->client.disconnect(static_cast<int>(timeout.count()))->wait_for(timeout);
    }
  } catch (const ::mqtt::exception& e) {
    log::debug(impl_->options.log_name, "disconnect: ", e.what());
  }
}

}  // namespace dots::mqtt
