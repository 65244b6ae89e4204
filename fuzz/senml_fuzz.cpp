// The gateway's sensor input: any bytes on a sensor topic, through the SenML / JSON parser.
// Accepted payloads must resolve to readings with valid names; rejected ones leave no trace.
#include <cstdlib>

#include "shared/senml/payload_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static dots::senml::PayloadParser parser;
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::vector<dots::Reading> out;
  out.push_back({});  // a reading already there must survive a rejection untouched
  auto r = parser.parse(payload, "fuzz/topic", 1'700'000'000'000, out);
  if (!r) {
    if (out.size() != 1 || r.error().reason.empty()) std::abort();
    return 0;
  }
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].name.empty() || out[i].name.size() > dots::senml::kMaxNameBytes) std::abort();
  }
  return 0;
}
