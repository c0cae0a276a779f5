// Route templates for metrics labels (http/route_label.h).
#include <gtest/gtest.h>

#include "http/route_label.h"

namespace billing::http {
namespace {

TEST(RouteLabelTest, IdsBecomePlaceholdersAndRouteWordsStay) {
  EXPECT_EQ(RouteLabel("/"), "/");
  EXPECT_EQ(RouteLabel("/health"), "/health");
  EXPECT_EQ(RouteLabel("/api/v1/invoices/INV-2026-001/pay?x=1"), "/api/v1/invoices/:id/pay");
  EXPECT_EQ(RouteLabel("/api/agents/billingApiAgent/stream"), "/api/agents/:id/stream");
  EXPECT_EQ(RouteLabel("/api/memory/threads/t-1/messages"), "/api/memory/threads/:id/messages");
  EXPECT_EQ(RouteLabel("/assets/app.js"), "/assets/:id");
  EXPECT_EQ(RouteLabel("/api/v1/reports/aging/"), "/api/v1/reports/aging");
  EXPECT_EQ(RouteLabel("/wp-admin/setup.php"), "/:id/:id");
  EXPECT_EQ(RouteLabel("/a/b/c/d/e/f/g/h/i"), "/other");
}

}  // namespace
}  // namespace billing::http
