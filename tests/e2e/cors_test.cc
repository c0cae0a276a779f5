// CORS: "*" only in development mode; otherwise only the configured origins are allowed.
#include <gtest/gtest.h>

#include "e2e/server_harness.h"

namespace billing::e2e {
namespace {

using Env = std::map<std::string, std::string>;

TEST(cors_policy, DevelopmentModeAllowsAnyOrigin) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult res = server.Get("/api/tools", {{"Origin", "https://anywhere.example"}});
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.headers["access-control-allow-origin"], "*");
}

TEST(cors_policy, AllowlistEchoesListedOriginsOnly) {
  ServerProcess server(Env{{"BILLING_CORS_ORIGINS", "https://app.example.com, https://admin.example.com"}});
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult allowed = server.Get("/api/tools", {{"Origin", "https://app.example.com"}});
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.headers["access-control-allow-origin"], "https://app.example.com");
  EXPECT_EQ(allowed.headers["vary"], "Origin");
  HttpResult other = server.Get("/api/tools", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.status, 200);  // same-origin callers (curl) are unaffected; browsers block it
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);
  HttpResult preflight = server.Request("OPTIONS", "/api/agents/billingApiAgent/generate", "",
                                        {{"Origin", "https://admin.example.com"},
                                         {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.headers["access-control-allow-origin"], "https://admin.example.com");
  HttpResult evil_preflight = server.Request("OPTIONS", "/api/agents/billingApiAgent/generate", "",
                                             {{"Origin", "https://evil.example"}});
  EXPECT_EQ(evil_preflight.headers.count("access-control-allow-origin"), 0u);
}

TEST(cors_policy, AuthenticatedServerWithoutAllowlistSendsNoWildcard) {
  ServerProcess server(Env{{"BILLING_AUTH", "on"}, {"BILLING_JWT_SECRET", "cors-test-secret-0123456789abcdef012345"}});
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult res = server.Get("/health", {{"Origin", "https://anywhere.example"}});
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.headers.count("access-control-allow-origin"), 0u);
}

TEST(cors_policy, WildcardInTheAllowlistIsRefused) {
  CommandResult r = RunAgentCommand({"--port", "0", "--db", "/tmp/billing-cors-refused.db"},
                                    {{"BILLING_CORS_ORIGINS", "*"}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("BILLING_CORS_ORIGINS"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace billing::e2e
