#include <sstream>

#include "core/text.h"
#include "store/channel_sink.h"

namespace dots::cloud {

std::string alertJson(std::int64_t id, std::string_view account, std::string_view channel,
                      const Alert& a) {
  std::ostringstream out;
  out << R"({"id":)" << id << R"(,"account":)" << jsonQuote(account) << R"(,"channel":)"
      << jsonQuote(channel) << R"(,"gateway":)" << jsonQuote(a.gateway) << R"(,"sensor":)"
      << jsonQuote(a.sensor) << R"(,"kind":)" << jsonQuote(a.kind) << R"(,"state":)"
      << jsonQuote(a.state) << R"(,"value":)" << formatDouble(a.value) << R"(,"time_ms":)"
      << a.time_ms << R"(,"historical":)" << (a.historical ? "true" : "false") << R"(,"message":)"
      << jsonQuote(a.message) << "}";
  return out.str();
}

}  // namespace dots::cloud
