#include "shared/senml/payload_parser.h"

#include <simdjson.h>

#include <cmath>
#include <string>

namespace dots::senml {

struct PayloadParser::Impl {
  simdjson::dom::parser parser;
};

PayloadParser::PayloadParser() : impl_(std::make_unique<Impl>()) {}
PayloadParser::~PayloadParser() = default;

bool isValidSenmlName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != ':' && c != '.' && c != '/' && c != '_') return false;
  }
  return true;
}

namespace {

// Base fields carried from record to record through a pack (RFC 8428 §4.6).
struct Base {
  std::string name;
  double time = 0;
  std::string unit;
  double value = 0;
  double sum = 0;
  std::int64_t version = kSenmlVersion;
};

std::int64_t resolveTime(double seconds, std::int64_t now_ms) {
  if (seconds < kRelativeTimeLimit) return now_ms + std::llround(seconds * 1000.0);
  return std::llround(seconds * 1000.0);
}

Result<double> numberField(simdjson::dom::element value, std::string_view key) {
  double d = 0;
  if (value.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d)) {
    return fail("senml-bad-field", "\"" + std::string(key) + "\" must be a finite number");
  }
  return d;
}

Result<std::string_view> stringField(simdjson::dom::element value, std::string_view key) {
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS) {
    return fail("senml-bad-field", "\"" + std::string(key) + "\" must be a string");
  }
  return s;
}

// Resolves one record against (and updating) `base`; appends at most one reading.
Result<void> resolveRecord(simdjson::dom::object record, Base& base, std::string_view topic_name,
                           std::int64_t now_ms, std::vector<Reading>& out) {
  std::string_view name;
  bool has_name = false;
  double time = 0;
  std::string_view unit;
  bool has_unit = false;
  Reading reading;
  bool has_value = false;
  bool has_sum = false;
  double sum = 0;

  for (auto field : record) {
    std::string_view key = field.key;
    if (key == "bn") {
      auto s = stringField(field.value, key);
      if (!s) return std::unexpected(s.error());
      base.name = *s;
    } else if (key == "bt") {
      auto d = numberField(field.value, key);
      if (!d) return std::unexpected(d.error());
      base.time = *d;
    } else if (key == "bu") {
      auto s = stringField(field.value, key);
      if (!s) return std::unexpected(s.error());
      base.unit = *s;
    } else if (key == "bv") {
      auto d = numberField(field.value, key);
      if (!d) return std::unexpected(d.error());
      base.value = *d;
    } else if (key == "bs") {
      auto d = numberField(field.value, key);
      if (!d) return std::unexpected(d.error());
      base.sum = *d;
    } else if (key == "bver") {
      std::int64_t v = 0;
      if (field.value.get_int64().get(v) != simdjson::SUCCESS) {
        return fail("senml-bad-field", "\"bver\" must be an integer");
      }
      if (v > kSenmlVersion) {
        return fail("senml-version", "SenML version " + std::to_string(v) + " is not supported");
      }
      base.version = v;
    } else if (key == "n") {
      auto s = stringField(field.value, key);
      if (!s) return std::unexpected(s.error());
      name = *s;
      has_name = true;
    } else if (key == "t") {
      auto d = numberField(field.value, key);
      if (!d) return std::unexpected(d.error());
      time = *d;
    } else if (key == "u") {
      auto s = stringField(field.value, key);
      if (!s) return std::unexpected(s.error());
      unit = *s;
      has_unit = true;
    } else if (key == "v") {
      auto d = numberField(field.value, key);
      if (!d) return std::unexpected(d.error());
      reading.kind = ValueKind::kNumber;
      reading.value = *d;
      has_value = true;
    } else if (key == "vs" || key == "vd") {
      auto s = stringField(field.value, key);
      if (!s) return std::unexpected(s.error());
      reading.kind = key == "vs" ? ValueKind::kText : ValueKind::kData;
      reading.text = *s;
      has_value = true;
    } else if (key == "vb") {
      bool b = false;
      if (field.value.get_bool().get(b) != simdjson::SUCCESS) {
        return fail("senml-bad-field", "\"vb\" must be true or false");
      }
      reading.kind = ValueKind::kBoolean;
      reading.value = b ? 1 : 0;
      has_value = true;
    } else if (key == "s") {
      auto d = numberField(field.value, key);
      if (!d) return std::unexpected(d.error());
      sum = *d;
      has_sum = true;
    } else if (!key.empty() && key.back() == '_') {
      return fail("senml-must-understand",
                  "unknown must-understand field \"" + std::string(key) + "\"");
    }
    // Other fields (e.g. "l", "ut") are extensions we may ignore (RFC 8428 §4.4).
  }

  // A record with neither value nor sum only sets base fields (RFC 8428 §4.6).
  if (!has_value && !has_sum) return {};

  std::string full = base.name;
  full += name;
  if (full.empty() && !has_name) full = topic_name;
  if (full.empty()) return fail("senml-no-name", "record has no name and the topic gives none");
  bool from_topic = base.name.empty() && !has_name;
  if (!from_topic && !isValidSenmlName(full)) {
    return fail("senml-bad-name", "invalid SenML name \"" + full.substr(0, 64) + "\"");
  }
  if (full.size() > kMaxNameBytes) return fail("senml-bad-name", "name longer than 256 bytes");

  double seconds = base.time + time;
  if (!std::isfinite(seconds) || std::fabs(seconds) * 1000 > static_cast<double>(kMaxAbsTimeMs)) {
    return fail("senml-bad-time", "time out of range");
  }
  reading.name = std::move(full);
  reading.unit = has_unit ? std::string(unit) : base.unit;
  if (reading.unit.size() > kMaxNameBytes) {
    return fail("senml-bad-unit", "unit longer than 256 bytes");
  }
  reading.time_ms = resolveTime(seconds, now_ms);
  if (has_value && reading.kind == ValueKind::kNumber) reading.value += base.value;
  if (has_sum) reading.sum = base.sum + sum;
  if (!has_value) {  // a sum-only record: its value is the sum
    reading.kind = ValueKind::kNumber;
    reading.value = *reading.sum;
  }
  out.push_back(std::move(reading));
  return {};
}

}  // namespace

Result<void> PayloadParser::parse(std::string_view payload, std::string_view topic_name,
                                  std::int64_t now_ms, std::vector<Reading>& out) {
  if (payload.size() > kMaxPayloadBytes) {
    return fail("oversize", std::to_string(payload.size()) + "-byte sensor message");
  }
  simdjson::dom::element root;
  if (auto err = impl_->parser.parse(payload.data(), payload.size()).get(root); err) {
    return fail("bad-json", simdjson::error_message(err));
  }
  std::size_t mark = out.size();
  auto rollback = [&out, mark](Error e) {
    out.resize(mark);
    return std::unexpected(std::move(e));
  };

  switch (root.type()) {
    case simdjson::dom::element_type::ARRAY: {
      Base base;
      simdjson::dom::array records = root.get_array().value_unsafe();
      for (simdjson::dom::element item : records) {
        simdjson::dom::object record;
        if (item.get_object().get(record) != simdjson::SUCCESS) {
          return rollback({"senml-bad-field", "SenML pack entries must be objects"});
        }
        auto r = resolveRecord(record, base, topic_name, now_ms, out);
        if (!r) return rollback(r.error());
      }
      return {};
    }
    case simdjson::dom::element_type::OBJECT: {
      Base base;
      simdjson::dom::object record = root.get_object().value_unsafe();
      auto r = resolveRecord(record, base, topic_name, now_ms, out);
      if (!r) return rollback(r.error());
      if (out.size() == mark) return fail("senml-bad-field", "object carries no value");
      return {};
    }
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: {
      if (topic_name.empty()) return fail("senml-no-name", "bare number on a topic with no name");
      Reading reading;
      reading.name = std::string(topic_name.substr(0, kMaxNameBytes));
      reading.time_ms = now_ms;
      reading.value = root.get_double().value_unsafe();
      out.push_back(std::move(reading));
      return {};
    }
    default:
      return fail("unsupported-payload", "expected a SenML array, a JSON object or a number");
  }
}

}  // namespace dots::senml
