// Server configuration from command-line flags, then environment variables, then defaults
// (flags win). See the configuration table in README.md.
//
// Thread-safety: plain value, read-only after parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "billing/service.h"
#include "integration/email_worker.h"
#include "common/result.h"

namespace billing {

// "a.example, 127.0.0.1" -> {"a.example", "127.0.0.1"}: trimmed, lower case, empty ones dropped
// (BILLING_WEBHOOK_ALLOW_HOSTS).
std::vector<std::string> ParseHostList(std::string_view text);

// `text` as an integer in [lo, hi], or kInvalid naming `name` (the setting) and the rule.
Result<int64_t> ParseInt(const std::string& text, const std::string& name, int64_t lo, int64_t hi);
// "60, 300, 1800" -> waits in seconds (1..86400 each, 1 to kMaxWebhookAttempts - 1 of them).
Result<std::vector<int64_t>> ParseRetrySeconds(const std::string& text, const std::string& name);

// The release (--version, the OpenAPI document's info.version).
inline constexpr const char* kVersion = "0.1.0";

struct AppConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 4111;
  std::string db_path = "./data/billing.db";  // a SQLite file or a postgres:// URL (--db)
  int db_pool = 10;          // BILLING_DB_POOL: PostgreSQL connections per instance
  int db_timeout_ms = 5000;  // BILLING_DB_TIMEOUT_MS: PostgreSQL connect/statement/lock bound
  // BILLING_SWAGGER_UI_DIR: swagger-ui-dist's files for /swagger-ui; "" = look in
  // web/swagger-ui/node_modules/swagger-ui-dist under the working directory and the source tree.
  std::string swagger_ui_dir;
  // BILLING_CONSOLE_DIR: the web console's built files (index.html, assets/) for /; "" = look in
  // web/console/dist under the working directory and the source tree.
  std::string console_dir;
  // Traces of agent runs (docs/observability.md): BILLING_TRACE_RETENTION_HOURS (default 24; 0
  // turns tracing off) and BILLING_TRACE_MAX (default 2000 traces kept in memory).
  int64_t trace_retention_hours = 24;
  int64_t trace_max = 2000;
  // OTLP/HTTP export of the traces: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as it is), else
  // OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces"; "" = no export. OTEL_EXPORTER_OTLP_HEADERS
  // ("k=v,k2=v2") and OTEL_SERVICE_NAME (default "billing-agent").
  std::string otlp_traces_endpoint;
  std::string otlp_headers;
  std::string otel_service_name = "billing-agent";
  int webhook_timeout_ms = 10000;  // BILLING_WEBHOOK_TIMEOUT_MS: per delivery attempt
  int db_cache = 256;        // BILLING_DB_CACHE: PostgreSQL customer views kept (0 = off)
  std::string model = "local";  // "local" or "openai/<model>"
  std::string openai_api_key;
  std::string openai_base_url = "https://api.openai.com/v1";
  int model_timeout_ms = 60000;
  int model_max_retries = 3;
  int threads = 0;  // 0 = hardware concurrency
  // Threads that run ledger writes so that they can wait for a group commit together
  // (agent/tool_runner.h); BILLING_WRITE_THREADS, 0 = run writes on the I/O threads.
  int write_threads = 64;
  std::string log_level = "info";
  std::string today;  // YYYY-MM-DD: pin the clock (tests, demos); empty = system clock
  bool seed = true;   // load the sample data into an empty database
  uint64_t payment_seed = 0;  // non-zero: seeded (reproducible) processor decisions
  BillingOptions billing;
  SmtpSettings smtp;  // BILLING_SMTP_*, BILLING_EMAIL_FROM (app/email_config.h); host "" = off
  // Browser origins allowed by CORS (BILLING_CORS_ORIGINS, comma-separated). Empty: "*" in
  // development mode (no authentication), no CORS headers otherwise.
  std::vector<std::string> cors_origins;
  // Authentication (README "Authentication"): BILLING_AUTH "on" | "off" | "" (= on when any API
  // key exists or a JWT secret is set); BILLING_JWT_SECRET (≥ 32 bytes) enables HS256 JWTs.
  // The secret is never logged.
  std::string auth_mode;
  std::string jwt_secret;
  // Rate limits (README "Rate limits"): token buckets, "BURST/PER_MINUTE" or "off".
  // BILLING_RATE_LIMIT: every /api request, per caller and per client address.
  // BILLING_PAYMENT_RATE_LIMIT: payments, refunds and mark-paid, per caller.
  int64_t rate_burst = 200, rate_per_minute = 1200;
  int64_t payment_rate_burst = 20, payment_rate_per_minute = 60;
  // Billing runs inside the server (app/billing_scheduler.h): BILLING_RUN_INTERVAL, 0 = off.
  int64_t run_interval_ms = 600'000;
};

// "off" -> 0; "30s", "10m", "1h" or a number of seconds -> milliseconds (1 s to 24 h).
Result<int64_t> ParseRunInterval(const std::string& text);

// Parses argv and the environment. On --help/--version prints and sets *exit_code.
Result<AppConfig> LoadConfig(int argc, char** argv, int* exit_code);

}  // namespace billing
