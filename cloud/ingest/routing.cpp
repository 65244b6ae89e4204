#include "cloud/ingest/routing.h"

#include "shared/log/log.h"

namespace dots::cloud {

void RoutingSnapshot::commitHandlers() const {
  for (const auto& [id, channel] : channels) channel->commit();
}

void RoutingSnapshot::abortHandlers() const {
  for (const auto& [id, channel] : channels) channel->abort();
}

Topology::Topology(Registry& registry, std::string environment)
    : registry_(registry), environment_(std::move(environment)) {}

std::shared_ptr<const RoutingSnapshot> Topology::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

bool Topology::refresh() {
  auto version = registry_.dataVersion();
  auto previous = current();
  if (!version || (previous && *version == previous->registry_version)) return false;
  auto endpoints = registry_.endpoints();
  auto channels = registry_.channels();
  auto routes = registry_.routes();
  auto streams = registry_.streams();
  auto allowed = registry_.allowedDestinations();
  for (const Error* e :
       {endpoints ? nullptr : &endpoints.error(), channels ? nullptr : &channels.error(),
        routes ? nullptr : &routes.error(), streams ? nullptr : &streams.error(),
        allowed ? nullptr : &allowed.error()}) {
    if (e) {
      log::error("ingest", "cannot read the registry: ", e->describe());
      return false;
    }
  }
  auto next = std::make_shared<RoutingSnapshot>();
  next->registry_version = *version;
  auto admission = std::make_shared<AdmissionTable>();
  for (Endpoint& ep : *endpoints) admission->endpoints.emplace(ep.gateway, std::move(ep));

  // Channels of this environment; an unchanged channel keeps its handlers and their state.
  std::map<std::int64_t, std::string> environment_of;
  for (const auto& c : *channels) {
    environment_of[c.id] = c.environment;
    if (c.environment != environment_) continue;
    constexpr std::int64_t kMs = 1000;
    next->retention.push_back({c.id, c.retention.readings_s * kMs, c.retention.aggregates_s * kMs,
                               c.retention.alerts_s * kMs});
    if (previous) {
      auto old = previous->channels.find(c.id);
      if (old != previous->channels.end() && old->second->specs() == c.handlers) {
        next->channels[c.id] = old->second;
        continue;
      }
    }
    auto built = Channel::create(c.id, c.account, c.name, c.environment, c.handlers);
    if (!built) {
      log::error("ingest", "channel ", c.account, "/", c.name,
                 " not started: ", built.error().detail);
      continue;
    }
    next->channels[c.id] = std::move(*built);
  }
  for (const Route& r : *routes) {
    admission->served_by[r.gateway] = environment_of[r.channel_id];
    auto ch = next->channels.find(r.channel_id);
    if (ch == next->channels.end()) continue;
    next->routes[r.gateway].push_back({ch->second.get(), r.sensors});
    admission->routed.insert(r.gateway);
  }
  next->admission = std::move(admission);
  for (const Stream& s : *streams) {
    if (s.environment == environment_ && next->channels.contains(s.channel_id)) {
      next->streams.emplace(s.id, s);
    }
  }
  std::vector<net::Cidr> ranges;
  for (const auto& text : *allowed) {
    if (auto c = net::Cidr::parse(text)) {
      ranges.push_back(*c);
    } else {
      log::warn("ingest", "allow-list: ", c.error().describe());
    }
  }
  next->destinations = std::make_shared<const net::DestinationPolicy>(std::move(ranges));
  next->webhooks = std::make_shared<const WebhookDirectory>(webhookDirectory(*channels));
  log::debug("ingest", "registry loaded: ", next->admission->endpoints.size(), " endpoints, ",
             next->channels.size(), " channels here");
  std::lock_guard lock(mutex_);
  current_ = std::move(next);
  return true;
}

}  // namespace dots::cloud
