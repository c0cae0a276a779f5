#include "app/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace billing {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"HOST", "PORT", "BILLING_DB", "BILLING_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                          "BILLING_PAYMENT_MODE", "BILLING_TODAY", "BILLING_MAX_AMOUNT", "BILLING_THREADS",
                          "BILLING_DRAFT_HOURS", "BILLING_RETRY_DAYS", "BILLING_DUNNING", "BILLING_DB_POOL",
                          "BILLING_DB_CACHE"}) {
      ::unsetenv(v);
    }
  }
  Result<AppConfig> Load(std::vector<std::string> args) {
    args.insert(args.begin(), "billing-agent");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    int exit_code = -1;
    return LoadConfig(int(argv.size()), argv.data(), &exit_code);
  }
};

TEST_F(ConfigTest, Defaults) {
  auto c = Load({});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 4111);
  EXPECT_EQ(c->db_path, "./data/billing.db");
  EXPECT_EQ(c->model, "local");
  EXPECT_EQ(c->billing.max_amount_cents, 100000000);
}

TEST_F(ConfigTest, EnvironmentThenFlags) {
  ::setenv("HOST", "0.0.0.0", 1);
  ::setenv("PORT", "5000", 1);
  ::setenv("BILLING_DB", "/tmp/x.db", 1);
  auto env = Load({});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->host, "0.0.0.0");
  EXPECT_EQ(env->port, 5000);
  EXPECT_EQ(env->db_path, "/tmp/x.db");
  auto flags = Load({"--host", "127.0.0.2", "--port", "6000", "--db", "/tmp/y.db"});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->host, "127.0.0.2");
  EXPECT_EQ(flags->port, 6000);
  EXPECT_EQ(flags->db_path, "/tmp/y.db");
}

TEST_F(ConfigTest, OpenAiKeySelectsTheOpenAiModel) {
  ::setenv("OPENAI_API_KEY", "sk-test", 1);
  auto c = Load({});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->model, "openai/gpt-4o-mini");
  ::setenv("BILLING_MODEL", "local", 1);
  EXPECT_EQ(Load({})->model, "local");
}

TEST_F(ConfigTest, BadValuesNameTheSetting) {
  ::setenv("PORT", "http", 1);
  auto port = Load({});
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().message.find("port"), std::string::npos);
  ::unsetenv("PORT");
  auto model = Load({"--model", "openai/gpt-4o"});  // no key
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().message.find("OPENAI_API_KEY"), std::string::npos);
  EXPECT_FALSE(Load({"--model", "claude"}).ok());
  EXPECT_FALSE(Load({"--payment-mode", "sometimes"}).ok());
  EXPECT_FALSE(Load({"--today", "yesterday"}).ok());
  ::setenv("BILLING_MAX_AMOUNT", "-5", 1);
  EXPECT_FALSE(Load({}).ok());
  ::unsetenv("BILLING_MAX_AMOUNT");
}

// Email settings (docs/email.md): off without a host; each bad value refused naming its variable.
TEST_F(ConfigTest, EmailSettingsAreCheckedAtStart) {
  const char* vars[] = {"BILLING_SMTP_HOST", "BILLING_SMTP_PORT", "BILLING_SMTP_TLS",
                        "BILLING_SMTP_USER", "BILLING_SMTP_PASSWORD", "BILLING_EMAIL_FROM",
                        "BILLING_SMTP_TIMEOUT_MS", "BILLING_EMAIL_RETRY_SECONDS"};
  for (const char* v : vars) ::unsetenv(v);
  auto off = Load({});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->billing.email_enabled);
  ::setenv("BILLING_SMTP_HOST", "smtp.example.com", 1);
  ::setenv("BILLING_EMAIL_FROM", "\"Acme Billing\" <billing@acme.example>", 1);
  auto on = Load({});
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_TRUE(on->billing.email_enabled);
  EXPECT_EQ(on->smtp.from_address, "billing@acme.example");
  EXPECT_EQ(on->smtp.from_name, "Acme Billing");
  EXPECT_EQ(on->billing.email_sender, "Acme Billing");
  EXPECT_EQ(on->smtp.port, 587);
  EXPECT_EQ(on->smtp.tls, "starttls");
  const std::pair<const char*, const char*> bad[] = {
      {"BILLING_SMTP_HOST", "smtp://smtp.example.com"},
      {"BILLING_SMTP_TLS", "maybe"},
      {"BILLING_SMTP_PORT", "0"},
      {"BILLING_SMTP_TIMEOUT_MS", "5"},
      {"BILLING_EMAIL_FROM", "not an address"},
      {"BILLING_EMAIL_FROM", "Billing <a@b.example> trailing"},
      {"BILLING_EMAIL_FROM", "a@b@c.example"},
      {"BILLING_EMAIL_RETRY_SECONDS", "60,0"},
  };
  for (const auto& [name, value] : bad) {
    const char* before = std::getenv(name);
    const std::string kept = before ? before : "";
    ::setenv(name, value, 1);
    auto r = Load({});
    ASSERT_FALSE(r.ok()) << name << "=" << value;
    EXPECT_EQ(r.error().field, name) << value << ": " << r.error().message;
    if (before) {
      ::setenv(name, kept.c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  for (const char* v : vars) ::unsetenv(v);
}

// The billing-run settings: environment first, a flag over it, and a bad value refused at start
// naming the setting (the parsers' rules are in collection_rules_test.cc).
TEST_F(ConfigTest, BillingRunSettings) {
  auto defaults = Load({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->billing.draft_hours, 0);
  EXPECT_EQ(defaults->billing.retry_days, kDefaultRetryDays);
  ::setenv("BILLING_DRAFT_HOURS", "2", 1);
  EXPECT_EQ(Load({})->billing.draft_hours, 2);
  EXPECT_EQ(Load({"--draft-hours", "1"})->billing.draft_hours, 1);
  auto bad_hours = Load({"--draft-hours", "721"});
  ASSERT_FALSE(bad_hours.ok());
  EXPECT_EQ(bad_hours.error().field, "BILLING_DRAFT_HOURS");
  ::unsetenv("BILLING_DRAFT_HOURS");
  EXPECT_TRUE(Load({"--retry-days", "off"})->billing.retry_days.empty());
  auto bad_days = Load({"--retry-days", "3,1"});
  ASSERT_FALSE(bad_days.ok());
  EXPECT_EQ(bad_days.error().field, "BILLING_RETRY_DAYS");
  auto bad_dunning = Load({"--dunning", "5:shout"});
  ASSERT_FALSE(bad_dunning.ok());
  EXPECT_EQ(bad_dunning.error().field, "BILLING_DUNNING");
}

TEST_F(ConfigTest, DatabaseSettings) {
  auto defaults = Load({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->db_pool, 10);
  EXPECT_EQ(defaults->db_cache, 256);
  ::setenv("BILLING_DB_CACHE", "0", 1);
  EXPECT_EQ(Load({})->db_cache, 0);
  ::setenv("BILLING_DB_CACHE", "4097", 1);
  auto too_many = Load({});
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().field, "BILLING_DB_CACHE");
  ::setenv("BILLING_DB_CACHE", "lots", 1);
  EXPECT_FALSE(Load({}).ok());
  ::unsetenv("BILLING_DB_CACHE");
  ::setenv("BILLING_DB_POOL", "0", 1);
  auto no_pool = Load({});
  ASSERT_FALSE(no_pool.ok());
  EXPECT_EQ(no_pool.error().field, "BILLING_DB_POOL");
  ::unsetenv("BILLING_DB_POOL");
}

TEST(RunIntervalTest, DurationsAndOff) {
  EXPECT_EQ(*ParseRunInterval("off"), 0);
  EXPECT_EQ(*ParseRunInterval("30s"), 30'000);
  EXPECT_EQ(*ParseRunInterval("10m"), 600'000);
  EXPECT_EQ(*ParseRunInterval("1h"), 3'600'000);
  EXPECT_EQ(*ParseRunInterval("45"), 45'000);
  EXPECT_EQ(*ParseRunInterval("24h"), 86'400'000);
  for (const char* bad : {"", "0s", "25h", "10x", "m", "-5m", "1.5h", "never"}) {
    auto r = ParseRunInterval(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "BILLING_RUN_INTERVAL");
  }
}

}  // namespace
}  // namespace billing
