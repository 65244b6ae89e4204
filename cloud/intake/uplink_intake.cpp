#include "cloud/intake/uplink_intake.h"

#include "shared/topics/topics.h"

namespace dots::cloud {

UplinkIntake::UplinkIntake(mqtt::Connection& client, const std::string& environment,
                           Admitter& admitter, const Topology& topology, IntakeQueue& queue) {
  client.subscribe("$share/" + environment + "/" + std::string(topics::kAllUp), 1);
  client.onMessage([&admitter, &topology, &queue](std::string_view topic,
                                                  std::span<const std::uint8_t> payload) {
    GatewayMessage m;
    m.topic = std::string(topic);
    m.payload.assign(payload.begin(), payload.end());
    m.admitted_with = topology.current();
    m.admitted =
        admitter.admit(m.admitted_with ? m.admitted_with->admission : nullptr, topic, payload);
    (void)queue.push(std::move(m));
  });
}

}  // namespace dots::cloud
