#include "shared/json/json_fields.h"

#include <simdjson.h>

namespace dots::json {

Result<TopLevelFields> topLevelFields(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) return fail("oversize", std::to_string(text.size()) + " bytes");
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(text.data(), text.size()).get(root); err) {
    return fail("bad-json", simdjson::error_message(err));
  }
  simdjson::dom::object object;
  if (root.get(object)) return fail("not-object", "not a JSON object");
  TopLevelFields out;
  for (auto field : object) {
    std::string key(field.key);
    switch (field.value.type()) {
      case simdjson::dom::element_type::INT64:
        out.numbers[key] = static_cast<double>(int64_t(field.value));
        break;
      case simdjson::dom::element_type::UINT64:
        out.numbers[key] = static_cast<double>(uint64_t(field.value));
        break;
      case simdjson::dom::element_type::DOUBLE: out.numbers[key] = double(field.value); break;
      case simdjson::dom::element_type::BOOL: out.numbers[key] = bool(field.value) ? 1 : 0; break;
      case simdjson::dom::element_type::STRING:
        out.strings[key] = std::string(std::string_view(field.value));
        break;
      default: break;
    }
  }
  return out;
}

}  // namespace dots::json
