#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/spool/spool.h"
#include "gateway/uplink/uplink_counters.h"
#include "shared/codec/ack_codec.h"
#include "shared/mqtt/publisher.h"

namespace dots::gateway {

struct DeliveryOptions {
  // A batch unacknowledged this long after it was sent is sent again.
  std::chrono::milliseconds ack_timeout{5000};
  // Live batches sent and not yet acknowledged, at most; the backlog may add half as many.
  std::size_t max_inflight = 64;
  // Pace of the backlog (first sends and resends alike), in readings per second.
  std::uint64_t backfill_readings_per_s = 20000;
};

// Delivers the spool's batches on `topic` until each is acknowledged. At most max_inflight live
// batches are unacknowledged at a time; a batch unacknowledged after ack_timeout is sent again.
// After every (re)connect (restart()), what the spool holds is the backlog: it is sent oldest
// first, paced at backfill_readings_per_s and using at most half the window, while batches
// spooled since go first. Time is passed in; loop thread only.
class Delivery {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Delivery(DeliveryOptions options, std::string topic, Spool& spool, mqtt::Publisher& publisher,
           UplinkCounters& counters);

  // A new connection: whatever was in flight may be lost and is sent again; the spool's
  // content is now the backlog.
  void restart(TimePoint now);
  // Deletes the batches an authentic ack names from the spool and the window: the stored ones
  // (counted as acked) and the dead-lettered ones (counted as rejected).
  void applyAck(const codec::AckContent& ack);
  // Resends what is overdue, then sends live batches, then backlog, as far as the window and
  // the pace allow; nothing while the publisher is disconnected.
  void service(TimePoint now);

  std::size_t inflight() const { return inflight_.size(); }
  // Backlog batches sent and not yet acknowledged.
  std::size_t backlogBatches() const;
  bool backfilling() const { return backlog_cursor_ < backlog_end_ || backlogBatches() > 0; }

 private:
  struct InFlight {
    TimePoint sent_at;
    bool backlog = false;
  };
  bool send(const SpoolEntry& entry);
  void remove(const std::vector<codec::SeqRange>& ranges, std::atomic<std::uint64_t>& batches,
              std::atomic<std::uint64_t>& readings);
  bool resendOverdue(TimePoint now);
  bool sendLive(TimePoint now);
  void sendBacklog(TimePoint now);

  DeliveryOptions options_;
  std::string topic_;
  Spool& spool_;
  mqtt::Publisher& publisher_;
  UplinkCounters& counters_;
  std::map<std::int64_t, InFlight> inflight_;  // spool id -> when last sent
  // Spool ids up to backlog_end_ were there at the last (re)connect: the backlog, sent at the
  // backfill pace after live batches (ids above it).
  std::int64_t backlog_end_ = 0;
  std::int64_t backlog_cursor_ = 0;  // highest backlog id sent on this connection
  std::int64_t live_cursor_ = 0;     // highest live id sent on this connection
  double backfill_tokens_ = 0;       // readings that may be backfilled now
  TimePoint last_refill_{};
};

}  // namespace dots::gateway
