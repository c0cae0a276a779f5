// Fuzzes the HTTP request path end to end: the input is the raw bytes a client sends on one
// connection (one request, several pipelined ones, or garbage). They go over a loopback TCP
// connection to the real http::HttpServer (its Beast parser with the server's header and body
// limits, keep-alive, 100-continue, chunked streaming) serving http::MastraApi::Handle, as
// src/main.cc wires it: an Agent with the local planner and the three tools over a SQLite
// ledger with the sample data, conversation memory, the memory routes, the audit and events routes
// and Idempotency-Key support. Inputs with an Authorization header go to a second server with
// authentication on (two API keys, admin and read-only, and an HS256 secret; see
// tests/fuzz/corpus/http_request) and rate limits (requests unlimited, so that fuzzing is not
// throttled; 5 payments per caller, so that the 429 paths run), the rest to the
// development-mode one. Everything (ledger, agent, both servers) lives across inputs on
// one io_context run by this thread and is rebuilt every kInputsPerWorld inputs, so the ledger
// stays small. A real socket is used because ResponseStream (the /stream routes) writes to the
// connection itself.
//
// Per input: connect, send the bytes, run the io_context until nothing is left to do (the server
// has answered everything it could parse and waits for more), half-close, read to EOF.
// Invariants:
//   - the server always ends the connection after the client's EOF (else: a libFuzzer timeout);
//   - what it sent parses as a sequence of complete HTTP/1.x responses (chunked bodies included);
//   - no response is a 500 and no body says "Internal Server Error": a handler that throws or
//     an internal error is a bug, whatever the bytes;
//   - every application/json body is valid JSON, and every `data:` line of an event stream is
//     valid JSON or [DONE];
//   - the ledger invariants hold after every input (BillingService::CheckInvariants).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "agent/instructions.h"
#include "agent/local_planner.h"
#include "agent/memory.h"
#include "auth/authenticator.h"
#include "auth/key_store.h"
#include "billing/service.h"
#include "common/clock.h"
#include "fuzz_support.h"
#include "http/audit_routes.h"
#include "http/billing_run_routes.h"
#include "http/events_routes.h"
#include "http/idempotency.h"
#include "http/mastra_routes.h"
#include "http/memory_routes.h"
#include "http/rate_limiter.h"
#include "http/rest/rest_api.h"
#include "http/server.h"
#include "store/idempotency_store.h"
#include "store/memory_store.h"
#include "store/sqlite/sqlite_stores.h"
#include "store/store.h"
#include "tools/billing_tool.h"

namespace {

using namespace billing;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;
using nlohmann::json;

constexpr int kInputsPerWorld = 2000;
constexpr size_t kMaxResponseBytes = 8 << 20;

// The credentials the seeds use (tests/fuzz/corpus/http_request/*auth*).
constexpr std::string_view kAdminKey =
    "bk_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kReaderKey =
    "bk_fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
constexpr std::string_view kJwtSecret = "fuzz-jwt-secret-0123456789abcdef-0123456789";

struct World {
  World() : path(fuzz::NewTempDbPath("http")) {
    const SqliteOptions db{path, 4, 5000};
    auto opened = OpenSqliteStore(db);
    FUZZ_CHECK(opened.ok(), "cannot open %s", path.c_str());
    store = std::move(opened.value());
    BillingOptions options;  // random processor (seeded): approvals and declines
    service = std::make_unique<BillingService>(*store, clock, ids, processor, options);
    FUZZ_CHECK(service->SeedIfEmpty().ok(), "cannot seed");
    RegisterBillingTools(tools, *service);
    agent = std::make_unique<Agent>(BillingAgentConfig(), tools, planner, clock, ids);

    auto opened_memory = OpenSqliteMemoryStore(db, clock, ids);
    FUZZ_CHECK(opened_memory.ok(), "cannot open the memory store");
    memory_store = std::move(opened_memory.value());
    memory = std::make_unique<ConversationMemory>(*memory_store);
    memory_api = std::make_unique<http::MemoryApi>(*memory_store, agent->config().id);

    auto opened_keys = OpenSqliteApiKeyStore(db);
    FUZZ_CHECK(opened_keys.ok(), "cannot open the key store");
    key_store = std::move(opened_keys.value());
    for (auto [key, scopes] :
         {std::pair{kAdminKey, kAllScopes}, std::pair{kReaderKey, ScopeBit(Scope::kRead)}}) {
      StoredApiKey stored;
      stored.prefix = ApiKeyPrefix(key);
      stored.key_hash = HashApiKey(key);
      stored.name = scopes == kAllScopes ? "fuzz-admin" : "fuzz-reader";
      stored.scopes = scopes;
      stored.created_at = clock.NowIso8601();
      FUZZ_CHECK(key_store->Insert(stored).ok(), "cannot store the API key");
    }
    authenticator = std::make_unique<Authenticator>(AuthOptions{true, std::string(kJwtSecret)},
                                                    key_store.get());

    auto opened_idempotency = OpenSqliteIdempotencyStore(db);
    FUZZ_CHECK(opened_idempotency.ok(), "cannot open the idempotency store");
    idempotency_store = std::move(opened_idempotency.value());
    idempotency = std::make_unique<http::Idempotency>(*idempotency_store, clock);
    http::RateLimitOptions limits;
    limits.requests = {1'000'000'000, 1'000'000'000};
    limits.payments = {5, 1};  // the clock is fixed: no refill until the world is rebuilt
    rate_limiter = std::make_unique<http::RateLimiter>(limits);

    auto audit = [this](const http::HttpRequest& request) {
      return http::AuditListResponse(*service, request);
    };
    http::Protections open_protections;
    open_protections.idempotency = idempotency.get();
    http::Protections auth_protections = open_protections;
    auth_protections.rate_limiter = rate_limiter.get();
    open_api = std::make_unique<http::MastraApi>(*agent, clock, ids, memory.get(), memory_api.get(),
                                                 nullptr, audit, open_protections);
    auth_api = std::make_unique<http::MastraApi>(*agent, clock, ids, memory.get(), memory_api.get(),
                                                 authenticator.get(), audit, auth_protections);
    auto events = [this](const http::HttpRequest& request) {
      return http::EventListResponse(*service, request);
    };
    open_api->set_events_handler(events);
    auth_api->set_events_handler(events);
    auto billing_runs = [this](const http::HttpRequest& request, const Actor& actor,
                               const std::string& request_id) {
      return http::BillingRunResponse(*service, request, actor, request_id);
    };
    open_api->set_billing_run_handler(billing_runs);
    auth_api->set_billing_run_handler(billing_runs);
    rest_api = std::make_unique<http::rest::RestApi>(*service, tools,
                                                     service->options().default_tax_rate_bp);
    auto rest = [this](const http::HttpRequest& request, const ToolContext& context) {
      return rest_api->Handle(request, context);
    };
    open_api->set_rest_handler(rest);
    auth_api->set_rest_handler(rest);
    http::ServerOptions open_options;  // the server's defaults: the limits under test
    open_options.port = 0;
    http::ServerOptions auth_options = open_options;
    auth_options.cors_allow_origin.clear();  // as main.cc does with authentication on
    auth_options.cors_allowed_origins = {"https://app.example.com"};
    open_server = std::make_unique<http::HttpServer>(io, open_options, open_api->AsHandler());
    auth_server = std::make_unique<http::HttpServer>(io, auth_options, auth_api->AsHandler());
    auto p1 = open_server->Listen();
    auto p2 = auth_server->Listen();
    FUZZ_CHECK(p1.ok() && p2.ok(), "cannot listen on loopback");
    open_port = *p1;
    auth_port = *p2;
    open_server->Start();
    auth_server->Start();
  }

  ~World() {
    open_server->Stop();
    auth_server->Stop();
    io.run();  // the accept loops end; nothing else is pending between inputs
    auth_server.reset();
    open_server.reset();
    fuzz::RemoveDbFiles(path);
  }

  net::io_context io;
  std::string path;
  FixedClock clock{1795608000000};  // 2026-11-25T12:00:00Z
  SeededRandom ids{1};
  SeededRandom processor{2};
  std::unique_ptr<Store> store;
  std::unique_ptr<BillingService> service;
  ToolRegistry tools;
  LocalPlanner planner{clock};
  std::unique_ptr<Agent> agent;
  std::unique_ptr<MemoryStore> memory_store;
  std::unique_ptr<ConversationMemory> memory;
  std::unique_ptr<http::MemoryApi> memory_api;
  std::unique_ptr<ApiKeyStore> key_store;
  std::unique_ptr<Authenticator> authenticator;
  std::unique_ptr<IdempotencyStore> idempotency_store;
  std::unique_ptr<http::Idempotency> idempotency;
  std::unique_ptr<http::RateLimiter> rate_limiter;
  std::unique_ptr<http::rest::RestApi> rest_api;
  std::unique_ptr<http::MastraApi> open_api;
  std::unique_ptr<http::MastraApi> auth_api;
  std::unique_ptr<http::HttpServer> open_server;
  std::unique_ptr<http::HttpServer> auth_server;
  uint16_t open_port = 0;
  uint16_t auth_port = 0;
  int inputs = 0;
};

// Not beast::iequals: Boost 1.74's reads one byte past both strings after a case-only
// difference (harmless on header values, which CRLF follows; not on the end of this buffer).
bool HasAuthorizationHeader(std::string_view bytes) {
  constexpr std::string_view kName = "\nauthorization:";
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  for (size_t i = 0; i + kName.size() <= bytes.size(); ++i) {
    size_t k = 0;
    while (k < kName.size() && lower(bytes[i + k]) == kName[k]) ++k;
    if (k == kName.size()) return true;
  }
  return false;
}

// Runs ready handlers until none are left twice in a row: every request the server could parse
// has been answered (streams included) and it waits for more bytes.
void RunUntilIdle(net::io_context& io) {
  for (int idle = 0; idle < 2;) {
    idle = io.poll() == 0 ? idle + 1 : 0;
  }
}

void CheckBody(const bhttp::response<bhttp::string_body>& response, std::string_view what) {
  const std::string& body = response.body();
  // The message as a JSON value ({"error":...}, an error chunk, a data-stream "3:" part). Echoed
  // caller text cannot match: inside a JSON string its quotes are escaped.
  FUZZ_CHECK(body.find(":\"Internal Server Error\"") == std::string::npos, "%.*s: %s",
             int(what.size()), what.data(), body.substr(0, 2000).c_str());
  const std::string_view type = response[bhttp::field::content_type];
  if (type.rfind("application/json", 0) == 0) {
    FUZZ_CHECK(json::accept(body), "%.*s: invalid JSON body: %s", int(what.size()), what.data(),
               body.substr(0, 2000).c_str());
  } else if (type.rfind("text/event-stream", 0) == 0) {
    for (size_t start = 0; start < body.size();) {
      size_t end = body.find('\n', start);
      if (end == std::string::npos) end = body.size();
      const std::string_view line = std::string_view(body).substr(start, end - start);
      if (line.rfind("data: ", 0) == 0 && line != "data: [DONE]") {
        FUZZ_CHECK(json::accept(line.substr(6)), "%.*s: invalid event: %.*s", int(what.size()),
                   what.data(), int(line.size()), line.data());
      }
      start = end + 1;
    }
  }
}

// `received` must be a sequence of complete responses.
void CheckResponses(const std::string& received) {
  size_t offset = 0;
  for (int n = 0; offset < received.size(); ++n) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(boost::none);
    parser.header_limit(1 << 20);
    error_code ec;
    while (!parser.is_done()) {
      if (offset == received.size()) {
        parser.put_eof(ec);  // a body that the close ends (HTTP/1.0), else truncated
        break;
      }
      const size_t used =
          parser.put(net::buffer(received.data() + offset, received.size() - offset), ec);
      offset += used;
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) break;
      if (used == 0 && offset < received.size()) {
        ec = bhttp::error::partial_message;  // stuck: more is needed than was sent
        break;
      }
    }
    const std::string what = "response " + std::to_string(n);
    FUZZ_CHECK(!ec && parser.is_done(), "%s does not parse (%s) at byte %zu of:\n%s", what.c_str(),
               ec.message().c_str(), offset, received.substr(0, 4000).c_str());
    const auto& response = parser.get();
    FUZZ_CHECK(response.result() != bhttp::status::internal_server_error, "%s is a 500: %s",
               what.c_str(), response.body().substr(0, 2000).c_str());
    CheckBody(response, what);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Errors are logged only for bugs (handler exceptions, internal errors): worth seeing.
  spdlog::set_level(spdlog::level::err);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = nullptr;  // leaked at exit on purpose (see fuzz_support.h)
  if (world == nullptr || world->inputs >= kInputsPerWorld) {
    delete world;
    world = new World();
  }
  ++world->inputs;
  net::io_context& io = world->io;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const uint16_t port = HasAuthorizationHeader(bytes) ? world->auth_port : world->open_port;

  tcp::socket client(io);
  error_code ec;
  // Asynchronously: libFuzzer's timer signal interrupts a blocking connect (EINTR).
  bool connected = false;
  client.async_connect({net::ip::make_address_v4("127.0.0.1"), port}, [&](const error_code& e) {
    ec = e;
    connected = true;
  });
  while (!connected) io.run_one();
  FUZZ_CHECK(!ec, "connect: %s", ec.message().c_str());

  std::string received;
  size_t received_bytes = 0;
  char buffer[16 * 1024];
  bool eof = false;
  std::function<void()> read_more = [&] {
    client.async_read_some(net::buffer(buffer), [&](const error_code& error, size_t n) {
      received_bytes += n;
      if (received.size() + n <= kMaxResponseBytes) received.append(buffer, n);
      if (error) {
        eof = true;
        return;
      }
      read_more();
    });
  };
  read_more();
  bool written = false;
  net::async_write(client, net::buffer(bytes.data(), bytes.size()),
                   [&](const error_code&, size_t) { written = true; });

  RunUntilIdle(io);
  while (!written) io.run_one();
  RunUntilIdle(io);
  client.shutdown(tcp::socket::shutdown_send, ec);
  while (!eof) io.run_one();
  // The server side closes right after its last write; let it finish (a 413 drains first).
  while (world->open_server->active_connections() + world->auth_server->active_connections() > 0) {
    io.run_one();
  }
  client.close(ec);
  FUZZ_CHECK(received_bytes <= kMaxResponseBytes, "%zu response bytes", received_bytes);

  static const bool verbose = std::getenv("BILLING_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "---- %zu bytes in, %zu out:\n%s\n", size, received.size(),
                 received.c_str());
  CheckResponses(received);
  Status invariants = world->service->CheckInvariants();
  FUZZ_CHECK(invariants.ok(), "ledger invariant broken: %s", invariants.error().message.c_str());
  return 0;
}
