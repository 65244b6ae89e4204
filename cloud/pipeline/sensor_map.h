#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dots::cloud {

// The key of per-sensor state in a flat map: a sensor is known by its gateway and its name.
inline std::string sensorKey(std::string_view gateway, std::string_view sensor) {
  std::string key(gateway);
  key += '\0';
  key += sensor;
  return key;
}

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// Per-sensor values on the data path: the gateway's sensors are looked up once per batch, then
// each sensor by name without building a key (no allocation once a sensor is known). Entries
// are nodes: a reference stays valid while others are added.
template <typename V>
class SensorStates {
 public:
  using Sensors = std::unordered_map<std::string, V, TransparentHash, std::equal_to<>>;

  Sensors& of(std::string_view gateway) { return findOrAdd(gateways_, gateway); }
  static V& slot(Sensors& sensors, std::string_view name) { return findOrAdd(sensors, name); }

  template <typename T>
  static T& findOrAdd(std::unordered_map<std::string, T, TransparentHash, std::equal_to<>>& map,
                      std::string_view key) {
    auto it = map.find(key);
    if (it == map.end()) it = map.emplace(std::string(key), T{}).first;
    return it->second;
  }

 private:
  std::unordered_map<std::string, Sensors, TransparentHash, std::equal_to<>> gateways_;
};

// Handler state per sensor that follows the store's transaction: the first change to a sensor's
// value in a transaction saves the value it had; abort() puts every saved value back, commit()
// forgets them. A value-initialised V must mean "nothing known yet" (a sensor first seen in an
// aborted transaction is left as one never seen). Worker thread only.
template <typename V>
class StagedSensorStates {
  struct Entry {
    V value{};
    std::uint64_t staged_in = 0;  // the transaction that saved this entry's value
  };

 public:
  using Sensors = std::unordered_map<std::string, Entry, TransparentHash, std::equal_to<>>;

  Sensors& of(std::string_view gateway) {
    return SensorStates<Entry>::findOrAdd(gateways_, gateway);
  }
  // The sensor's value, to be changed in the open transaction.
  V& slot(Sensors& sensors, std::string_view name) {
    Entry& e = SensorStates<Entry>::findOrAdd(sensors, name);
    if (e.staged_in != transaction_) {
      undo_.emplace_back(&e, e.value);
      e.staged_in = transaction_;
    }
    return e.value;
  }
  void commit() {
    undo_.clear();
    ++transaction_;
  }
  void abort() {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it)
      it->first->value = std::move(it->second);
    undo_.clear();
    ++transaction_;
  }

 private:
  std::unordered_map<std::string, Sensors, TransparentHash, std::equal_to<>> gateways_;
  std::vector<std::pair<Entry*, V>> undo_;
  std::uint64_t transaction_ = 1;
};

}  // namespace dots::cloud
