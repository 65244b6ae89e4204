#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cloud/store/outbox.h"
#include "shared/mqtt/publisher.h"

namespace dots::cloud {

struct NotifierCounters {
  std::atomic<std::uint64_t> mqtt_delivered{0};
  std::atomic<std::uint64_t> webhook_delivered{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> failed{0};
};

// Delivers queued alerts from the store's outbox after their batch committed: MQTT publishes
// (QoS 1) through the ingester's client, webhooks as HTTP POSTs of the alert JSON. A failed
// delivery is retried with exponential backoff (0.5 s doubling to 60 s) up to `max_attempts`,
// then marked failed and counted. Runs on its own thread, which alone uses `outbox`.
class Notifier {
 public:
  Notifier(std::unique_ptr<Outbox> outbox, mqtt::Publisher& mqtt, int max_attempts = 8);
  ~Notifier();
  void start();
  void stop();
  // Something new may be due: look now.
  void poke();
  const NotifierCounters& counters() const { return counters_; }

 private:
  void run();
  bool postWebhook(const std::string& url, const std::string& body, std::string& error);

  std::unique_ptr<Outbox> outbox_;
  mqtt::Publisher& mqtt_;
  int max_attempts_;
  NotifierCounters counters_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool poked_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dots::cloud
