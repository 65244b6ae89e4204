#include "cloud/handlers/anomaly/histogram.h"

#include <algorithm>
#include <cmath>

namespace dots::cloud {

void Histogram::widen(bool up) {
  double width = hi_ - lo_;
  std::array<float, kBins> merged{};
  std::size_t base = up ? 0 : kBins / 2;
  for (std::size_t i = 0; i < kBins / 2; ++i) merged[base + i] = bins_[2 * i] + bins_[2 * i + 1];
  bins_ = merged;
  if (up) {
    hi_ = lo_ + 2 * width;
  } else {
    lo_ = hi_ - 2 * width;
  }
}

std::size_t Histogram::binOf(double value) const {
  double f = (value - lo_) / (hi_ - lo_) * static_cast<double>(kBins);
  return std::min(kBins - 1, static_cast<std::size_t>(std::max(0.0, f)));
}

double Histogram::observe(double value, double memory) {
  if (total_ == 0 && hi_ == lo_) {
    double half = std::max(std::fabs(value) * 1e-3, 1e-9);
    lo_ = value - half;
    hi_ = value + half;
  }
  bool outside = false;
  // 64 doublings cover any finite double from any start; the bound keeps a NaN from looping.
  for (int i = 0; i < 64 && value >= hi_; ++i, outside = true) widen(true);
  for (int i = 0; i < 64 && value < lo_; ++i, outside = true) widen(false);
  std::size_t b = binOf(value);
  double around =
      bins_[b] + 0.5 * ((b > 0 ? bins_[b - 1] : 0) + (b + 1 < kBins ? bins_[b + 1] : 0));
  double density = total_ > 0 ? around / (2 * total_) * static_cast<double>(kBins) : 0;
  double rarity = outside ? 1.0 : 1.0 - std::min(1.0, density);
  bins_[b] += static_cast<float>(weight_);
  total_ += weight_;
  weight_ /= 1.0 - 1.0 / memory;
  if (weight_ > 1e30) {
    float factor = static_cast<float>(1.0 / weight_);
    for (float& c : bins_) c *= factor;
    total_ /= weight_;
    weight_ = 1;
  }
  return rarity;
}

}  // namespace dots::cloud
