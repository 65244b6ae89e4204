#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace dots::codec {

// FlatBuffers reads scalars in place, so a buffer must start at an address aligned for the
// largest scalar in the schemas (8 bytes). Buffers from the network normally are; one that is
// not (a view into a larger frame) is copied once to aligned storage here.
class AlignedBytes {
 public:
  explicit AlignedBytes(std::span<const std::uint8_t> bytes) : original_(bytes), view_(bytes) {
    if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(std::uint64_t) == 0) return;
    copy_.resize((bytes.size() + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t));
    if (!bytes.empty()) std::memcpy(copy_.data(), bytes.data(), bytes.size());
    view_ = {reinterpret_cast<const std::uint8_t*>(copy_.data()), bytes.size()};
  }
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;

  std::span<const std::uint8_t> span() const { return view_; }
  // The same bytes as `inside` (a part of span()), in the buffer given to the constructor.
  std::span<const std::uint8_t> original(std::span<const std::uint8_t> inside) const {
    return original_.subspan(static_cast<std::size_t>(inside.data() - view_.data()), inside.size());
  }

 private:
  std::span<const std::uint8_t> original_;
  std::span<const std::uint8_t> view_;
  std::vector<std::uint64_t> copy_;
};

}  // namespace dots::codec
