#pragma once

#include <string>
#include <string_view>

namespace dots {

// The shortest text that reads back as exactly `value` (std::to_chars).
std::string formatDouble(double value);
// `text` as a JSON string literal, quotes included (json::quote, which says what is escaped).
std::string jsonQuote(std::string_view text);
// `text` as one CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
std::string csvField(std::string_view text);

}  // namespace dots
