#include "cloud/notify/notifier.h"

#include <httplib.h>

#include <algorithm>

#include "cloud/store/outbox.h"
#include "shared/log/log.h"
#include "shared/time/clock.h"

namespace dots::cloud {

Notifier::Notifier(std::unique_ptr<Outbox> outbox, mqtt::Publisher& mqtt, int max_attempts)
    : outbox_(std::move(outbox)), mqtt_(mqtt), max_attempts_(max_attempts) {}

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
}

void Notifier::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  cv_.notify_all();
}

bool Notifier::postWebhook(const std::string& url, const std::string& body, std::string& error) {
  // http://host[:port]/path
  std::string rest = url.substr(7);
  std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  httplib::Client client("http://" + authority);
  client.set_connection_timeout(3, 0);
  client.set_read_timeout(5, 0);
  auto res = client.Post(path, body, "application/json");
  if (!res) {
    error = httplib::to_string(res.error());
    return false;
  }
  if (res->status < 200 || res->status >= 300) {
    error = "HTTP " + std::to_string(res->status);
    return false;
  }
  return true;
}

void Notifier::run() {
  Outbox* store = outbox_.get();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_ || poked_; });
      if (stopping_) return;
      poked_ = false;
    }
    auto due = store->dueDeliveries(wallMillis(), 100);
    if (!due) {
      log::warn("notify", "cannot read the outbox: ", due.error().describe());
      continue;
    }
    for (const Delivery& d : *due) {
      std::string error;
      bool ok = false;
      if (d.target == "mqtt") {
        auto r = mqtt_.publish(d.address, d.payload, 1);
        ok = r.has_value();
        if (!ok) error = r.error().describe();
      } else {
        ok = postWebhook(d.address, d.payload, error);
      }
      if (ok) {
        (d.target == "mqtt" ? counters_.mqtt_delivered : counters_.webhook_delivered).fetch_add(1);
        if (auto r = store->markDelivered(d.id); !r) log::warn("notify", r.error().describe());
        continue;
      }
      int attempts = d.attempts + 1;
      std::int64_t next = -1;
      if (attempts < max_attempts_) {
        next = wallMillis() + std::min<std::int64_t>(60000, 500LL << std::min(attempts - 1, 20));
        counters_.retries.fetch_add(1);
      } else {
        counters_.failed.fetch_add(1);
      }
      log::warn("notify", d.target, " delivery of alert ", d.alert_id, " to ", d.address,
                " failed (attempt ", attempts, "): ", error,
                next < 0 ? "; giving up" : "; will retry");
      if (auto r = store->markAttempt(d.id, attempts, next, error); !r) {
        log::warn("notify", r.error().describe());
      }
    }
  }
}

}  // namespace dots::cloud
