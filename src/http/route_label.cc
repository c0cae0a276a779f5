// Route templates for metrics labels; see route_label.h.
#include "http/route_label.h"

#include <algorithm>
#include <array>

namespace billing::http {

namespace {

// Every literal segment of our routes (Mastra's, REST v1, the console, the operators' routes).
constexpr std::array<std::string_view, 80> kRouteWords = {"api",
                                                          "agents",
                                                          "generate",
                                                          "stream",
                                                          "vnext",
                                                          "generateVNext",
                                                          "streamVNext",
                                                          "generate-legacy",
                                                          "stream-legacy",
                                                          "tools",
                                                          "execute",
                                                          "memory",
                                                          "threads",
                                                          "messages",
                                                          "status",
                                                          "observability",
                                                          "traces",
                                                          "audit",
                                                          "events",
                                                          "billing-runs",
                                                          "v1",
                                                          "me",
                                                          "customers",
                                                          "invoices",
                                                          "credit-notes",
                                                          "payments",
                                                          "refunds",
                                                          "plans",
                                                          "subscriptions",
                                                          "coupons",
                                                          "webhook-endpoints",
                                                          "webhook-deliveries",
                                                          "emails",
                                                          "reports",
                                                          "aging",
                                                          "revenue",
                                                          "mrr",
                                                          "payment-success",
                                                          "ltv",
                                                          "forecast",
                                                          "suspend",
                                                          "reinstate",
                                                          "finalize",
                                                          "cancel",
                                                          "mark-paid",
                                                          "pay",
                                                          "archive",
                                                          "rotate-secret",
                                                          "deliveries",
                                                          "resend",
                                                          "health",
                                                          "ready",
                                                          "metrics",
                                                          "openapi.json",
                                                          "swagger-ui",
                                                          "assets",
                                                          "working-memory",
                                                          "providers",
                                                          "verify",
                                                          "network",
                                                          "instructions",
                                                          "model",
                                                          "evals",
                                                          "voice",
                                                          "speakers",
                                                          "scores",
                                                          "workflows",
                                                          "logs",
                                                          "telemetry",
                                                          "mcp",
                                                          "servers",
                                                          "a2a",
                                                          "vector",
                                                          "legacy",
                                                          "runs",
                                                          "resume",
                                                          "watch",
                                                          "start",
                                                          "search",
                                                          "update"};

bool IsRouteWord(std::string_view segment) {
  return std::find(kRouteWords.begin(), kRouteWords.end(), segment) != kRouteWords.end();
}

}  // namespace

std::string RouteLabel(std::string_view target) {
  target = target.substr(0, target.find('?'));
  if (!target.empty() && target.front() == '/') target.remove_prefix(1);
  if (!target.empty() && target.back() == '/') target.remove_suffix(1);
  if (target.empty()) return "/";
  std::string label;
  size_t count = 0;
  for (;;) {
    if (++count > kMaxRouteLabelSegments) return "/other";
    const size_t slash = target.find('/');
    const std::string_view segment = target.substr(0, slash);
    label += '/';
    label += IsRouteWord(segment) ? segment : std::string_view(":id");
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash + 1);
  }
  return label;
}

}  // namespace billing::http
