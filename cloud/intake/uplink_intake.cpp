#include "cloud/intake/uplink_intake.h"

#include "shared/time/clock.h"
#include "shared/topics/topics.h"

namespace dots::cloud {

UplinkIntake::UplinkIntake(mqtt::Connection& client, const std::string& environment,
                           Admitter& admitter, const Topology& topology, IntakeQueue& queue,
                           StatsBoard& stats, GatewayStatusBoard& statuses) {
  client.subscribe("$share/" + environment + "/" + std::string(topics::kAllUp), 1);
  client.subscribe(std::string(topics::kAllStatus), 1);
  client.onMessage([&admitter, &topology, &queue, &stats, &statuses](
                       std::string_view topic, std::span<const std::uint8_t> payload) {
    try {
      if (auto gw = topics::gatewayOfStatusTopic(topic)) {
        auto routing = topology.current();
        std::string gateway(*gw);
        if (!routing || !routing->admission->endpoints.contains(gateway)) {
          stats.reject(Error{"unknown-gateway", "a status without an endpoint"}, topic);
          return;
        }
        if (auto r = statuses.update(gateway, payload, wallMillis()); !r) {
          stats.reject(r.error(), topic);
        }
        return;
      }
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
