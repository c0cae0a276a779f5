// Spans of agent runs; see span.h.
#include "observability/span.h"

#include <cassert>
#include <utility>

#include "security/card_data.h"

namespace billing::observability {

using nlohmann::json;

namespace {

json NullOr(std::string_view text) {
  return text.empty() ? json(nullptr) : json(text);
}

std::string ScrubString(const std::string& text) {
  std::string out = security::ContainsCardNumber(text) ? security::RedactCardNumbers(text) : text;
  if (out.size() > kMaxSpanStringBytes) {
    size_t cut = kMaxSpanStringBytes;
    // Not inside a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "…";
  }
  return out;
}

json Scrub(const json& value, int depth) {
  if (depth > kMaxSpanJsonDepth) return "…";
  switch (value.type()) {
    case json::value_t::string:
      return ScrubString(value.get_ref<const std::string&>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: {
      const std::string digits = value.dump();
      if (security::ContainsCardNumber(digits)) return security::RedactCardNumbers(digits);
      return value;
    }
    case json::value_t::array: {
      json out = json::array();
      for (const json& item : value) out.push_back(Scrub(item, depth + 1));
      return out;
    }
    case json::value_t::object: {
      json out = json::object();
      for (auto it = value.begin(); it != value.end(); ++it) {
        out[ScrubString(it.key())] = Scrub(it.value(), depth + 1);
      }
      return out;
    }
    default:
      return value;
  }
}

}  // namespace

json SpanToMastraJson(const Span& span) {
  const std::string started = Iso8601FromUnixMs(span.start_unix_ms);
  const json ended =
      span.end_unix_ms == 0 ? json(nullptr) : json(Iso8601FromUnixMs(span.end_unix_ms));
  return {{"traceId", span.trace_id},
          {"spanId", span.span_id},
          {"parentSpanId", NullOr(span.parent_span_id)},
          {"name", span.name},
          {"spanType", span.span_type},
          {"scope", nullptr},
          {"attributes", span.attributes},
          {"metadata", span.metadata},
          {"links", nullptr},
          {"input", span.input},
          {"output", span.output},
          {"error", span.error},
          {"isEvent", false},
          {"startedAt", started},
          {"endedAt", ended},
          {"createdAt", started},
          {"updatedAt", ended}};
}

json ScrubForSpan(const json& value) {
  return Scrub(value, 0);
}

RunTrace::RunTrace(const Clock& clock, RandomSource& random, std::string name,
                   std::string span_type)
    : clock_(clock), random_(random) {
  Span root;
  root.trace_id = random_.HexToken(16);
  root.span_id = random_.HexToken(8);
  root.name = std::move(name);
  root.span_type = std::move(span_type);
  root.start_unix_ms = clock_.NowUnixMs();
  spans_.push_back(std::move(root));
}

size_t RunTrace::StartChild(std::string name, std::string span_type) {
  if (spans_.size() >= kMaxSpansPerTrace) {
    ++dropped_;
    return npos;
  }
  Span span;
  span.trace_id = spans_.front().trace_id;
  span.span_id = random_.HexToken(8);
  span.parent_span_id = spans_.front().span_id;
  span.name = std::move(name);
  span.span_type = std::move(span_type);
  span.start_unix_ms = clock_.NowUnixMs();
  spans_.push_back(std::move(span));
  return spans_.size() - 1;
}

void RunTrace::End(size_t index) {
  if (index == npos) return;
  Span& span = spans_.at(index);
  if (span.end_unix_ms == 0) span.end_unix_ms = std::max(clock_.NowUnixMs(), span.start_unix_ms);
}

std::vector<Span> RunTrace::Finish() {
  assert(!spans_.empty());
  // Children still open (a run that stopped inside a step) end with the run.
  for (size_t i = 1; i < spans_.size(); ++i) End(i);
  End(0);
  if (dropped_ > 0) spans_.front().attributes["mastra.spans_dropped"] = dropped_;
  return std::move(spans_);
}

}  // namespace billing::observability
