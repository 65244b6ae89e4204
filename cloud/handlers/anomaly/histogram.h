#pragma once

#include <array>
#include <cstddef>

namespace dots::cloud {

// A histogram of one sensor's values in constant memory, with exponential forgetting and a
// range learned online: it starts around the first value and doubles (merging bin pairs into
// one half, the other half empty) whenever a value falls outside, so no range need be known in
// advance. Forgetting is lazy: each new value weighs a little more than the last, and the
// counts are scaled down now and then to stay in range.
class Histogram {
 public:
  static constexpr std::size_t kBins = 32;

  // How rare `value` is, in [0, 1]: 1 - the density around it (its bin and half of each
  // neighbour) relative to a uniform spread, capped at 0; 1 when it widened the range. Then
  // counts it, forgetting with a 1/e memory of `memory` readings.
  double observe(double value, double memory);
  bool empty() const { return total_ == 0; }

 private:
  void widen(bool up);
  std::size_t binOf(double value) const;

  double lo_ = 0;
  double hi_ = 0;
  double weight_ = 1;
  double total_ = 0;
  std::array<float, kBins> bins_{};
};

}  // namespace dots::cloud
