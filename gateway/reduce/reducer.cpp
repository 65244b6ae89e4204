#include "gateway/reduce/reducer.h"

#include <algorithm>
#include <cmath>

#include "shared/text/glob.h"

namespace dots::gateway {

Reducer::Reducer(std::vector<ReduceRule> rules) : rules_(std::move(rules)) {}

const ReduceRule* Reducer::ruleFor(const std::string& name) {
  auto it = rule_index_.find(name);
  if (it == rule_index_.end()) {
    int index = -1;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
      if (globMatch(rules_[i].pattern, name)) {
        index = static_cast<int>(i);
        break;
      }
    }
    it = rule_index_.emplace(name, index).first;
  }
  return it->second < 0 ? nullptr : &rules_[static_cast<std::size_t>(it->second)];
}

void Reducer::apply(Reading&& in, std::vector<Reading>& out) {
  const ReduceRule* rule = rules_.empty() ? nullptr : ruleFor(in.name);
  if (!rule || rule->mode == ReduceMode::kRaw) {
    out.push_back(std::move(in));
    return;
  }
  bool numeric = in.kind == ValueKind::kNumber;
  if (rule->mode == ReduceMode::kDeadband) {
    Deadband& state = deadbands_[in.name];
    bool forward = !state.seen;
    if (state.seen) {
      const Reading& last = state.last;
      bool changed = numeric && last.kind == ValueKind::kNumber
                         ? std::fabs(in.value - last.value) >= rule->threshold
                         : in.kind != last.kind || in.value != last.value || in.text != last.text;
      bool heartbeat =
          rule->heartbeat.count() > 0 &&
          in.time_ms - last.time_ms >=
              std::chrono::duration_cast<std::chrono::milliseconds>(rule->heartbeat).count();
      forward = changed || heartbeat || in.unit != last.unit;
    }
    if (!forward) {
      ++suppressed_;
      return;
    }
    state.last = in;
    state.seen = true;
    out.push_back(std::move(in));
    return;
  }
  // Summary.
  if (!numeric) {
    out.push_back(std::move(in));
    return;
  }
  std::int64_t length = std::chrono::duration_cast<std::chrono::milliseconds>(rule->window).count();
  std::int64_t start = in.time_ms - ((in.time_ms % length) + length) % length;
  std::string key = in.name;
  key += '\0';
  key += in.unit;
  auto it = windows_.find(key);
  if (it != windows_.end() && start > it->second.start_ms) {
    emit(it->second, out);  // a reading of a later window closes the earlier one
    windows_.erase(it);
    it = windows_.end();
  }
  if (it == windows_.end()) {
    Window w{in.name, in.unit, start, length, 0, in.value, in.value, 0};
    it = windows_.emplace(std::move(key), std::move(w)).first;
  }
  // A late reading (of an already closed window) counts in the open one.
  Window& w = it->second;
  ++w.count;
  w.min = std::min(w.min, in.value);
  w.max = std::max(w.max, in.value);
  w.sum += in.value;
  ++suppressed_;
}

void Reducer::emit(const Window& w, std::vector<Reading>& out) {
  auto make = [&](const char* suffix, const std::string& unit, double value) {
    Reading r;
    r.name = w.name + suffix;
    r.unit = unit;
    r.time_ms = w.start_ms;
    r.value = value;
    out.push_back(std::move(r));
  };
  make(":count", "", static_cast<double>(w.count));
  make(":min", w.unit, w.min);
  make(":max", w.unit, w.max);
  make(":mean", w.unit, w.sum / static_cast<double>(w.count));
  ++summaries_;
}

void Reducer::flushExpired(std::int64_t now_ms, std::int64_t grace_ms, std::vector<Reading>& out) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (it->second.start_ms + it->second.length_ms + grace_ms <= now_ms) {
      emit(it->second, out);
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
}

void Reducer::flushAll(std::vector<Reading>& out) {
  for (const auto& [key, w] : windows_) emit(w, out);
  windows_.clear();
}

}  // namespace dots::gateway
