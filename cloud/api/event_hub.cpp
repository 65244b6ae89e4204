#include "cloud/api/event_hub.h"

#include <algorithm>

#include "cloud/store/row_json.h"
#include "shared/json/json_writer.h"

namespace dots::cloud {

struct EventHub::Subscription::State {
  EventFilter filter;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::string> frames;
  std::size_t bytes = 0;
  bool dropped = false;
};

namespace {

// The SSE frame of a batch's readings that pass `sensor` (all when none); "" when none pass.
std::string readingsFrame(const CommittedEvent& e, const std::optional<std::string>& sensor) {
  json::Writer w;
  w.beginArray();
  bool any = false;
  for (const Reading& r : e.readings) {
    if (sensor && r.name != *sensor) continue;
    any = true;
    w.beginObject();
    writeReadingMembers(w, e.gateway, r);
    w.key("historical").boolean(e.historical).endObject();
  }
  if (!any) return "";
  return "event: readings\ndata: " + w.endArray().take() + "\n\n";
}

}  // namespace

EventHub::Subscription::~Subscription() {
  std::lock_guard lock(hub_.mutex_);
  std::erase(hub_.clients_, state_);
  --hub_.counters_.clients;
  hub_.listening_ = hub_.clients_.size();
}

std::optional<std::string> EventHub::Subscription::next(std::chrono::milliseconds wait,
                                                        bool& dropped) {
  std::unique_lock lock(state_->mutex);
  state_->ready.wait_for(lock, wait, [&] { return state_->dropped || !state_->frames.empty(); });
  dropped = state_->dropped;
  if (state_->frames.empty()) return std::nullopt;
  std::string frame = std::move(state_->frames.front());
  state_->frames.pop_front();
  state_->bytes -= frame.size();
  return frame;
}

std::unique_ptr<EventHub::Subscription> EventHub::subscribe(EventFilter filter) {
  std::lock_guard lock(mutex_);
  std::size_t of_account = std::ranges::count_if(
      clients_, [&](const auto& c) { return c->filter.account == filter.account; });
  if (clients_.size() >= max_clients_ || of_account >= max_per_account_) {
    ++counters_.refused_clients;
    return nullptr;
  }
  std::unique_ptr<Subscription> sub(new Subscription(*this));
  sub->state_ = std::make_shared<Subscription::State>();
  sub->state_->filter = std::move(filter);
  clients_.push_back(sub->state_);
  ++counters_.clients;
  listening_ = clients_.size();
  return sub;
}

void EventHub::publish(const std::vector<CommittedEvent>& events) {
  if (events.empty()) return;
  std::lock_guard lock(mutex_);
  if (clients_.empty()) return;
  // Each batch's frame is made once for the clients that want all its sensors.
  std::vector<std::optional<std::string>> unfiltered(events.size());
  for (const auto& client : clients_) {
    const EventFilter& f = client->filter;
    std::vector<std::string> frames;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const CommittedEvent& e = events[i];
      if (!e.alert_json.empty()) {
        bool mine = e.channel_id == 0 ? e.account == f.account : f.channels.contains(e.channel_id);
        if (!mine || (f.gateway && *f.gateway != e.gateway)) continue;
        frames.push_back("event: alert\ndata: " + e.alert_json + "\n\n");
        continue;
      }
      if (!f.channels.contains(e.channel_id) || (f.gateway && *f.gateway != e.gateway)) continue;
      std::string frame;
      if (f.sensor) {
        frame = readingsFrame(e, f.sensor);
      } else {
        if (!unfiltered[i]) unfiltered[i] = readingsFrame(e, std::nullopt);
        frame = *unfiltered[i];
      }
      if (!frame.empty()) frames.push_back(std::move(frame));
    }
    if (frames.empty()) continue;
    std::lock_guard client_lock(client->mutex);
    if (client->dropped) continue;
    for (std::string& frame : frames) {
      if (client->bytes + frame.size() > buffer_bytes_) {
        client->dropped = true;
        client->frames.clear();
        client->bytes = 0;
        ++counters_.dropped_clients;
        break;
      }
      client->bytes += frame.size();
      client->frames.push_back(std::move(frame));
      ++counters_.events;
    }
    client->ready.notify_one();
  }
}

EventHubCounters EventHub::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace dots::cloud
