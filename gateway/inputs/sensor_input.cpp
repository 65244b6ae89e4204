#include "inputs/sensor_input.h"

#include "core/clock.h"
#include "senml/topic_name.h"

namespace dots::gateway {

namespace {
mqtt::ClientOptions clientOptions(const InputOptions& o) {
  mqtt::ClientOptions c;
  c.uri = o.broker;
  c.client_id = o.client_id;
  c.clean_session = false;
  c.no_delay = false;  // many small messages in, PUBACKs out: Nagle lets them travel together
  c.min_backoff = o.min_backoff;
  c.max_backoff = o.max_backoff;
  c.log_name = "input";
  return c;
}
}  // namespace

SensorInput::SensorInput(InputOptions options, Sink sink)
    : options_(std::move(options)), sink_(std::move(sink)), client_(clientOptions(options_)) {
  for (const auto& filter : options_.topics) client_.subscribe(filter, 1);
  client_.onMessage([this](std::string_view topic, std::span<const std::uint8_t> payload) {
    onMessage(topic, payload);
  });
}

SensorInput::~SensorInput() {
  stop();
}

void SensorInput::start() {
  client_.start();
}

void SensorInput::stop() {
  // Detach the sink first: nothing taken after stop() may be handed on.
  client_.stop();
}

std::string SensorInput::nameFromTopic(std::string_view topic,
                                       const std::vector<std::string>& filters) {
  return senml::nameFromTopic(topic, filters);
}

void SensorInput::onMessage(std::string_view topic, std::span<const std::uint8_t> payload) {
  messages_.fetch_add(1);
  scratch_.clear();
  std::string name = nameFromTopic(topic, options_.topics);
  std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto parsed = parser_.parse(text, name, wallMillis(), scratch_);
  if (!parsed) {
    {
      std::lock_guard lock(rejected_mutex_);
      ++rejected_[parsed.error().reason];
    }
    long suppressed = 0;
    if (log_limiter_.allow(parsed.error().reason, suppressed)) {
      log::warn("input", "rejected message on ", topic, ": ", parsed.error().describe(),
                suppressed ? log::concat(" (", suppressed, " more like it not shown)") : "");
    }
    return;
  }
  readings_.fetch_add(scratch_.size());
  if (!scratch_.empty()) sink_(std::move(scratch_));
  scratch_ = {};
}

std::map<std::string, std::uint64_t> SensorInput::rejected() const {
  std::lock_guard lock(rejected_mutex_);
  return rejected_;
}

}  // namespace dots::gateway
