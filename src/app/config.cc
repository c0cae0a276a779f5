#include "app/config.h"

#include <CLI/CLI.hpp>

#include <cstdlib>

#include "app/email_config.h"
#include "auth/jwt.h"
#include "money/money.h"

namespace billing {

std::vector<std::string> ParseHostList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string host(text.substr(0, comma));
    while (!host.empty() && host.front() == ' ') host.erase(host.begin());
    while (!host.empty() && host.back() == ' ') host.pop_back();
    for (char& c : host) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (!host.empty()) out.push_back(std::move(host));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

Result<int64_t> ParseInt(const std::string& text, const std::string& name, int64_t lo, int64_t hi) {
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used != text.size() || v < lo || v > hi) throw std::out_of_range(name);
    return int64_t(v);
  } catch (const std::exception&) {
    return Error::Invalid(name, name + " must be an integer between " + std::to_string(lo) +
                                    " and " + std::to_string(hi) + ", got '" + text + "'");
  }
}

Result<std::vector<int64_t>> ParseRetrySeconds(const std::string& text, const std::string& name) {
  std::vector<int64_t> waits;
  for (const std::string& part : ParseHostList(text)) {
    BILLING_ASSIGN_OR_RETURN(int64_t s, ParseInt(part, name, 1, 86400));
    waits.push_back(s);
  }
  if (waits.empty() || waits.size() > size_t(kMaxWebhookAttempts - 1)) {
    return Error::Invalid(name, name + " must list 1 to 15 waits in seconds");
  }
  return waits;
}

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// "BURST/PER_MINUTE" (both 1..1,000,000) or "off" (burst 0: no limit).
Status ParseRateLimit(const std::string& text, const char* name, int64_t* burst, int64_t* per_minute) {
  if (text == "off") {
    *burst = 0;
    *per_minute = 0;
    return OkStatus();
  }
  const size_t slash = text.find('/');
  const std::string rule = std::string(name) + " must be BURST/PER_MINUTE (e.g. 200/1200) or off, got '" +
                           text.substr(0, 32) + "'";
  if (slash == std::string::npos) return Error::Invalid(name, rule);
  auto b = ParseInt(text.substr(0, slash), name, 1, 1'000'000);
  auto r = ParseInt(text.substr(slash + 1), name, 1, 1'000'000);
  if (!b.ok() || !r.ok()) return Error::Invalid(name, rule);
  *burst = b.value();
  *per_minute = r.value();
  return OkStatus();
}

}  // namespace

Result<int64_t> ParseRunInterval(const std::string& text) {
  if (text == "off") return int64_t{0};
  const std::string rule =
      "BILLING_RUN_INTERVAL must be off or a duration from 1s to 24h (30s, 10m, 1h), got '" +
      text.substr(0, 32) + "'";
  if (text.empty()) return Error::Invalid("BILLING_RUN_INTERVAL", rule);
  int64_t unit_ms = 1000;
  std::string digits = text;
  switch (text.back()) {
    case 's':
      unit_ms = 1000;
      digits.pop_back();
      break;
    case 'm':
      unit_ms = 60'000;
      digits.pop_back();
      break;
    case 'h':
      unit_ms = 3'600'000;
      digits.pop_back();
      break;
    default:
      break;
  }
  auto n = ParseInt(digits, "BILLING_RUN_INTERVAL", 1, 86'400);
  if (!n.ok() || *n * unit_ms > 86'400'000) return Error::Invalid("BILLING_RUN_INTERVAL", rule);
  return *n * unit_ms;
}

Result<AppConfig> LoadConfig(int argc, char** argv, int* exit_code) {
  AppConfig c;
  *exit_code = -1;
  // Environment first; flags override below.
  if (auto v = Env("HOST"); !v.empty()) c.host = v;
  std::string port_text = Env("PORT");
  if (auto v = Env("BILLING_DB"); !v.empty()) c.db_path = v;
  c.openai_api_key = Env("OPENAI_API_KEY");
  if (auto v = Env("OPENAI_BASE_URL"); !v.empty()) c.openai_base_url = v;
  c.model = c.openai_api_key.empty() ? "local" : "openai/gpt-4o-mini";
  if (auto v = Env("BILLING_MODEL"); !v.empty()) c.model = v;
  if (auto v = Env("LOG_LEVEL"); !v.empty()) c.log_level = v;
  if (auto v = Env("BILLING_TODAY"); !v.empty()) c.today = v;
  c.swagger_ui_dir = Env("BILLING_SWAGGER_UI_DIR");
  c.console_dir = Env("BILLING_CONSOLE_DIR");
  if (auto v = Env("BILLING_TRACE_RETENTION_HOURS"); !v.empty()) {
    BILLING_ASSIGN_OR_RETURN(c.trace_retention_hours,
                             ParseInt(v, "BILLING_TRACE_RETENTION_HOURS", 0, 24 * 30));
  }
  if (auto v = Env("BILLING_TRACE_MAX"); !v.empty()) {
    BILLING_ASSIGN_OR_RETURN(c.trace_max, ParseInt(v, "BILLING_TRACE_MAX", 1, 100'000));
  }
  if (auto v = Env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); !v.empty()) {
    c.otlp_traces_endpoint = v;
  } else if (auto base = Env("OTEL_EXPORTER_OTLP_ENDPOINT"); !base.empty()) {
    while (!base.empty() && base.back() == '/') base.pop_back();
    c.otlp_traces_endpoint = base + "/v1/traces";
  }
  if (!c.otlp_traces_endpoint.empty() && !c.otlp_traces_endpoint.starts_with("http://") &&
      !c.otlp_traces_endpoint.starts_with("https://")) {
    return Error::Invalid("OTEL_EXPORTER_OTLP_ENDPOINT",
                          "the OTLP endpoint must be an http:// or https:// URL");
  }
  c.otlp_headers = Env("OTEL_EXPORTER_OTLP_HEADERS");
  if (auto v = Env("OTEL_SERVICE_NAME"); !v.empty()) c.otel_service_name = v;
  c.billing.webhook_allow_hosts = ParseHostList(Env("BILLING_WEBHOOK_ALLOW_HOSTS"));
  if (auto v = Env("BILLING_WEBHOOK_RETRY_SECONDS"); !v.empty()) {
    BILLING_ASSIGN_OR_RETURN(c.billing.webhook_retry_seconds,
                             ParseRetrySeconds(v, "BILLING_WEBHOOK_RETRY_SECONDS"));
  }
  // Email (docs/email.md): off unless BILLING_SMTP_HOST is set.
  BILLING_ASSIGN_OR_RETURN(c.smtp, SmtpSettingsFromEnv());
  BILLING_TRY(ApplyEmailOptions(c.smtp, &c.billing));
  if (auto v = Env("BILLING_WEBHOOK_TIMEOUT_MS"); !v.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t ms, ParseInt(v, "BILLING_WEBHOOK_TIMEOUT_MS", 100, 60000));
    c.webhook_timeout_ms = int(ms);
  }
  std::string threads_text = Env("BILLING_THREADS");
  std::string db_pool_text = Env("BILLING_DB_POOL");
  const std::string db_cache_text = Env("BILLING_DB_CACHE");
  std::string db_timeout_text = Env("BILLING_DB_TIMEOUT_MS");
  std::string write_threads_text = Env("BILLING_WRITE_THREADS");
  std::string payment_mode = Env("BILLING_PAYMENT_MODE");
  std::string payment_seed = Env("BILLING_PAYMENT_SEED");
  std::string approval_rate = Env("BILLING_APPROVAL_RATE_BP");
  std::string tax_rate = Env("BILLING_TAX_RATE_BP");
  std::string max_amount = Env("BILLING_MAX_AMOUNT");
  std::string timeout_text = Env("BILLING_MODEL_TIMEOUT_MS");
  bool no_seed = Env("BILLING_NO_SEED") == "1";
  std::string cors_origins = Env("BILLING_CORS_ORIGINS");
  std::string rate_limit = Env("BILLING_RATE_LIMIT");
  std::string payment_rate_limit = Env("BILLING_PAYMENT_RATE_LIMIT");
  std::string run_interval = Env("BILLING_RUN_INTERVAL");
  std::string retry_days = Env("BILLING_RETRY_DAYS");
  std::string dunning = Env("BILLING_DUNNING");
  std::string draft_hours = Env("BILLING_DRAFT_HOURS");
  c.auth_mode = Env("BILLING_AUTH");
  c.jwt_secret = Env("BILLING_JWT_SECRET");

  CLI::App app{"billing-agent: a Mastra-compatible billing agent server"};
  app.set_version_flag("--version", std::string("billing-agent ") + kVersion);
  app.add_option("--host", c.host, "Address to listen on (env HOST)");
  app.add_option("--port", port_text, "Port to listen on (env PORT, default 4111)");
  app.add_option("--db", c.db_path,
                 "SQLite database file, or postgres://user:pass@host:port/dbname (env BILLING_DB)");
  app.add_option("--model", c.model, "local | openai/<model> (env BILLING_MODEL)");
  app.add_option("--threads", threads_text, "I/O threads (env BILLING_THREADS, default: cores)");
  app.add_option("--log-level", c.log_level, "trace|debug|info|warn|error (env LOG_LEVEL)");
  app.add_option("--today", c.today, "Pin today's date YYYY-MM-DD (env BILLING_TODAY)");
  app.add_option("--payment-mode", payment_mode,
                 "random|approve|decline (env BILLING_PAYMENT_MODE, default random = 90% approve)");
  app.add_option("--cors-origins", cors_origins,
                 "Comma-separated browser origins allowed by CORS (env BILLING_CORS_ORIGINS)");
  app.add_option("--rate-limit", rate_limit,
                 "Requests per caller and per address: BURST/PER_MINUTE or off (env BILLING_RATE_LIMIT, default 200/1200)");
  app.add_option("--payment-rate-limit", payment_rate_limit,
                 "Payments and refunds per caller: BURST/PER_MINUTE or off (env BILLING_PAYMENT_RATE_LIMIT, default 20/60)");
  app.add_option("--run-interval", run_interval,
                 "Billing runs inside the server: every Ns, Nm or Nh, or off (env "
                 "BILLING_RUN_INTERVAL, default 10m)");
  app.add_option("--retry-days", retry_days,
                 "Retries of a declined automatic charge, days after the first decline, or off "
                 "(env BILLING_RETRY_DAYS, default 1,3,5,7)");
  app.add_option("--dunning", dunning,
                 "Dunning steps day:action (reminder|warning|suspend), or off (env "
                 "BILLING_DUNNING, default 1:reminder,7:reminder,14:warning,30:suspend)");
  app.add_option("--draft-hours", draft_hours,
                 "Hours a subscription period's invoice stays a draft before a billing run "
                 "finalizes it (env BILLING_DRAFT_HOURS, default 0: at once)");
  app.add_flag("--no-seed", no_seed, "Do not load the sample data into an empty database");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return Error::Invalid("argv", e.what());
  }

  if (!port_text.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t port, ParseInt(port_text, "port", 0, 65535));
    c.port = uint16_t(port);
  }
  if (!threads_text.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t t, ParseInt(threads_text, "threads", 1, 256));
    c.threads = int(t);
  }
  if (!write_threads_text.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t t, ParseInt(write_threads_text, "BILLING_WRITE_THREADS", 0, 256));
    c.write_threads = int(t);
  }
  if (!timeout_text.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t t, ParseInt(timeout_text, "BILLING_MODEL_TIMEOUT_MS", 100, 600000));
    c.model_timeout_ms = int(t);
  }
  if (payment_mode.empty() || payment_mode == "random") {
    c.billing.processor_mode = ProcessorMode::kRandom;
  } else if (payment_mode == "approve") {
    c.billing.processor_mode = ProcessorMode::kAlwaysApprove;
  } else if (payment_mode == "decline") {
    c.billing.processor_mode = ProcessorMode::kAlwaysDecline;
  } else {
    return Error::Invalid("BILLING_PAYMENT_MODE", "payment mode must be random, approve or decline, got '" + payment_mode + "'");
  }
  if (!payment_seed.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t s, ParseInt(payment_seed, "BILLING_PAYMENT_SEED", 1, INT64_MAX));
    c.payment_seed = uint64_t(s);
  }
  if (!approval_rate.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t r, ParseInt(approval_rate, "BILLING_APPROVAL_RATE_BP", 0, 10000));
    c.billing.approval_rate_bp = int(r);
  }
  if (!tax_rate.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t r, ParseInt(tax_rate, "BILLING_TAX_RATE_BP", 0, 10000));
    c.billing.default_tax_rate_bp = int(r);
  }
  if (!max_amount.empty()) {
    AmountRules rules;
    rules.max_minor = INT64_MAX / 100;
    BILLING_ASSIGN_OR_RETURN(c.billing.max_amount_cents, ParseAmount(max_amount, Usd(), rules, "BILLING_MAX_AMOUNT"));
  }
  if (!rate_limit.empty()) {
    BILLING_TRY(ParseRateLimit(rate_limit, "BILLING_RATE_LIMIT", &c.rate_burst, &c.rate_per_minute));
  }
  if (!payment_rate_limit.empty()) {
    BILLING_TRY(ParseRateLimit(payment_rate_limit, "BILLING_PAYMENT_RATE_LIMIT", &c.payment_rate_burst,
                               &c.payment_rate_per_minute));
  }
  if (!run_interval.empty()) {
    BILLING_ASSIGN_OR_RETURN(c.run_interval_ms, ParseRunInterval(run_interval));
  }
  if (!retry_days.empty()) {
    BILLING_ASSIGN_OR_RETURN(c.billing.retry_days, ParseRetryDays(retry_days));
  }
  if (!dunning.empty()) {
    BILLING_ASSIGN_OR_RETURN(c.billing.dunning, ParseDunning(dunning));
  }
  if (!draft_hours.empty()) {
    BILLING_ASSIGN_OR_RETURN(c.billing.draft_hours, ParseDraftHours(draft_hours));
  }
  if (!db_pool_text.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t n, ParseInt(db_pool_text, "BILLING_DB_POOL", 1, 1000));
    c.db_pool = int(n);
  }
  if (!db_cache_text.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t n, ParseInt(db_cache_text, "BILLING_DB_CACHE", 0, 4096));
    c.db_cache = int(n);
  }
  if (!db_timeout_text.empty()) {
    BILLING_ASSIGN_OR_RETURN(int64_t t,
                             ParseInt(db_timeout_text, "BILLING_DB_TIMEOUT_MS", 100, 600000));
    c.db_timeout_ms = int(t);
  }
  if (c.db_path.empty()) return Error::Invalid("db", "--db must name a SQLite file or a postgres:// URL");
  if (!c.today.empty()) {
    Date d;
    if (!Date::Parse(c.today, &d)) return Error::Invalid("today", "today must be YYYY-MM-DD, got '" + c.today + "'");
  }
  if (c.model != "local" && c.model.rfind("openai/", 0) != 0) {
    return Error::Invalid("model", "model must be 'local' or 'openai/<model>', got '" + c.model + "'");
  }
  if (c.model.rfind("openai/", 0) == 0 && c.openai_api_key.empty()) {
    return Error::Invalid("OPENAI_API_KEY", "model " + c.model + " needs OPENAI_API_KEY to be set");
  }
  if (!c.auth_mode.empty() && c.auth_mode != "on" && c.auth_mode != "off") {
    return Error::Invalid("BILLING_AUTH", "BILLING_AUTH must be on or off, got '" + c.auth_mode.substr(0, 32) + "'");
  }
  if (!c.jwt_secret.empty() && c.jwt_secret.size() < kMinJwtSecretBytes) {
    return Error::Invalid("BILLING_JWT_SECRET", "BILLING_JWT_SECRET must be at least " +
                                                    std::to_string(kMinJwtSecretBytes) + " bytes");
  }
  c.seed = !no_seed;
  for (size_t start = 0; start <= cors_origins.size() && !cors_origins.empty() && c.cors_origins.size() < 100;) {
    size_t comma = cors_origins.find(',', start);
    if (comma == std::string::npos) comma = cors_origins.size();
    std::string origin = cors_origins.substr(start, comma - start);
    while (!origin.empty() && origin.front() == ' ') origin.erase(origin.begin());
    while (!origin.empty() && origin.back() == ' ') origin.pop_back();
    if (origin == "*") return Error::Invalid("BILLING_CORS_ORIGINS", "BILLING_CORS_ORIGINS must list origins explicitly; '*' is only used in development mode");
    if (!origin.empty()) {
      if (origin.rfind("http://", 0) != 0 && origin.rfind("https://", 0) != 0) {
        return Error::Invalid("BILLING_CORS_ORIGINS", "BILLING_CORS_ORIGINS: origin '" + origin + "' must start with http:// or https://");
      }
      c.cors_origins.push_back(origin);
    }
    start = comma + 1;
  }
  return c;
}

}  // namespace billing
