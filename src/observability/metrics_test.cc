// The Prometheus registry and writer (observability/metrics.h).
#include <gtest/gtest.h>

#include "observability/metrics.h"

namespace billing::observability {
namespace {

bool HasLine(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(MetricsTest, CountersAndHistogramsRenderInTheTextFormat) {
  Metrics metrics;
  metrics.ObserveHttpRequest("/api/v1/invoices/:id", "GET", 200, 3'000);       // 3 ms
  metrics.ObserveHttpRequest("/api/v1/invoices/:id", "GET", 200, 40'000);      // 40 ms
  metrics.ObserveHttpRequest("/api/v1/invoices/:id", "GET", 404, 20'000'000);  // 20 s
  metrics.ObserveModelCall("gpt-4o-mini", "ok", 1'500'000);
  metrics.CountToolCall("get-customer", "not_found");
  const std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, "# TYPE billing_http_requests_total counter")) << text;
  EXPECT_TRUE(HasLine(
      text,
      R"(billing_http_requests_total{route="/api/v1/invoices/:id",method="GET",status="200"} 2)"))
      << text;
  EXPECT_TRUE(HasLine(
      text,
      R"(billing_http_requests_total{route="/api/v1/invoices/:id",method="GET",status="404"} 1)"));
  // Buckets are cumulative; the 20 s request is only in +Inf.
  EXPECT_TRUE(HasLine(
      text,
      R"(billing_http_request_duration_seconds_bucket{route="/api/v1/invoices/:id",method="GET",le="0.001"} 0)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(billing_http_request_duration_seconds_bucket{route="/api/v1/invoices/:id",method="GET",le="0.005"} 1)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(billing_http_request_duration_seconds_bucket{route="/api/v1/invoices/:id",method="GET",le="0.05"} 2)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(billing_http_request_duration_seconds_bucket{route="/api/v1/invoices/:id",method="GET",le="10"} 2)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(billing_http_request_duration_seconds_bucket{route="/api/v1/invoices/:id",method="GET",le="+Inf"} 3)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(billing_http_request_duration_seconds_sum{route="/api/v1/invoices/:id",method="GET"} 20.043000)"));
  EXPECT_TRUE(HasLine(
      text,
      R"(billing_http_request_duration_seconds_count{route="/api/v1/invoices/:id",method="GET"} 3)"));
  EXPECT_TRUE(HasLine(text, R"(billing_model_calls_total{model="gpt-4o-mini",outcome="ok"} 1)"));
  EXPECT_TRUE(
      HasLine(text, R"(billing_tool_calls_total{tool="get-customer",outcome="not_found"} 1)"));
}

TEST(MetricsTest, LabelValuesAreEscapedAndSeriesAreBounded) {
  Metrics metrics;
  metrics.CountToolCall("a\"b\\c\nd", "ok");
  for (size_t i = 0; i < kMaxSeriesPerFamily + 20; ++i) {
    metrics.CountToolCall("tool-" + std::to_string(i), "ok");
  }
  const std::string text = metrics.Render();
  EXPECT_TRUE(HasLine(text, R"(billing_tool_calls_total{tool="a\"b\\c\nd",outcome="ok"} 1)"))
      << text;
  // Past the cap, new label sets share one series.
  EXPECT_TRUE(HasLine(text, R"(billing_tool_calls_total{tool="other",outcome="other"} 21)"));
  size_t lines = 0;
  for (size_t at = text.find("billing_tool_calls_total{"); at != std::string::npos;
       at = text.find("billing_tool_calls_total{", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, kMaxSeriesPerFamily + 1);
}

TEST(MetricsTest, CollectorsAddWhatAScrapeReads) {
  Metrics metrics;
  int scrapes = 0;
  metrics.AddCollector([&scrapes](PrometheusWriter& out) {
    ++scrapes;
    out.Family("billing_emails_pending", "Emails waiting.", "gauge");
    out.Sample("billing_emails_pending", {}, int64_t{7});
    out.Family("billing_group_commit_writes", "Writes per group.", "histogram");
    out.Histogram("billing_group_commit_writes", {}, {1, 2, 4}, {5, 2, 1, 0}, "13");
  });
  const std::string text = metrics.Render();
  EXPECT_EQ(scrapes, 1);
  EXPECT_TRUE(HasLine(text, "# TYPE billing_emails_pending gauge"));
  EXPECT_TRUE(HasLine(text, "billing_emails_pending 7"));
  EXPECT_TRUE(HasLine(text, R"(billing_group_commit_writes_bucket{le="2"} 7)"));
  EXPECT_TRUE(HasLine(text, R"(billing_group_commit_writes_bucket{le="+Inf"} 8)"));
  EXPECT_TRUE(HasLine(text, "billing_group_commit_writes_sum 13"));
  EXPECT_TRUE(HasLine(text, "billing_group_commit_writes_count 8"));
}

}  // namespace
}  // namespace billing::observability
