#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cloud/notify/webhook_directory.h"
#include "shared/error/error.h"
#include "shared/net/destination_policy.h"

namespace dots::cloud {

// The signature headers of one webhook POST. The receiver recomputes
//   hex(HMAC-SHA256(secret, timestamp + "." + body))
// with the secret dotsctl printed, compares it with the signature's hex (in constant time),
// and refuses a timestamp too far from its own clock (replays).
inline constexpr const char* kSignatureHeader = "X-Dots-Signature";  // "v1=<64 hex digits>"
inline constexpr const char* kTimestampHeader = "X-Dots-Timestamp";  // Unix seconds
inline constexpr const char* kDeliveryHeader = "X-Dots-Delivery";    // outbox id, same on retries

// "v1=" + hex HMAC-SHA256 of "<timestamp>.<body>" under `secret`.
std::string webhookSignature(const std::string& secret, std::int64_t timestamp,
                             const std::string& body);

struct WebhookLimits {
  // The whole delivery (resolve, connect, TLS, send, response) ends by then: the connection is
  // shut from a watchdog, so a receiver trickling bytes cannot hold its worker longer.
  std::chrono::milliseconds deadline{10000};
  // Response bytes read at most; the rest is cut off (the status decides), never buffered.
  std::size_t response_cap = 64 * 1024;
};

// POSTs `body` (application/json) to `url` once: the host is resolved and every address checked
// against `policy` (plain http:// only for allow-listed addresses), and the connection goes to
// the checked address (no second lookup); https:// verifies the certificate chain (the
// webhook's CA file, or the system's store) and the host name; redirects are not followed; the
// body is signed with settings.secret. Success is a 2xx status. Errors: "bad-url",
// "unresolvable", "blocked-destination", "no-secret", "http" (with the status), "timeout",
// "connection" (httplib's reason). Safe to call from several threads at once.
Result<void> postWebhook(const std::string& url, const std::string& body, std::int64_t delivery_id,
                         const WebhookSettings& settings, const net::DestinationPolicy& policy,
                         const WebhookLimits& limits);

}  // namespace dots::cloud
