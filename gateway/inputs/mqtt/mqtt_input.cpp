#include "gateway/inputs/mqtt/mqtt_input.h"

#include "shared/mqtt/client.h"
#include "shared/senml/topic_name.h"
#include "shared/time/clock.h"

namespace dots::gateway {

MqttInput::MqttInput(MqttInputOptions options, std::unique_ptr<mqtt::Connection> connection,
                     ReadingSink sink, std::function<std::int64_t()> wall_ms)
    : options_(std::move(options)),
      connection_(std::move(connection)),
      sink_(std::move(sink)),
      wall_ms_(std::move(wall_ms)) {
  for (const auto& filter : options_.topics) connection_->subscribe(filter, 1);
  connection_->onMessage([this](std::string_view topic, std::span<const std::uint8_t> payload) {
    onMessage(topic, payload);
  });
}

MqttInput::~MqttInput() {
  stop();
}

void MqttInput::start() {
  connection_->start();
}

void MqttInput::stop() {
  connection_->stop();
}

std::string MqttInput::nameFromTopic(std::string_view topic,
                                     const std::vector<std::string>& filters) {
  return senml::nameFromTopic(topic, filters);
}

void MqttInput::onMessage(std::string_view topic, std::span<const std::uint8_t> payload) {
  messages_.fetch_add(1);
  scratch_.clear();
  std::string name = nameFromTopic(topic, options_.topics);
  std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto parsed = parser_.parse(text, name, wall_ms_(), scratch_);
  if (!parsed) {
    {
      std::lock_guard lock(rejected_mutex_);
      ++rejected_[parsed.error().reason];
    }
    long suppressed = 0;
    if (log_limiter_.allow(parsed.error().reason, suppressed)) {
      log::warn("input", options_.name, ": rejected message on ", topic, ": ",
                parsed.error().describe(),
                suppressed ? log::concat(" (", suppressed, " more like it not shown)") : "");
    }
    return;
  }
  readings_.fetch_add(scratch_.size());
  if (!scratch_.empty()) sink_(std::move(scratch_));
  scratch_ = {};
}

InputStats MqttInput::stats() const {
  InputStats s;
  s.messages = messages_.load();
  s.readings = readings_.load();
  std::lock_guard lock(rejected_mutex_);
  s.rejected = rejected_;
  return s;
}

std::unique_ptr<Input> makeMqttInput(MqttInputOptions options, ReadingSink sink) {
  mqtt::ClientOptions c;
  c.uri = options.broker;
  c.client_id = options.client_id;
  c.clean_session = false;
  c.username = options.username;
  c.password = options.password;
  c.ca_file = options.ca_file;
  c.cert_file = options.cert_file;
  c.key_file = options.key_file;
  c.no_delay = false;  // many small messages in, PUBACKs out: Nagle lets them travel together
  c.min_backoff = options.min_backoff;
  c.max_backoff = options.max_backoff;
  c.log_name = "input";
  return std::make_unique<MqttInput>(std::move(options), std::make_unique<mqtt::Client>(c),
                                     std::move(sink), wallMillis);
}

}  // namespace dots::gateway
