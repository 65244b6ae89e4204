#include "cloud/intake/stream_source.h"

#include <unistd.h>

namespace dots::cloud {

StreamSource::StreamSource(Stream stream, std::string environment, Sink sink)
    : stream_(std::move(stream)), sink_(std::move(sink)) {
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
  client_ = std::make_unique<mqtt::Client>(o);
  client_->subscribe(stream_.topic, 1);
  client_->onMessage([this](std::string_view topic, std::span<const std::uint8_t> payload) {
    sink_(stream_, topic, payload);
  });
}

StreamSource::~StreamSource() {
  client_->stop();
}

void StreamSource::start() {
  client_->start();
}

}  // namespace dots::cloud
