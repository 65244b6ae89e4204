#include "cloud/registry/retention.h"

#include <charconv>

namespace dots::cloud {

namespace {
constexpr std::int64_t kMaxSeconds = 100LL * 366 * Retention::kDay;

std::int64_t unitSeconds(char unit) {
  switch (unit) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return Retention::kDay;
    default: return 0;
  }
}
}  // namespace

Result<std::int64_t> parseRetention(std::string_view text) {
  auto bad = [&] {
    return fail("bad-retention",
                "a retention is a whole number with a unit s, m, h or d (\"30d\"), "
                "or 0 to keep forever; got \"" +
                    std::string(text) + "\"");
  };
  if (text == "0") return 0;
  if (text.size() < 2) return bad();
  std::int64_t unit = unitSeconds(text.back());
  std::string_view number = text.substr(0, text.size() - 1);
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (unit == 0 || ec != std::errc() || end != number.data() + number.size() || n < 0 ||
      n > kMaxSeconds / unit) {
    return bad();
  }
  return n * unit;
}

std::string formatRetention(std::int64_t seconds) {
  if (seconds <= 0) return "0";
  for (char unit : {'d', 'h', 'm'}) {
    if (seconds % unitSeconds(unit) == 0) {
      return std::to_string(seconds / unitSeconds(unit)) + unit;
    }
  }
  return std::to_string(seconds) + "s";
}

}  // namespace dots::cloud
