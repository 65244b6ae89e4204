#include "cloud/notify/webhook_directory.h"

#include <algorithm>

#include "cloud/pipeline/handler_params.h"

namespace dots::cloud {

namespace {
template <typename Visit>
void forEachWebhook(const std::vector<std::string>& specs, Visit visit) {
  for (const auto& spec : specs) {
    auto params = HandlerParams::parse(spec);
    if (!params || params->type() != "notify" || !params->has("webhook")) continue;
    auto url = params->text("webhook", std::nullopt);
    auto ca = params->text("ca", std::string());
    if (url && ca) visit(*url, *ca);
  }
}
}  // namespace

WebhookDirectory webhookDirectory(const std::vector<ChannelRecord>& channels) {
  WebhookDirectory out;
  for (const auto& c : channels) {
    forEachWebhook(c.handlers, [&](const std::string& url, const std::string& ca) {
      auto secret = c.webhook_secrets.find(url);
      out[{c.id, url}] =
          WebhookSettings{secret == c.webhook_secrets.end() ? "" : secret->second, ca};
    });
  }
  return out;
}

std::vector<std::string> webhookUrls(const std::vector<std::string>& specs) {
  std::vector<std::string> out;
  forEachWebhook(specs, [&](const std::string& url, const std::string&) {
    if (std::find(out.begin(), out.end(), url) == out.end()) out.push_back(url);
  });
  return out;
}

}  // namespace dots::cloud
