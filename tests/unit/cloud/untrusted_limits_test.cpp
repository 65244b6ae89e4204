// The stream's message bucket and the webhook signature.
#include <doctest/doctest.h>

#include "cloud/intake/stream_source.h"
#include "cloud/notify/webhook_delivery.h"
#include "shared/seal/keys.h"
#include "shared/text/hex.h"

using namespace dots;
using namespace dots::cloud;

TEST_CASE("message bucket: one second's worth at once, then the rate") {
  MessageBucket bucket(10);
  auto t = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  int taken = 0;
  for (int i = 0; i < 100; ++i) taken += bucket.take(t) ? 1 : 0;
  CHECK(taken == 10);
  CHECK(!bucket.take(t + std::chrono::milliseconds(50)));  // half a token
  CHECK(bucket.take(t + std::chrono::milliseconds(100)));
  CHECK(!bucket.take(t + std::chrono::milliseconds(100)));
  taken = 0;
  for (int i = 0; i < 100; ++i) taken += bucket.take(t + std::chrono::seconds(60)) ? 1 : 0;
  CHECK(taken == 10);       // never more than the burst, however long it was idle
  MessageBucket slow(0.5);  // below one a second: a burst of one
  CHECK(slow.take(t));
  CHECK(!slow.take(t + std::chrono::seconds(1)));
  CHECK(slow.take(t + std::chrono::seconds(2)));
}

TEST_CASE("hmac-sha256: RFC 4231 test cases 1 and 2") {
  std::string key1(20, '\x0b');
  CHECK(toHex(seal::hmacSha256(key1, "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(toHex(seal::hmacSha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("webhook signature: v1= hex HMAC-SHA256 of timestamp.body under the secret") {
  std::string body = R"({"id":1})";
  CHECK(webhookSignature("secret", 1700000000, body) ==
        "v1=" + toHex(seal::hmacSha256("secret", "1700000000." + body)));
  CHECK(webhookSignature("secret", 1700000001, body) !=
        webhookSignature("secret", 1700000000, body));
  CHECK(webhookSignature("other", 1700000000, body) !=
        webhookSignature("secret", 1700000000, body));
}
