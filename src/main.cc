// billing-agent: wires configuration, the SQLite ledger, the billing tools, the model (OpenAI or
// the local planner), the agent, authentication and the Mastra HTTP routes, then serves until
// SIGINT/SIGTERM. `billing-agent keys ...` manages API keys instead (app/keys_command.h).
#ifdef BILLING_WITH_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <memory>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "agent/instructions.h"
#include "agent/memory.h"
#include "app/models.h"
#include "app/audit_command.h"
#include "app/bill_command.h"
#include "app/customers_command.h"
#include "app/webhooks_command.h"
#include "app/billing_scheduler.h"
#include "app/config.h"
#include "app/data_keys.h"
#include "app/db_command.h"
#include "app/keys_command.h"
#include "app/metrics_collectors.h"
#include "auth/authenticator.h"
#include "auth/key_store.h"
#include "billing/service.h"
#include "http/audit_routes.h"
#include "http/billing_run_routes.h"
#include "http/events_routes.h"
#include "http/mastra_routes.h"
#include "http/memory_routes.h"
#include "http/asset_dir.h"
#include "http/console.h"
#include "http/openapi.h"
#include "http/rest/rest_api.h"
#include "http/server.h"
#include "integration/email_worker.h"
#include "integration/webhook_worker.h"
#include "observability/otlp_exporter.h"
#include "observability/trace_store.h"
#include "security/redacting_sink.h"
#include "store/backend.h"
#include "tools/billing_tool.h"

namespace {

using namespace billing;

int Run(const AppConfig& cfg) {
#ifdef BILLING_WITH_TCMALLOC
  // tcmalloc's per-thread caches share one budget. Capped at 4 MB they kept the RSS 9 MB lower,
  // but the write pool's threads (64) hold their share while idle, and on PostgreSQL, where
  // reads run on the I/O threads' fibers, the I/O threads were left with caches too small
  // and spent a tenth of their time in the central free list (generate 1,900/s against 2,600/s
  // at 32 MB after a payment burst; docs/performance.md). 32 MB is tcmalloc's own default.
  MallocExtension::instance()->SetNumericProperty("tcmalloc.max_total_thread_cache_bytes",
                                                  32u << 20);
#endif
  // Every log line passes the card-number redaction first (security/redacting_sink.h).
  auto console = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "", std::make_shared<security::RedactingSink<std::mutex>>(console)));
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  std::unique_ptr<Clock> clock;
  if (cfg.today.empty()) {
    clock = std::make_unique<SystemClock>();
  } else {
    Date today;
    Date::Parse(cfg.today, &today);
    clock = std::make_unique<ShiftedClock>(today);
  }
  CsprngSource ids;
  std::unique_ptr<RandomSource> processor;
  if (cfg.payment_seed != 0) {
    processor = std::make_unique<SeededRandom>(cfg.payment_seed);
  } else {
    processor = std::make_unique<CsprngSource>();
  }

  const int threads =
      cfg.threads > 0 ? cfg.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  // SQLite: each store's pool may grow to one connection per calling thread. PostgreSQL: one
  // pool of BILLING_DB_POOL connections shared by every store (store/backend.h).
  // The instance id names this process among the instances on one PostgreSQL database (its
  // sessions in pg_stat_activity): a new one at every start.
  const BackendOptions backend{cfg.db_path, IsPostgresDb(cfg.db_path) ? cfg.db_pool : threads + 2,
                               IsPostgresDb(cfg.db_path) ? cfg.db_timeout_ms : 5000, NewUuid(ids),
                               cfg.db_cache};
  const std::string db_name = DescribeBackend(backend);
  auto store = OpenStore(backend);
  if (!store.ok()) {
    spdlog::critical("cannot open database {}: {}", db_name, store.error().message);
    return 1;
  }
  BillingService service(*store.value(), *clock, ids, *processor, cfg.billing);
  bool key_generated = false;
  auto data_cipher = LoadDataKeys(DataKeySourceFromEnv(DataKeyBase(cfg.db_path)), &key_generated);
  if (!data_cipher.ok()) {
    spdlog::critical("cannot load the data keys for card details: {}", data_cipher.error().message);
    return 1;
  }
  if (key_generated) {
    spdlog::warn(
        "created data key file {}.keys for card details; keep it apart from the database "
        "in production (BILLING_DATA_KEYS or BILLING_DATA_KEY_FILE; every instance on "
        "one database needs the same keys)",
        DataKeyBase(cfg.db_path));
  }
  service.set_data_cipher(&data_cipher.value());
  if (cfg.seed) {
    if (Status s = service.SeedIfEmpty(); !s.ok()) {
      spdlog::critical("cannot load the sample data: {}", s.error().message);
      return 1;
    }
  }
  ToolRegistry tools;
  RegisterBillingTools(tools, service);

  boost::asio::io_context io(threads);
  // The model, which an administrator may switch while the server runs (app/models.h).
  std::unique_ptr<ModelSwitch> model = MakeModelSwitch(cfg, io, *clock);
  Agent agent(BillingAgentConfig(), tools, *model, *clock, ids);
  // Reads go to the write pool too when they wait on the network (PostgreSQL): no I/O thread
  // ever waits on the database.
  ToolRunner tool_runner(size_t(cfg.write_threads), store.value()->ReadsWaitOnNetwork());
  agent.set_tool_runner(&tool_runner);
  // Traces of agent runs (docs/observability.md): kept in memory for
  // /api/observability/traces, and sent over OTLP/HTTP when an endpoint is set.
  observability::TraceStore traces(
      *clock, observability::TraceStoreOptions{size_t(cfg.trace_max),
                                               cfg.trace_retention_hours * 3'600'000});
  std::unique_ptr<observability::OtlpExporter> otlp;
  if (cfg.trace_retention_hours > 0) agent.set_trace_sink(&traces);
  if (!cfg.otlp_traces_endpoint.empty()) {
    auto headers = observability::ParseOtlpHeaders(cfg.otlp_headers);
    if (!headers.ok()) {
      spdlog::critical("{}", headers.error().message);
      return 1;
    }
    observability::OtlpOptions otlp_options;
    otlp_options.endpoint = cfg.otlp_traces_endpoint;
    otlp_options.headers = std::move(headers.value());
    otlp_options.service_name = cfg.otel_service_name;
    otlp_options.service_version = kVersion;
    otlp = std::make_unique<observability::OtlpExporter>(std::move(otlp_options));
    otlp->Start();
    traces.set_exporter(otlp.get());
    agent.set_trace_sink(&traces);
    spdlog::info("traces: exported over OTLP/HTTP to {}", cfg.otlp_traces_endpoint);
  }
  auto memory_store = OpenMemoryStore(backend, *clock, ids);
  if (!memory_store.ok()) {
    spdlog::critical("cannot open conversation memory in {}: {}", db_name,
                     memory_store.error().message);
    return 1;
  }
  ConversationMemory memory(*memory_store.value());
  http::MemoryApi memory_api(*memory_store.value(), agent.config().id);

  auto key_store = OpenApiKeyStore(backend);
  if (!key_store.ok()) {
    spdlog::critical("cannot open the API keys in {}: {}", db_name, key_store.error().message);
    return 1;
  }
  auto keys_ever = key_store.value()->Count(/*active_only=*/false);
  auto keys_active = key_store.value()->Count(/*active_only=*/true);
  if (!keys_ever.ok() || !keys_active.ok()) {
    spdlog::critical("cannot read the API keys in {}", db_name);
    return 1;
  }
  auto decision =
      DecideAuth(cfg.auth_mode, cfg.host, *keys_ever, *keys_active, !cfg.jwt_secret.empty());
  if (!decision.ok()) {
    spdlog::critical("{}", decision.error().message);
    return 1;
  }
  Authenticator authenticator({decision->enabled, cfg.jwt_secret}, key_store.value().get());
  auto idempotency_store = OpenIdempotencyStore(backend);
  if (!idempotency_store.ok()) {
    spdlog::critical("cannot open the idempotency store: {}", idempotency_store.error().message);
    return 1;
  }
  http::Idempotency idempotency(*idempotency_store.value(), *clock);
  http::RateLimitOptions rate_options;
  rate_options.requests = {cfg.rate_burst, cfg.rate_per_minute};
  rate_options.payments = {cfg.payment_rate_burst, cfg.payment_rate_per_minute};
  http::RateLimiter rate_limiter(rate_options);
  http::Protections protections;
  protections.idempotency = &idempotency;
  if (cfg.rate_burst > 0 || cfg.payment_rate_burst > 0) protections.rate_limiter = &rate_limiter;
  // Where instances share the database, so does each caller's payments bucket.
  auto shared_buckets = OpenSharedRateBuckets(backend);
  if (!shared_buckets.ok()) {
    spdlog::critical("cannot open the shared rate-limit buckets: {}",
                     shared_buckets.error().message);
    return 1;
  }
  std::unique_ptr<http::SharedPaymentRateGate> shared_payment_gate;
  if (shared_buckets.value() != nullptr && cfg.payment_rate_burst > 0) {
    shared_payment_gate = std::make_unique<http::SharedPaymentRateGate>(
        *shared_buckets.value(), rate_options.payments, *clock);
    protections.shared_payment_gate = shared_payment_gate.get();
  }
  // GET /ready: the database answers now (a load balancer's probe; /health stays liveness).
  protections.readiness = [&store] { return store.value()->Ping(); };
  http::MastraApi api(
      agent, *clock, ids, &memory, &memory_api, decision->enabled ? &authenticator : nullptr,
      [&service](const http::HttpRequest& request) {
        // GET /api/audit and /api/audit/verify (http/audit_routes.h).
        const std::string_view path = request.target().substr(0, request.target().find('?'));
        if (path.ends_with("/verify")) return http::AuditVerifyResponse(service, request);
        return http::AuditListResponse(service, request);
      },
      protections);
  if (cfg.trace_retention_hours > 0) api.set_trace_store(&traces);
  // The tools as an MCP server at /api/mcp/billing/mcp (docs/mcp.md).
  http::McpServerInfo mcp_info;
  mcp_info.version = kVersion;
  const http::McpServer mcp(tools, mcp_info);
  api.set_mcp_server(&mcp);
  api.set_model_switch(model.get());
  // Prometheus metrics at /metrics (docs/observability.md "Metrics").
  observability::Metrics metrics;
  agent.set_metrics(&metrics);
  api.set_metrics(&metrics);
  AddStoreCollectors(metrics, *store.value(), *clock, otlp.get());
  api.set_events_handler([&service](const http::HttpRequest& request) {
    return http::EventListResponse(service, request);
  });
  api.set_billing_run_handler([&service](const http::HttpRequest& request, const Actor& actor,
                                         const std::string& request_id) {
    return http::BillingRunResponse(service, request, actor, request_id);
  });
  const http::rest::RestApi rest_api(service, tools, service.options().default_tax_rate_bp);
  api.set_rest_handler([&rest_api](const http::HttpRequest& request, const ToolContext& context) {
    return rest_api.Handle(request, context);
  });
  // Swagger UI from the npm package's files (web/swagger-ui), when they are installed.
  std::optional<http::SwaggerUi> swagger_ui;
  {
    const std::string dir = http::SwaggerUi::FindDir(http::AssetDirCandidates(
        cfg.swagger_ui_dir, "web/swagger-ui/node_modules/swagger-ui-dist"));
    if (!cfg.swagger_ui_dir.empty() && dir.empty()) {
      spdlog::error("BILLING_SWAGGER_UI_DIR={}: no swagger-ui-bundle.js there", cfg.swagger_ui_dir);
      return 1;
    }
    if (dir.empty()) {
      spdlog::info("Swagger UI is not installed (npm ci in web/swagger-ui): /swagger-ui is off");
    } else if (auto loaded = http::SwaggerUi::Load(dir); loaded.ok()) {
      swagger_ui = std::move(loaded.value());
      api.set_swagger_ui(&*swagger_ui);
    } else {
      spdlog::error("Swagger UI: {}", loaded.error().message);
      return 1;
    }
  }
  // The web console from web/console/dist (`npm run build` there), when it is built.
  std::optional<http::Console> web_console;
  {
    const std::string dir =
        http::Console::FindDir(http::AssetDirCandidates(cfg.console_dir, "web/console/dist"));
    if (!cfg.console_dir.empty() && dir.empty()) {
      spdlog::error("BILLING_CONSOLE_DIR={}: no index.html there", cfg.console_dir);
      return 1;
    }
    if (dir.empty()) {
      spdlog::info("The console is not built (npm run build in web/console): / is off");
    } else if (auto loaded = http::Console::Load(dir); loaded.ok()) {
      web_console = std::move(loaded.value());
      api.set_console(&*web_console);
      spdlog::info("console: {} bytes, {} gzipped, from {}", web_console->total_bytes(),
                   web_console->total_gzip_bytes(), dir);
    } else {
      spdlog::error("console: {}", loaded.error().message);
      return 1;
    }
  }
  api.set_openapi_document(
      http::OpenApiDocument(rest_api, tools, agent.config().id, kVersion).dump());

  http::ServerOptions server_options;
  server_options.host = cfg.host;
  server_options.port = cfg.port;
  // CORS: an explicit allowlist when configured; "*" only in development mode.
  if (!cfg.cors_origins.empty()) {
    server_options.cors_allow_origin.clear();
    server_options.cors_allowed_origins = cfg.cors_origins;
  } else if (decision->enabled) {
    server_options.cors_allow_origin.clear();
  }
  http::HttpServer server(io, server_options, api.AsHandler());
  auto port = server.Listen();
  if (!port.ok()) {
    spdlog::critical("cannot listen on {}:{}: {}", cfg.host, cfg.port, port.error().message);
    return 1;
  }
  if (IsPostgresDb(cfg.db_path)) {
    spdlog::info("database: {} (pool {} connections, timeout {} ms)", db_name, cfg.db_pool,
                 cfg.db_timeout_ms);
  } else {
    spdlog::info("database: {} (WAL, synchronous=FULL)", db_name);
  }
  if (cfg.model == "local") {
    spdlog::info("model: local (deterministic billing planner, no network)");
  } else {
    spdlog::info("model: {} via {}", cfg.model, cfg.openai_base_url);
  }
  if (decision->enabled) {
    spdlog::info("authentication: on ({} active API key(s){})", *keys_active,
                 cfg.jwt_secret.empty() ? "" : ", HS256 JWTs");
  } else {
    spdlog::warn(
        "development mode: no authentication (every caller has every scope; loopback only)");
  }
  if (!cfg.today.empty()) spdlog::warn("clock pinned: today is {}", cfg.today);
  if (!cfg.smtp.host.empty()) {
    spdlog::info("email: on, SMTP {}:{} ({}), from {}", cfg.smtp.host, cfg.smtp.port,
                 cfg.smtp.tls, cfg.smtp.from_address);
  } else {
    spdlog::info("email: off (set BILLING_SMTP_HOST and BILLING_EMAIL_FROM to send)");
  }
  // Last of the start-up lines: whoever waits for it (scripts, the e2e harness) sees them all.
  spdlog::info("billing-agent listening on http://{}:{} (agent billingApiAgent, {} threads)",
               cfg.host, port.value(), threads);
  server.Start();
  // Webhook deliveries (docs/webhooks.md): sent by one worker thread, many at once.
  WebhookWorkerOptions webhook_options;
  webhook_options.allow_hosts = cfg.billing.webhook_allow_hosts;
  webhook_options.timeout_ms = cfg.webhook_timeout_ms;
  // A claimed delivery is claimed again only after its transfer cannot still be running.
  webhook_options.lease_ms = 2LL * cfg.webhook_timeout_ms + 5000;
  WebhookWorker webhooks(service, webhook_options);
  webhooks.Start();
  // Email (docs/email.md): off unless BILLING_SMTP_HOST is set.
  std::unique_ptr<EmailWorker> email;
  if (!cfg.smtp.host.empty()) {
    email = std::make_unique<EmailWorker>(service, cfg.smtp);
    email->Start();
  }
  // Billing runs inside the server (BILLING_RUN_INTERVAL), the first at once: catch-up.
  std::unique_ptr<BillingScheduler> scheduler;
  if (cfg.run_interval_ms > 0) {
    scheduler = std::make_unique<BillingScheduler>(service, *clock, cfg.run_interval_ms);
    scheduler->Start();
    spdlog::info("billing runs: every {} s", cfg.run_interval_ms / 1000);
  } else {
    spdlog::info("billing runs: off (BILLING_RUN_INTERVAL=off; run `billing-agent bill`)");
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer drain(io);
  int drain_polls_left = 250;  // 250 x 20 ms = at most 5 s for in-flight requests
  std::function<void()> wait_for_drain = [&] {
    if (server.active_connections() == 0 || drain_polls_left-- <= 0) {
      io.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&](const boost::system::error_code&) { wait_for_drain(); });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: stopping (in-flight requests get up to 5 s)", signo);
    server.Stop();
    wait_for_drain();
  });

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  if (scheduler) scheduler->Stop();  // a run in progress finishes its bounded batches
  webhooks.Stop();  // transfers in flight finish (each bounded by its timeout)
  if (email) email->Stop();  // the message in flight finishes (bounded by its timeout)
  // Writes still running on the write pool after a forced stop use the stores declared after it.
  tool_runner.Join();
  // How well group commit did: ledger writes per commit (each commit is one WAL fsync).
  if (const Store::Stats w = store.value()->stats(); w.commits > 0) {
    spdlog::info("store: {} writes committed in {} group commits ({:.2f} writes per fsync)",
                 w.writes, w.commits, double(w.writes) / double(w.commits));
  }
  // PostgreSQL: statements sent by every store of this instance, the round trips they took, and
  // writes run again after a conflict (bench/postgres.sh reads this line).
  if (const Store::Stats w = store.value()->stats(); w.statements > 0) {
    spdlog::info(
        "store: {} statements sent in {} round trips, {} writes retried; read cache: {} "
        "hits, {} misses",
        w.statements, w.round_trips, w.retries, w.cache_hits, w.cache_misses);
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (billing::IsKeysCommand(argc, argv)) return billing::RunKeysCommand(argc, argv);
  if (billing::IsAuditCommand(argc, argv)) return billing::RunAuditCommand(argc, argv);
  if (billing::IsBillCommand(argc, argv)) return billing::RunBillCommand(argc, argv);
  if (billing::IsCustomersCommand(argc, argv)) return billing::RunCustomersCommand(argc, argv);
  if (billing::IsWebhooksCommand(argc, argv)) return billing::RunWebhooksCommand(argc, argv);
  if (billing::IsDataKeyCommand(argc, argv)) return billing::RunDataKeyCommand(argc, argv);
  if (billing::IsDbCommand(argc, argv)) return billing::RunDbCommand(argc, argv);
  int exit_code = -1;
  auto cfg = billing::LoadConfig(argc, argv, &exit_code);
  if (!cfg.ok()) {
    if (exit_code >= 0) return exit_code;
    spdlog::critical("configuration: {}", cfg.error().message);
    return 2;
  }
  return Run(cfg.value());
}
