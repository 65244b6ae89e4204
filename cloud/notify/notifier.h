#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cloud/notify/webhook_delivery.h"
#include "cloud/notify/webhook_directory.h"
#include "cloud/store/outbox.h"
#include "shared/mqtt/publisher.h"
#include "shared/net/destination_policy.h"

namespace dots::cloud {

struct NotifierCounters {
  std::atomic<std::uint64_t> mqtt_delivered{0};
  std::atomic<std::uint64_t> webhook_delivered{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> blocked{0};  // webhook attempts refused by the allow-list
};

// What the notifier delivers against: the allow-list and the webhooks' secrets and CA files,
// as of the current registry snapshot (null until one is loaded).
struct NotifyPolicy {
  std::shared_ptr<const net::DestinationPolicy> destinations;
  std::shared_ptr<const WebhookDirectory> webhooks;
};
using NotifyPolicySource = std::function<NotifyPolicy()>;

struct NotifierOptions {
  int max_attempts = 8;
  WebhookLimits webhook;
};

// Delivers queued alerts from the store's outbox after their batch committed. MQTT publishes
// (QoS 1, non-blocking) go out from the notifier's own thread; webhooks go out from one worker
// thread per destination (scheme://host:port), each reading only its destination's rows, so a
// slow or dead receiver delays only its own deliveries. A row stays in the outbox until it is
// delivered or given up: a failed delivery is retried with exponential backoff (0.5 s doubling
// to 60 s) up to max_attempts, then marked failed and counted; rows left at a restart are
// delivered after it. The outbox is shared by these threads under one lock.
class Notifier {
 public:
  Notifier(std::unique_ptr<Outbox> outbox, mqtt::Publisher& mqtt, NotifyPolicySource policy,
           NotifierOptions options = {});
  ~Notifier();
  void start();
  void stop();
  // Something new may be due: look now.
  void poke();
  const NotifierCounters& counters() const { return counters_; }

 private:
  struct Worker;
  void run();
  void deliverMqtt(std::int64_t now);
  void runWorker(Worker& worker);
  // Records the outcome of one attempt (any thread).
  void settle(const Delivery& d, const Result<void>& outcome);

  std::unique_ptr<Outbox> outbox_;
  std::mutex outbox_mutex_;
  mqtt::Publisher& mqtt_;
  NotifyPolicySource policy_;
  NotifierOptions options_;
  NotifierCounters counters_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool poked_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;  // by destination; notifier thread
};

}  // namespace dots::cloud
