#include "cloud/notify/webhook_delivery.h"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "shared/seal/keys.h"
#include "shared/text/hex.h"
#include "shared/time/clock.h"

namespace dots::cloud {

std::string webhookSignature(const std::string& secret, std::int64_t timestamp,
                             const std::string& body) {
  auto mac = seal::hmacSha256(secret, std::to_string(timestamp) + "." + body);
  return "v1=" + toHex(mac);
}

namespace {

// Shuts `client`'s connection when the deadline passes before done() is called.
class Watchdog {
 public:
  Watchdog(httplib::Client& client, std::chrono::milliseconds deadline)
      : thread_([this, &client, deadline] {
          std::unique_lock lock(mutex_);
          if (!cv_.wait_for(lock, deadline, [this] { return done_; })) {
            fired_ = true;
            lock.unlock();
            client.stop();
          }
        }) {}
  ~Watchdog() { done(); }
  void done() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

}  // namespace

Result<void> postWebhook(const std::string& url, const std::string& body, std::int64_t delivery_id,
                         const WebhookSettings& settings, const net::DestinationPolicy& policy,
                         const WebhookLimits& limits) {
  auto target = net::parseHttpUrl(url);
  if (!target) return std::unexpected(target.error());
  if (settings.secret.empty()) {
    return fail("no-secret",
                "no signing secret is stored for this webhook (add the channel "
                "again with dotsctl channel add)");
  }
  bool plain = target->scheme == "http";
  // The deadline covers the name lookup too: what is left of it bounds the rest.
  auto started = std::chrono::steady_clock::now();
  auto addresses = policy.resolve(target->host, target->port, plain);
  if (!addresses) return std::unexpected(addresses.error());
  auto left = limits.deadline - std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - started);
  if (left <= std::chrono::milliseconds(0)) {
    return fail("timeout", "the name lookup took longer than " +
                               std::to_string(limits.deadline.count()) + " ms");
  }

  std::string host =
      target->host.find(':') != std::string::npos ? "[" + target->host + "]" : target->host;
  httplib::Client client(target->scheme + "://" + host + ":" + std::to_string(target->port));
  // Connect to the address just checked, not to whatever a second lookup returns.
  client.set_hostname_addr_map({{target->host, addresses->front()}});
  client.set_follow_location(false);
  client.set_decompress(false);
  client.set_keep_alive(false);
  auto seconds = [](std::chrono::milliseconds ms) {
    return std::pair{static_cast<time_t>(ms.count() / 1000),
                     static_cast<time_t>((ms.count() % 1000) * 1000)};
  };
  auto [s, us] = seconds(left);
  client.set_connection_timeout(s, us);
  client.set_read_timeout(s, us);
  client.set_write_timeout(s, us);
  if (!plain) {
    client.enable_server_certificate_verification(true);
    if (!settings.ca_file.empty()) client.set_ca_cert_path(settings.ca_file);
  }

  std::int64_t timestamp = wallMillis() / 1000;
  httplib::Request req;
  req.method = "POST";
  req.path = target->path;
  req.body = body;
  req.headers = {{"Content-Type", "application/json"},
                 {kTimestampHeader, std::to_string(timestamp)},
                 {kDeliveryHeader, std::to_string(delivery_id)},
                 {kSignatureHeader, webhookSignature(settings.secret, timestamp, body)}};
  int status = 0;
  std::size_t read = 0;
  bool cut = false;
  req.response_handler = [&](const httplib::Response& response) {
    status = response.status;
    return true;
  };
  req.content_receiver = [&](const char*, std::size_t n, std::uint64_t, std::uint64_t) {
    read += n;
    if (read > limits.response_cap) {
      cut = true;
      return false;  // the rest is never read
    }
    return true;
  };

  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  bool sent = false;
  bool timed_out = false;
  {
    Watchdog watchdog(client, left);
    sent = client.send(req, res, error);
    watchdog.done();
    timed_out = watchdog.fired();
  }
  if (status == 0 && res.status > 0) status = res.status;
  if (timed_out && !(cut && status >= 200 && status < 300)) {
    return fail("timeout",
                "no complete answer within " + std::to_string(limits.deadline.count()) + " ms");
  }
  if (!sent && !cut) {
    if (status > 0 && (status < 200 || status >= 300)) {
      return fail("http", "HTTP " + std::to_string(status));
    }
    return fail("connection", httplib::to_string(error));
  }
  if (status < 200 || status >= 300) return fail("http", "HTTP " + std::to_string(status));
  return {};
}

}  // namespace dots::cloud
