#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/batcher/batcher.h"
#include "gateway/config/gateway_config.h"
#include "gateway/inputs/input.h"
#include "gateway/reduce/reducer.h"
#include "gateway/uplink/uplink.h"

namespace dots::gateway {

// The field gateway: sensor inputs -> batcher -> seal + spool -> uplink. One loop thread owns
// the batcher's output, the spool and the delivery window; the inputs' and the uplink's
// threads only hand over readings and acks. Readings taken from the local broker but not yet in the
// spool (at most one linger period's worth) are the only ones a kill -9 or power cut can lose.
class Gateway {
 public:
  // Opens the spool; throws std::runtime_error when it cannot.
  explicit Gateway(GatewayConfig config);
  ~Gateway();

  void start();
  // Stops the inputs, spools what is batched, publishes an "offline" status and disconnects.
  void stop();

  // The JSON published on dots/v1/<gw>/status.
  std::string statusJson(const char* state);

 private:
  void loop();
  void onReadings(std::vector<Reading>&& readings);
  void wake();
  std::uint64_t reducedCount();
  // Summed over the inputs; "local" in the status is connected when every input is.
  InputStats inputTotals() const;
  bool inputsConnected() const;

  GatewayConfig config_;
  std::mutex mutex_;
  std::condition_variable cv_;
  Batcher batcher_;
  Reducer reducer_;               // guarded by mutex_
  std::vector<Reading> reduced_;  // scratch, guarded by mutex_
  bool stopping_ = false;
  std::unique_ptr<Uplink> uplink_;
  std::vector<std::unique_ptr<Input>> inputs_;
  std::thread loop_thread_;
  bool started_ = false;
};

}  // namespace dots::gateway
