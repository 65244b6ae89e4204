#include "cloud/intake/stream_source.h"

#include <unistd.h>

#include <algorithm>

namespace dots::cloud {

bool MessageBucket::take(std::chrono::steady_clock::time_point now) {
  if (started_) {
    double elapsed = std::chrono::duration<double>(now - at_).count();
    tokens_ = std::min(burst(), tokens_ + std::max(0.0, elapsed) * rate_);
  }
  started_ = true;
  at_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

StreamSource::StreamSource(Stream stream, std::string environment, Accept accept, Reject reject,
                           Policy policy)
    : stream_(std::move(stream)),
      accept_(std::move(accept)),
      reject_(std::move(reject)),
      policy_(std::move(policy)),
      bucket_(stream_.limits.rate_per_s) {
  mqtt::ClientOptions o;
  o.uri = stream_.broker;
  o.client_id =
      "dots-stream-" + environment + "-" + stream_.name + "-" + std::to_string(::getpid());
  o.username = stream_.auth.username;
  o.password = stream_.auth.password;
  o.ca_file = stream_.auth.ca_file;
  o.cert_file = stream_.auth.cert_file;
  o.key_file = stream_.auth.key_file;
  o.log_name = "stream " + stream_.name;
  o.min_backoff = std::chrono::milliseconds(200);
  o.max_backoff = std::chrono::milliseconds(10000);
  o.max_message_bytes = static_cast<std::size_t>(stream_.limits.max_message_bytes);
  o.on_oversize = [this](std::string_view topic, std::size_t bytes) {
    reject_(stream_, topic,
            Error{"stream-oversize", std::to_string(bytes) + " bytes, above the stream's " +
                                         std::to_string(stream_.limits.max_message_bytes)});
  };
  o.before_connect = [this](const std::string& host, int port) -> Result<std::string> {
    auto now_allowed = policy_();
    if (!now_allowed) return fail("blocked-destination", "no allow-list loaded yet");
    auto resolved = now_allowed->resolve(host, port, false);
    if (!resolved) {
      if (resolved.error().reason == "blocked-destination") reject_(stream_, "", resolved.error());
      return std::unexpected(resolved.error());
    }
    return resolved->empty() ? std::string() : resolved->front();  // the address just checked
  };
  o.check_peer = [this](const sockaddr* peer) -> Result<void> {
    auto now_allowed = policy_();
    if (!now_allowed) return fail("blocked-destination", "no allow-list loaded yet");
    auto verdict = now_allowed->check(peer, false);
    if (!verdict) reject_(stream_, "", verdict.error());
    return verdict;
  };
  client_ = std::make_unique<mqtt::Client>(o);
  client_->subscribe(stream_.topic, 1);
  client_->onMessage([this](std::string_view topic, std::span<const std::uint8_t> payload) {
    if (!bucket_.take(std::chrono::steady_clock::now())) {
      reject_(stream_, topic,
              Error{"stream-rate-limited",
                    "above " + std::to_string(stream_.limits.rate_per_s) + " messages/s"});
      return;
    }
    accept_(stream_, topic, payload);
  });
}

StreamSource::~StreamSource() {
  client_->stop();
}

void StreamSource::start() {
  client_->start();
}

}  // namespace dots::cloud
