#pragma once

#include <atomic>
#include <cstdint>

namespace dots::gateway {

// What the uplink's parts count; written on the gateway's loop thread, read from any.
struct UplinkCounters {
  std::atomic<std::uint64_t> batches_spooled{0};
  std::atomic<std::uint64_t> readings_spooled{0};
  std::atomic<std::uint64_t> batches_sent{0};
  std::atomic<std::uint64_t> batches_resent{0};
  std::atomic<std::uint64_t> batches_backfilled{0};
  std::atomic<std::uint64_t> sealed_bytes{0};  // sealed envelopes spooled
  std::atomic<std::uint64_t> wire_bytes{0};    // envelope bytes published, resends included
  std::atomic<std::uint64_t> batches_acked{0};
  std::atomic<std::uint64_t> readings_acked{0};
  std::atomic<std::uint64_t> batches_dropped{0};
  std::atomic<std::uint64_t> readings_dropped{0};
  std::atomic<std::uint64_t> batches_rejected{0};  // dead-lettered by the ingester
  std::atomic<std::uint64_t> readings_rejected{0};
  std::atomic<std::uint64_t> acks_rejected{0};     // failed authentication or verification
  std::atomic<std::uint64_t> acks_unknown_seq{0};  // authentic, naming a batch never sealed
  std::atomic<std::uint64_t> spool_errors{0};
};

}  // namespace dots::gateway
