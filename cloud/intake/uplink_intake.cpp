#include "cloud/intake/uplink_intake.h"

#include "shared/topics/topics.h"

namespace dots::cloud {

UplinkIntake::UplinkIntake(mqtt::Connection& client, const std::string& environment,
                           Admitter& admitter, const Topology& topology, IntakeQueue& queue,
                           StatsBoard& stats) {
  client.subscribe("$share/" + environment + "/" + std::string(topics::kAllUp), 1);
  client.onMessage([&admitter, &topology, &queue, &stats](std::string_view topic,
                                                          std::span<const std::uint8_t> payload) {
    try {
      GatewayMessage m;
      m.topic = std::string(topic);
      m.payload.assign(payload.begin(), payload.end());
      m.admitted_with = topology.current();
      m.admitted =
          admitter.admit(m.admitted_with ? m.admitted_with->admission : nullptr, topic, payload);
      (void)queue.push(std::move(m));
    } catch (const std::exception& e) {
      stats.reject(Error{"internal-error", e.what()}, topic);
    } catch (...) {
      stats.reject(Error{"internal-error", "unknown exception"}, topic);
    }
  });
}

}  // namespace dots::cloud
