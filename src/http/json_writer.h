// JsonWriter: appends compact JSON text to a std::string, for hot-path responses that are faster
// to write directly than to build as nlohmann::json trees (no per-node allocation, and values
// that repeat - tool arguments and results - are dumped once and spliced in with Raw()).
//
// The caller is responsible for structure (keys only inside objects, balanced Begin/End); commas
// are inserted automatically. Strings are escaped as JSON requires and invalid UTF-8 is replaced
// by U+FFFD, like nlohmann's error_handler_t::replace, so the output is always valid JSON.
//
// Thread-safety: a JsonWriter is used by one thread; it only touches its own string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace billing::http {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view key);  // then exactly one value
  void String(std::string_view value);
  void Int(int64_t value);
  void Bool(bool value);
  void Null();
  // Already-serialized JSON text (e.g. from Dump()); not checked.
  void Raw(std::string_view json_text);
  // Shorthand for Key + value.
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void FieldRaw(std::string_view key, std::string_view json_text) {
    Key(key);
    Raw(json_text);
  }

 private:
  void Separate() {
    if (need_comma_) out_ += ',';
  }
  void Open(char c) {
    Separate();
    out_ += c;
    need_comma_ = false;
  }
  void Close(char c) {
    out_ += c;
    need_comma_ = true;
  }

  std::string& out_;
  bool need_comma_ = false;
};

// Appends `value` as a quoted JSON string (escaped; invalid UTF-8 → U+FFFD).
void AppendJsonString(std::string_view value, std::string& out);

// Compact JSON text of `value`; invalid UTF-8 in strings becomes U+FFFD (never throws).
std::string Dump(const nlohmann::json& value);

}  // namespace billing::http
