#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cloud/registry/registry.h"

namespace dots::cloud {

// What the notifier needs to deliver to one webhook of one channel.
struct WebhookSettings {
  std::string secret;   // HMAC-SHA256 key (the text dotsctl printed); empty: none stored
  std::string ca_file;  // PEM bundle to verify an https:// receiver; empty: the system's
};

// Every channel's webhooks, by (channel id, URL): read from the notify handler specs
// ("webhook=URL", "ca=FILE") and the secrets stored with each channel. Built with the routing
// snapshot (control plane), never on the data path.
using WebhookDirectory = std::map<std::pair<std::int64_t, std::string>, WebhookSettings>;

WebhookDirectory webhookDirectory(const std::vector<ChannelRecord>& channels);

// The webhook URLs among a channel's handler specs (notify handlers' "webhook=" values).
std::vector<std::string> webhookUrls(const std::vector<std::string>& specs);

}  // namespace dots::cloud
