#include "shared/json/json_writer.h"

#include <cassert>
#include <cmath>

namespace dots::json {

void appendQuoted(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0xf]);
        } else {
          out.push_back(c);
        }
      }
    }
  }
  out.push_back('"');
}

std::string quote(std::string_view text) {
  std::string out;
  appendQuoted(out, text);
  return out;
}

void Writer::beforeValue() {
  if (levels_.empty()) {
    assert(out_.empty() && "a JSON document holds one value");
    return;
  }
  Level& level = levels_.back();
  if (level.object) {
    assert(after_key_ && "a value in an object needs its key first");
    after_key_ = false;
    return;
  }
  if (!level.empty) out_ += spacing_ == Spacing::kSpaced ? ", " : ",";
  level.empty = false;
}

Writer& Writer::beginObject() {
  beforeValue();
  out_.push_back('{');
  levels_.push_back({true, true});
  return *this;
}

Writer& Writer::endObject() {
  assert(!levels_.empty() && levels_.back().object && !after_key_);
  levels_.pop_back();
  out_.push_back('}');
  return *this;
}

Writer& Writer::beginArray() {
  beforeValue();
  out_.push_back('[');
  levels_.push_back({false, true});
  return *this;
}

Writer& Writer::endArray() {
  assert(!levels_.empty() && !levels_.back().object);
  levels_.pop_back();
  out_.push_back(']');
  return *this;
}

Writer& Writer::key(std::string_view name) {
  assert(!levels_.empty() && levels_.back().object && !after_key_);
  Level& level = levels_.back();
  if (!level.empty) out_ += spacing_ == Spacing::kSpaced ? ", " : ",";
  level.empty = false;
  appendQuoted(out_, name);
  out_ += spacing_ == Spacing::kSpaced ? ": " : ":";
  after_key_ = true;
  return *this;
}

Writer& Writer::string(std::string_view text) {
  beforeValue();
  appendQuoted(out_, text);
  return *this;
}

Writer& Writer::scalar(std::string_view text) {
  beforeValue();
  out_ += text;
  return *this;
}

Writer& Writer::number(double value) {
  if (!std::isfinite(value)) return null();
  char buf[32];
  return scalar({buf, std::to_chars(buf, buf + sizeof buf, value).ptr});
}

Writer& Writer::boolean(bool value) {
  return scalar(value ? "true" : "false");
}

Writer& Writer::null() {
  return scalar("null");
}

std::string Writer::take() {
  std::string out = std::move(out_);
  out_.clear();
  levels_.clear();
  after_key_ = false;
  return out;
}

}  // namespace dots::json
