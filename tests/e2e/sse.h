// Reading a Mastra vNext stream's body (server-sent events) in end-to-end tests: its `data:`
// chunks, their types, the streamed text.
//
// Thread-safety: pure functions over values.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace billing::e2e {

// The `data:` items of an SSE body; "[DONE]" stays a string, the rest are parsed.
struct SseItems {
  std::vector<nlohmann::json> chunks;
  bool done = false;
  bool done_last = false;
};

inline SseItems ParseSse(const std::string& body) {
  SseItems out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find("\n\n", start);
    if (end == std::string::npos) end = body.size();
    std::string item = body.substr(start, end - start);
    start = end + 2;
    if (item.empty()) continue;
    EXPECT_EQ(item.rfind("data: ", 0), 0u) << item;
    std::string data = item.substr(6);
    if (data == "[DONE]") {
      out.done = true;
      out.done_last = start >= body.size();
      continue;
    }
    nlohmann::json chunk = nlohmann::json::parse(data, nullptr, false);
    EXPECT_FALSE(chunk.is_discarded()) << data;
    out.chunks.push_back(std::move(chunk));
  }
  return out;
}

inline std::vector<std::string> Types(const std::vector<nlohmann::json>& chunks) {
  std::vector<std::string> out;
  for (const nlohmann::json& c : chunks) out.push_back(c.value("type", "?"));
  return out;
}

inline std::string StreamedText(const std::vector<nlohmann::json>& chunks) {
  std::string text;
  for (const nlohmann::json& c : chunks) {
    if (c.value("type", "") == "text-delta") text += c["payload"]["text"].get<std::string>();
  }
  return text;
}

// The first chunk of `type`, or null.
inline const nlohmann::json* FindChunk(const std::vector<nlohmann::json>& chunks,
                                       const std::string& type) {
  for (const nlohmann::json& c : chunks) {
    if (c.value("type", "") == type) return &c;
  }
  return nullptr;
}

}  // namespace billing::e2e
