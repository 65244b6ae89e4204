#pragma once

#include <expected>
#include <string>
#include <utility>

namespace dots {

// An error on the data path. `reason` is a short, stable, kebab-case label used as a counter
// name and in metrics (e.g. "bad-tag", "unknown-gateway"); `detail` is for humans and logs.
struct Error {
  std::string reason;
  std::string detail;

  std::string describe() const { return detail.empty() ? reason : reason + ": " + detail; }
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string reason, std::string detail = {}) {
  return std::unexpected<Error>(Error{std::move(reason), std::move(detail)});
}

}  // namespace dots
