#include "cloud/notify/notifier.h"

#include <algorithm>

#include "shared/app/thread_name.h"
#include "shared/log/log.h"
#include "shared/time/clock.h"

namespace dots::cloud {

// One destination's deliveries: its own thread, woken by the notifier when rows are due.
struct Notifier::Worker {
  std::string destination;
  std::mutex mutex;
  std::condition_variable cv;
  bool poked = false;
  std::thread thread;
};

Notifier::Notifier(std::unique_ptr<Outbox> outbox, mqtt::Publisher& mqtt, NotifyPolicySource policy,
                   NotifierOptions options)
    : outbox_(std::move(outbox)), mqtt_(mqtt), policy_(std::move(policy)), options_(options) {}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  thread_ = std::thread([this] { run(); });
}

void Notifier::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [destination, w] : workers_) {
    {
      std::lock_guard lock(w->mutex);
      w->poked = true;
    }
    w->cv.notify_all();
    if (w->thread.joinable()) w->thread.join();
  }
  workers_.clear();
}

void Notifier::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  cv_.notify_all();
}

void Notifier::settle(const Delivery& d, const Result<void>& outcome) {
  std::lock_guard lock(outbox_mutex_);
  if (outcome) {
    (d.target == "mqtt" ? counters_.mqtt_delivered : counters_.webhook_delivered).fetch_add(1);
    if (auto r = outbox_->markDelivered(d.id); !r) log::warn("notify", r.error().describe());
    return;
  }
  if (outcome.error().reason == "blocked-destination") counters_.blocked.fetch_add(1);
  int attempts = d.attempts + 1;
  std::int64_t next = -1;
  if (attempts < options_.max_attempts) {
    next = wallMillis() + std::min<std::int64_t>(60000, 500LL << std::min(attempts - 1, 20));
    counters_.retries.fetch_add(1);
  } else {
    counters_.failed.fetch_add(1);
  }
  log::warn("notify", d.target, " delivery of alert ", d.alert_id, " to ", d.address,
            " failed (attempt ", attempts, "): ", outcome.error().describe(),
            next < 0 ? "; giving up" : "; will retry");
  if (auto r = outbox_->markAttempt(d.id, attempts, next, outcome.error().describe()); !r) {
    log::warn("notify", r.error().describe());
  }
}

void Notifier::deliverMqtt(std::int64_t now) {
  Result<std::vector<Delivery>> due = std::vector<Delivery>{};
  {
    std::lock_guard lock(outbox_mutex_);
    due = outbox_->dueDeliveries(now, 100, std::string("mqtt"));
  }
  if (!due) {
    log::warn("notify", "cannot read the outbox: ", due.error().describe());
    return;
  }
  for (const Delivery& d : *due) settle(d, mqtt_.publish(d.address, d.payload, 1));
}

void Notifier::runWorker(Worker& w) {
  nameThisThread("dots-hook");
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    NotifyPolicy policy = policy_();
    Result<std::vector<Delivery>> due = std::vector<Delivery>{};
    if (policy.destinations && policy.webhooks) {
      std::lock_guard lock(outbox_mutex_);
      due = outbox_->dueDeliveries(wallMillis(), 16, w.destination);
    }
    if (!due) log::warn("notify", "cannot read the outbox: ", due.error().describe());
    if (due && !due->empty()) {
      for (const Delivery& d : *due) {
        {
          std::lock_guard lock(mutex_);
          if (stopping_) return;
        }
        auto found = policy.webhooks->find({d.channel_id, d.address});
        WebhookSettings settings =
            found == policy.webhooks->end() ? WebhookSettings{} : found->second;
        // An exception must not end the worker (nor the process): it is a failed attempt.
        Result<void> outcome;
        try {
          outcome = postWebhook(d.address, d.payload, d.id, settings, *policy.destinations,
                                options_.webhook);
        } catch (const std::exception& e) {
          outcome = fail("internal-error", e.what());
        } catch (...) {
          outcome = fail("internal-error", "an unknown exception");
        }
        settle(d, outcome);
      }
      continue;
    }
    std::unique_lock lock(w.mutex);
    w.cv.wait_for(lock, std::chrono::milliseconds(1000), [&] { return w.poked; });
    w.poked = false;
  }
}

void Notifier::run() {
  nameThisThread("dots-notify");
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_ || poked_; });
      if (stopping_) return;
      poked_ = false;
    }
    std::int64_t now = wallMillis();
    Result<std::vector<std::string>> destinations = std::vector<std::string>{};
    {
      std::lock_guard lock(outbox_mutex_);
      destinations = outbox_->dueDestinations(now);
    }
    if (!destinations) {
      log::warn("notify", "cannot read the outbox: ", destinations.error().describe());
      continue;
    }
    for (const std::string& destination : *destinations) {
      try {
        if (destination == "mqtt") {
          deliverMqtt(now);
          continue;
        }
        auto& w = workers_[destination];
        if (!w) {
          auto worker = std::make_unique<Worker>();
          worker->destination = destination;
          worker->thread = std::thread([this, raw = worker.get()] { runWorker(*raw); });
          w = std::move(worker);
          log::debug("notify", "delivery worker for ", destination);
          continue;
        }
      } catch (const std::exception& e) {
        // E.g. no thread could be made: the rows stay due and are tried on the next pass.
        log::error("notify", "delivery to ", destination, " failed: ", e.what());
        continue;
      }
      auto& w = workers_[destination];
      {
        std::lock_guard lock(w->mutex);
        w->poked = true;
      }
      w->cv.notify_all();
    }
  }
}

}  // namespace dots::cloud
