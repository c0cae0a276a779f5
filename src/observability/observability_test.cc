// Spans, the trace store and the OTLP request (observability/).
#include <gtest/gtest.h>

#include "observability/otlp_exporter.h"
#include "observability/span.h"
#include "observability/trace_store.h"

namespace billing::observability {
namespace {

using nlohmann::json;

constexpr int64_t kStartMs = 1'796'000'000'000;  // 2026-11-30T00:53:20Z

std::vector<Span> ARun(const Clock& clock, RandomSource& random, const std::string& tool) {
  RunTrace trace(clock, random, "invoke_agent billingApiAgent", kSpanTypeAgentRun);
  trace.root().attributes = {{"agentId", "billingApiAgent"}};
  const size_t chat = trace.StartChild("chat billing-planner", kSpanTypeModelGeneration);
  trace.span(chat).attributes = {{"gen_ai.usage.input_tokens", 12}};
  trace.End(chat);
  const size_t call = trace.StartChild("execute_tool " + tool, kSpanTypeToolCall);
  trace.span(call).error = {{"message", "no such customer"}, {"type", "NOT_FOUND"}};
  return trace.Finish();
}

TEST(ScrubForSpanTest, CardNumbersNeverReachASpan) {
  const json in = {{"note", "pay with 4242 4242 4242 4242 please"},
                   {"card", 4242424242424242},
                   {"4111111111111111", "as a key"},
                   {"list", json::array({"5555-5555-5555-4444", 12, true})}};
  const std::string out = ScrubForSpan(in).dump();
  for (const char* digits :
       {"4242 4242 4242 4242", "4242424242424242", "4111111111111111", "5555-5555-5555-4444"}) {
    EXPECT_EQ(out.find(digits), std::string::npos) << digits << " in " << out;
  }
  EXPECT_NE(out.find("ending 4242"), std::string::npos) << out;
  EXPECT_EQ(ScrubForSpan(in)["list"][1], 12);  // other numbers stay numbers
}

TEST(ScrubForSpanTest, LongStringsAndDeepNestingAreCut) {
  const std::string long_text(kMaxSpanStringBytes * 3, 'x');
  EXPECT_LE(ScrubForSpan(long_text).get<std::string>().size(), kMaxSpanStringBytes + 3);
  json deep = "leaf";
  for (int i = 0; i < kMaxSpanJsonDepth + 10; ++i) deep = json::array({deep});
  const json out = ScrubForSpan(deep);
  const json* at = &out;
  int depth = 0;
  while (at->is_array()) {
    at = &(*at)[0];
    ++depth;
  }
  EXPECT_LE(depth, kMaxSpanJsonDepth + 1);
  EXPECT_EQ(*at, "…");
}

TEST(RunTraceTest, ChildrenShareTheTraceAndEndWithTheRun) {
  FixedClock clock(kStartMs);
  SeededRandom random(7);
  const std::vector<Span> spans = ARun(clock, random, "get-customer");
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].trace_id.size(), 32u);
  EXPECT_EQ(spans[0].span_id.size(), 16u);
  EXPECT_TRUE(spans[0].parent_span_id.empty());
  for (size_t i = 1; i < spans.size(); ++i) {
    EXPECT_EQ(spans[i].trace_id, spans[0].trace_id);
    EXPECT_EQ(spans[i].parent_span_id, spans[0].span_id);
    EXPECT_NE(spans[i].span_id, spans[0].span_id);
    EXPECT_GE(spans[i].end_unix_ms, spans[i].start_unix_ms);
    EXPECT_NE(spans[i].end_unix_ms, 0);  // the open tool span was ended by Finish
  }
  EXPECT_TRUE(spans[2].failed());
  const json record = SpanToMastraJson(spans[2]);
  EXPECT_EQ(record["spanType"], "tool_call");
  EXPECT_EQ(record["parentSpanId"], spans[0].span_id);
  EXPECT_EQ(record["error"]["type"], "NOT_FOUND");
  EXPECT_EQ(record["startedAt"], "2026-11-30T00:53:20.000Z");
  EXPECT_EQ(record["isEvent"], false);
  EXPECT_TRUE(SpanToMastraJson(spans[0])["parentSpanId"].is_null());
}

TEST(RunTraceTest, SpansPastTheBoundAreCountedNotKept) {
  FixedClock clock(kStartMs);
  SeededRandom random(7);
  RunTrace trace(clock, random, "invoke_agent billingApiAgent", kSpanTypeAgentRun);
  size_t kept = 1;
  for (size_t i = 0; i < kMaxSpansPerTrace + 5; ++i) {
    if (trace.StartChild("execute_tool t", kSpanTypeToolCall) != RunTrace::npos) ++kept;
  }
  const std::vector<Span> spans = trace.Finish();
  EXPECT_EQ(spans.size(), kMaxSpansPerTrace);
  EXPECT_EQ(kept, kMaxSpansPerTrace);
  EXPECT_EQ(spans[0].attributes["mastra.spans_dropped"], 6);
}

TEST(TraceStoreTest, ListsNewestFirstInPagesAndFilters) {
  FixedClock clock(kStartMs);
  SeededRandom random(9);
  TraceStore store(clock, TraceStoreOptions{100, 3'600'000});
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    clock.Set(kStartMs + i * 1000);
    std::vector<Span> run = ARun(clock, random, "t" + std::to_string(i));
    ids.push_back(run[0].trace_id);
    store.Record(std::move(run));
  }
  TraceQuery query;
  query.per_page = 2;
  TracePage page = store.List(query);
  EXPECT_EQ(page.total, 5u);
  ASSERT_EQ(page.roots.size(), 2u);
  EXPECT_EQ(page.roots[0].trace_id, ids[4]);
  EXPECT_EQ(page.roots[1].trace_id, ids[3]);
  query.page = 2;
  page = store.List(query);
  ASSERT_EQ(page.roots.size(), 1u);
  EXPECT_EQ(page.roots[0].trace_id, ids[0]);

  TraceQuery workflows;
  workflows.entity_type = "workflow";
  EXPECT_EQ(store.List(workflows).total, 0u);
  TraceQuery agent;
  agent.entity_type = "agent";
  agent.entity_id = "billingApiAgent";
  EXPECT_EQ(store.List(agent).total, 5u);
  TraceQuery by_time;
  by_time.start_from_unix_ms = kStartMs + 2000;
  by_time.start_to_unix_ms = kStartMs + 3000;
  EXPECT_EQ(store.List(by_time).total, 2u);
  TraceQuery by_type;
  by_type.span_type = "tool_call";  // roots only
  EXPECT_EQ(store.List(by_type).total, 0u);

  auto spans = store.Get(ids[1]);
  ASSERT_TRUE(spans.has_value());
  EXPECT_EQ(spans->size(), 3u);
  EXPECT_EQ((*spans)[2].name, "execute_tool t1");
  EXPECT_FALSE(store.Get("0123").has_value());
}

TEST(TraceStoreTest, KeepsABoundedNumberForABoundedTime) {
  FixedClock clock(kStartMs);
  SeededRandom random(11);
  TraceStore store(clock, TraceStoreOptions{3, 60'000});
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    std::vector<Span> run = ARun(clock, random, "t");
    ids.push_back(run[0].trace_id);
    store.Record(std::move(run));
  }
  EXPECT_EQ(store.List({}).total, 3u);
  EXPECT_FALSE(store.Get(ids[1]).has_value());
  EXPECT_TRUE(store.Get(ids[2]).has_value());
  clock.Set(kStartMs + 60'001);  // past the retention: listed and found no more
  EXPECT_EQ(store.List({}).total, 0u);
  EXPECT_FALSE(store.Get(ids[4]).has_value());
}

class CollectingSink final : public TraceSink {
 public:
  void Record(std::vector<Span> trace) override { traces.push_back(std::move(trace)); }
  std::vector<std::vector<Span>> traces;
};

TEST(TraceStoreTest, HandsEachTraceToTheExporter) {
  FixedClock clock(kStartMs);
  SeededRandom random(3);
  TraceStore store(clock, {});
  CollectingSink exporter;
  store.set_exporter(&exporter);
  store.Record(ARun(clock, random, "t"));
  ASSERT_EQ(exporter.traces.size(), 1u);
  EXPECT_EQ(exporter.traces[0].size(), 3u);
}

TEST(OtlpTest, TheRequestFollowsTheOtlpJsonEncoding) {
  FixedClock clock(kStartMs);
  SeededRandom random(5);
  std::vector<Span> run = ARun(clock, random, "get-customer");
  run[0].attributes["gen_ai.response.finish_reasons"] = json::array({"stop"});
  run[0].attributes["streaming"] = true;
  const json request = OtlpTraceRequest({run}, "billing-agent", "0.1.0");
  const json& resource = request["resourceSpans"][0]["resource"];
  EXPECT_EQ(resource["attributes"][0]["key"], "service.name");
  EXPECT_EQ(resource["attributes"][0]["value"]["stringValue"], "billing-agent");
  const json& spans = request["resourceSpans"][0]["scopeSpans"][0]["spans"];
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0]["traceId"], run[0].trace_id);
  EXPECT_FALSE(spans[0].contains("parentSpanId"));
  EXPECT_EQ(spans[1]["parentSpanId"], run[0].span_id);
  EXPECT_EQ(spans[1]["kind"], 3);  // CLIENT: the model is another service
  EXPECT_EQ(spans[0]["startTimeUnixNano"], std::to_string(kStartMs) + "000000");
  EXPECT_EQ(spans[2]["status"]["code"], 2);
  EXPECT_EQ(spans[2]["status"]["message"], "no such customer");
  EXPECT_EQ(spans[1]["status"]["code"], 1);
  bool saw_int = false, saw_array = false, saw_bool = false;
  for (const json& span : spans) {
    for (const json& kv : span["attributes"]) {
      if (kv["key"] == "gen_ai.usage.input_tokens") {
        EXPECT_EQ(kv["value"]["intValue"], "12");  // int64 as a string
        saw_int = true;
      }
      if (kv["key"] == "gen_ai.response.finish_reasons") {
        EXPECT_EQ(kv["value"]["arrayValue"]["values"][0]["stringValue"], "stop");
        saw_array = true;
      }
      if (kv["key"] == "streaming") {
        EXPECT_EQ(kv["value"]["boolValue"], true);
        saw_bool = true;
      }
    }
  }
  EXPECT_TRUE(saw_int && saw_array && saw_bool);
}

TEST(OtlpTest, HeadersParseAsTheVariableSpecifies) {
  auto headers = ParseOtlpHeaders("api-key=secret%20value, x-tenant = acme ,,");
  ASSERT_TRUE(headers.ok());
  ASSERT_EQ(headers->size(), 2u);
  EXPECT_EQ((*headers)[0], (std::pair<std::string, std::string>{"api-key", "secret value"}));
  EXPECT_EQ((*headers)[1], (std::pair<std::string, std::string>{"x-tenant", "acme"}));
  auto bad = ParseOtlpHeaders("novalue");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "OTEL_EXPORTER_OTLP_HEADERS");
  EXPECT_FALSE(ParseOtlpHeaders("k=a%0d%0aInjected: 1").ok());
}

}  // namespace
}  // namespace billing::observability
