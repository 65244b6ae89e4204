#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dots::json {

// Appends `text` as a JSON string: quotes, backslash and the control characters below 0x20 are
// escaped (\" \\ \n \r \t, the others as \u00XX); every other byte passes through unchanged, so
// UTF-8 stays UTF-8 (the writer does not check that it is valid).
void appendQuoted(std::string& out, std::string_view text);
std::string quote(std::string_view text);

// Writes one JSON document into a string, placing the commas and colons itself. Values are
// written in order; inside an object every value is preceded by key(). The caller closes what it
// opens; a document written against these rules (a value without its key, a key outside an
// object, an unbalanced end) is a programming error, caught by assert in debug builds.
// Not thread-safe; cheap to create, one per document.
//
//   json::Writer w;
//   w.beginObject().key("name").string("gw-1").key("ok").boolean(true).endObject();
//   w.str() == R"({"name":"gw-1","ok":true})"
class Writer {
 public:
  enum class Spacing {
    kCompact,  // {"a":1,"b":[1,2]}
    kSpaced,   // {"a": 1, "b": [1, 2]}: a space after every colon and comma, nowhere else
  };

  explicit Writer(Spacing spacing = Spacing::kCompact) : spacing_(spacing) {}

  Writer& beginObject();
  Writer& endObject();
  Writer& beginArray();
  Writer& endArray();
  // The next member's name.
  Writer& key(std::string_view name);

  Writer& string(std::string_view text);
  template <std::integral T>
  requires(!std::same_as<T, bool>) Writer& integer(T value) {
    char buf[48];
    return scalar({buf, std::to_chars(buf, buf + sizeof buf, value).ptr});
  }
  // The shortest text that reads back as the same double (std::to_chars). JSON has no NaN or
  // infinity: a non-finite value is written as null, so the document stays parseable.
  Writer& number(double value);
  Writer& boolean(bool value);
  Writer& null();

  // The document so far; complete once every container opened has been closed.
  const std::string& str() const { return out_; }
  // Moves the document out; the writer is empty afterwards.
  std::string take();

 private:
  struct Level {
    bool object = false;
    bool empty = true;
  };
  // Before any value: the comma after a previous element, and the check that a key came first.
  void beforeValue();
  // A number, boolean or null, already in its JSON form.
  Writer& scalar(std::string_view text);

  Spacing spacing_;
  std::string out_;
  std::vector<Level> levels_;
  bool after_key_ = false;
};

}  // namespace dots::json
