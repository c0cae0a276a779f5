#include "agent/http_client.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

namespace billing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxUrlBytes = 8192;
constexpr uint32_t kMaxResponseHeaderBytes = 64 * 1024;
constexpr size_t kStreamReadBytes = 16 * 1024;  // the most one body handler call gets

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

Error Unavailable(std::string message) { return {ErrorCode::kUnavailable, std::move(message), {}}; }

// One open connection (plain or TLS) plus the read buffer that belongs to it.
struct Connection {
  std::string key;  // scheme://host:port
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

// What one exchange on one connection produced.
struct ExchangeOutcome {
  std::variant<Error, HttpResponse> result;
  bool stale = false;       // failed before any response byte: safe to retry on a new connection
  bool keep_alive = false;  // the connection may go back to the pool
};

// co_spawn in Boost 1.74 needs a default-constructible result type.
using SendOutcome = std::variant<Error, HttpResponse>;

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return {};
}

Result<ParsedUrl> ParsedUrl::Parse(std::string_view url) {
  if (url.size() > kMaxUrlBytes) return Error::Invalid("url", "URL is too long");
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return Error::Invalid("url", "URL must start with http:// or https://");
  ParsedUrl out;
  out.scheme = std::string(url.substr(0, sep));
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.scheme != "http" && out.scheme != "https") {
    return Error::Invalid("url", "URL scheme must be http or https, got '" + out.scheme + "'");
  }
  std::string_view rest = url.substr(sep + 3);
  const size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return Error::Invalid("url", "URL must not contain credentials");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error::Invalid("url", "unterminated IPv6 literal in URL");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error::Invalid("url", "bad characters after IPv6 literal in URL");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Error::Invalid("url", "URL has no host");
  if (port.empty()) {
    out.port = out.https() ? "443" : "80";
  } else {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Error::Invalid("url", "URL port must be a number");
    }
    const int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) return Error::Invalid("url", "URL port must be in 1..65535");
    out.port = std::to_string(p);
  }
  const size_t hash = tail.find('#');
  if (hash != std::string_view::npos) tail = tail.substr(0, hash);
  if (tail.empty() || tail.front() == '?') {
    out.target = "/" + std::string(tail);
  } else {
    out.target = std::string(tail);
  }
  return out;
}

struct HttpClient::Impl {
  Impl(asio::any_io_executor ex, HttpClientOptions opts)
      : strand(asio::make_strand(ex)), options(std::move(opts)) {
    options.max_idle_per_host = std::clamp(options.max_idle_per_host, 0, 8192);
    options.max_pooled_hosts = std::clamp(options.max_pooled_hosts, 0, 256);
  }

  // The TLS context, made on the first https connection: loading the system's CA certificates
  // takes ~40 ms, which a server talking plain http (a local model server, the benchmark's mock)
  // should not pay at start-up. Null with *error set when setup failed.
  ssl::context* TlsContext(std::string* error) {
    std::call_once(ssl_once, [&] {
      try {
        auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
        SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
        ctx->set_default_verify_paths();
        if (!options.ca_file.empty()) ctx->load_verify_file(options.ca_file);
        ctx->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
        ssl_ctx = std::move(ctx);
      } catch (const std::exception& e) {
        ssl_error = std::string("TLS setup failed: ") + e.what();
      }
    });
    if (!ssl_ctx) *error = ssl_error;
    return ssl_ctx.get();
  }

  asio::strand<asio::any_io_executor> strand;
  HttpClientOptions options;
  std::once_flag ssl_once;
  std::unique_ptr<ssl::context> ssl_ctx;  // set once by TlsContext
  std::string ssl_error;

  mutable std::mutex mu;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;  // guarded by mu

  std::unique_ptr<Connection> TakeIdle(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    const auto now = SteadyClock::now();
    const auto max_age = std::chrono::milliseconds(options.idle_timeout_ms);
    std::unique_ptr<Connection> found;
    while (!it->second.empty() && !found) {
      std::unique_ptr<Connection> c = std::move(it->second.back());
      it->second.pop_back();
      if (now - c->idle_since <= max_age && c->lowest().socket().is_open()) found = std::move(c);
    }
    if (it->second.empty()) idle.erase(it);
    return found;
  }

  void PutIdle(std::unique_ptr<Connection> conn) {
    if (options.max_idle_per_host <= 0) return;
    conn->lowest().expires_never();
    conn->idle_since = SteadyClock::now();
    std::lock_guard<std::mutex> lock(mu);
    auto it = idle.find(conn->key);
    if (it == idle.end()) {
      if (static_cast<int>(idle.size()) >= options.max_pooled_hosts) {
        // Make room by dropping hosts whose connections have all expired.
        const auto now = SteadyClock::now();
        const auto max_age = std::chrono::milliseconds(options.idle_timeout_ms);
        for (auto h = idle.begin(); h != idle.end();) {
          auto& q = h->second;
          while (!q.empty() && now - q.front()->idle_since > max_age) q.pop_front();
          h = q.empty() ? idle.erase(h) : std::next(h);
        }
        if (static_cast<int>(idle.size()) >= options.max_pooled_hosts) return;  // conn closes
      }
      it = idle.emplace(conn->key, std::deque<std::unique_ptr<Connection>>{}).first;
    }
    it->second.push_back(std::move(conn));
    while (static_cast<int>(it->second.size()) > options.max_idle_per_host) it->second.pop_front();
  }

  asio::awaitable<Result<std::unique_ptr<Connection>>> Connect(const ParsedUrl& url, const std::string& key,
                                                               SteadyClock::time_point deadline,
                                                               int timeout_ms) {
    ssl::context* tls_context = nullptr;
    if (url.https()) {
      std::string tls_error;
      tls_context = TlsContext(&tls_error);
      if (tls_context == nullptr) co_return Unavailable(tls_error);
    }
    boost::system::error_code ec;

    // Resolve, bounded by the deadline: a timer cancels the resolver.
    tcp::resolver resolver(strand);
    asio::steady_timer watchdog(strand);
    watchdog.expires_at(deadline);
    auto resolved = std::make_shared<bool>(false);
    auto timed_out = std::make_shared<bool>(false);
    watchdog.async_wait([&resolver, resolved, timed_out](boost::system::error_code wec) {
      if (wec || *resolved) return;  // cancelled, or the resolve already finished
      *timed_out = true;
      resolver.cancel();
    });
    auto endpoints =
        co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
    *resolved = true;
    watchdog.cancel();
    if (*timed_out) {
      co_return Unavailable("timed out after " + std::to_string(timeout_ms) + " ms resolving " + url.host);
    }
    if (ec) co_return Unavailable("cannot resolve " + url.host + ": " + ec.message());

    auto conn = std::make_unique<Connection>();
    conn->key = key;
    if (url.https()) {
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(strand, *tls_context);
      if (!IsIpLiteral(url.host) &&
          !SSL_set_tlsext_host_name(conn->tls->native_handle(), url.host.c_str())) {
        co_return Unavailable("TLS: cannot set SNI host name " + url.host);
      }
      if (options.verify_peer) {
        conn->tls->set_verify_mode(ssl::verify_peer);
        conn->tls->set_verify_callback(ssl::host_name_verification(url.host));
      } else {
        conn->tls->set_verify_mode(ssl::verify_none);
      }
    } else {
      conn->plain = std::make_unique<beast::tcp_stream>(strand);
    }
    beast::tcp_stream& lowest = conn->lowest();
    lowest.expires_at(deadline);
    co_await lowest.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) {
      co_return Unavailable("timed out after " + std::to_string(timeout_ms) + " ms connecting to " + key);
    }
    if (ec) co_return Unavailable("cannot connect to " + key + ": " + ec.message());
    lowest.socket().set_option(tcp::no_delay(true), ec);  // best effort

    if (conn->tls) {
      co_await conn->tls->async_handshake(ssl::stream_base::client,
                                          asio::redirect_error(asio::use_awaitable, ec));
      if (ec == beast::error::timeout) {
        co_return Unavailable("timed out after " + std::to_string(timeout_ms) + " ms in TLS handshake with " +
                              key);
      }
      if (ec) co_return Unavailable("TLS handshake with " + key + " failed: " + ec.message());
    }
    co_return std::move(conn);
  }

  // Writes the request. False (and `out` filled in) when that failed.
  template <typename Stream>
  asio::awaitable<bool> WriteRequest(Stream& stream, Connection& conn, const ParsedUrl& url,
                                     const HttpRequest& req, http::verb verb,
                                     SteadyClock::time_point deadline, ExchangeOutcome& out) {
    http::request<http::string_body> msg{verb, url.target, 11};
    std::string host_header = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    if (!url.default_port()) host_header += ":" + url.port;
    msg.set(http::field::host, host_header);
    msg.set(http::field::user_agent, options.user_agent);
    for (const auto& [name, value] : req.headers) {
      if (IEquals(name, "host") || IEquals(name, "content-length") || IEquals(name, "connection")) continue;
      msg.set(name, value);
    }
    msg.keep_alive(true);
    msg.body() = req.body;
    msg.prepare_payload();

    boost::system::error_code ec;
    conn.lowest().expires_at(deadline);
    co_await http::async_write(stream, msg, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) {
      out.result = Unavailable("timed out after " + std::to_string(req.timeout_ms) + " ms waiting for " +
                               conn.key);
      co_return false;
    }
    if (ec) {
      out.stale = true;
      out.result = Unavailable("sending the request to " + conn.key + " failed: " + ec.message());
      co_return false;
    }
    co_return true;
  }

  // The error for a failed read of a buffered response (head or whole body).
  static Error ReadFailure(const boost::system::error_code& ec, const Connection& conn,
                           const HttpRequest& req, const std::string& timeout_text) {
    if (ec == beast::error::timeout) return Unavailable(timeout_text);
    if (ec == http::error::body_limit) {
      return Error::Internal("response from " + conn.key + " exceeds " +
                             std::to_string(req.max_response_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return Error::Internal("response headers from " + conn.key + " are too large");
    }
    return Unavailable("reading the response from " + conn.key + " failed: " + ec.message());
  }

  template <typename Stream>
  asio::awaitable<ExchangeOutcome> ExchangeOn(Stream& stream, Connection& conn, const ParsedUrl& url,
                                              const HttpRequest& req, http::verb verb,
                                              SteadyClock::time_point deadline) {
    ExchangeOutcome out;
    const bool written = co_await WriteRequest(stream, conn, url, req, verb, deadline, out);
    if (!written) co_return out;
    const std::string timeout_text = "timed out after " + std::to_string(req.timeout_ms) + " ms waiting for " +
                                     conn.key;
    boost::system::error_code ec;

    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxResponseHeaderBytes);
    parser.body_limit(req.max_response_body_bytes);
    co_await http::async_read(stream, conn.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      // Nothing read at all on a reused connection: it was stale, and the caller may retry once.
      out.stale = ec != beast::error::timeout && ec != http::error::body_limit &&
                  ec != http::error::header_limit && !parser.got_some();
      out.result = ReadFailure(ec, conn, req, timeout_text);
      co_return out;
    }
    http::response<http::string_body> res = parser.release();
    HttpResponse response;
    CopyHead(res.base(), response);
    response.body = std::move(res.body());
    out.keep_alive = res.keep_alive();
    out.result = std::move(response);
    co_return out;
  }

  // Fills `response` with the status and headers of a parsed message head.
  template <typename Fields>
  static void CopyHead(const http::response_header<Fields>& head, HttpResponse& response) {
    response.status = static_cast<int>(head.result_int());
    for (const auto& field : head) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
  }

  // One streamed exchange: the request, the head, then a 2xx body piece by piece to `on_body`
  // (any other status: the body buffered whole).
  template <typename Stream>
  asio::awaitable<ExchangeOutcome> StreamingExchangeOn(Stream& stream, Connection& conn, const ParsedUrl& url,
                                                       const HttpRequest& req, http::verb verb,
                                                       SteadyClock::time_point deadline,
                                                       const BodyChunkHandler& on_body) {
    ExchangeOutcome out;
    const bool written = co_await WriteRequest(stream, conn, url, req, verb, deadline, out);
    if (!written) co_return out;
    const std::string timeout_text = "timed out after " + std::to_string(req.timeout_ms) + " ms waiting for " +
                                     conn.key;
    boost::system::error_code ec;

    http::response_parser<http::buffer_body> parser;
    parser.header_limit(kMaxResponseHeaderBytes);
    parser.body_limit(req.max_response_body_bytes);
    co_await http::async_read_header(stream, conn.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      out.stale = ec != beast::error::timeout && ec != http::error::header_limit && !parser.got_some();
      out.result = ReadFailure(ec, conn, req, timeout_text);
      co_return out;
    }
    HttpResponse response;
    CopyHead(parser.get().base(), response);

    if (response.status < 200 || response.status >= 300) {
      // An error answer: read it whole (bounded), as Send does, so that the caller can parse it.
      http::response_parser<http::string_body> whole(std::move(parser));
      whole.body_limit(req.max_response_body_bytes);
      co_await http::async_read(stream, conn.buffer, whole, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        out.result = ReadFailure(ec, conn, req, timeout_text);
        co_return out;
      }
      response.body = std::move(whole.get().body());
      out.keep_alive = whole.get().keep_alive();
      out.result = std::move(response);
      co_return out;
    }

    const int read_timeout_ms = req.read_timeout_ms > 0 ? req.read_timeout_ms : req.timeout_ms;
    std::array<char, kStreamReadBytes> piece{};
    // Bounded: every round consumes input and the body is limited to max_response_body_bytes
    // (beyond it the parser fails with body_limit); each read waits at most read_timeout_ms.
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      conn.lowest().expires_after(std::chrono::milliseconds(read_timeout_ms));
      co_await http::async_read_some(stream, conn.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec == beast::error::timeout) {
        out.result = Unavailable("timed out after " + std::to_string(read_timeout_ms) +
                                 " ms waiting for more of the streamed response from " + conn.key);
        co_return out;
      }
      if (ec == http::error::body_limit) {
        out.result = Error::Internal("streamed response from " + conn.key + " exceeds " +
                                     std::to_string(req.max_response_body_bytes) + " bytes");
        co_return out;
      }
      if (ec) {
        out.result = Unavailable("reading the streamed response from " + conn.key + " failed: " + ec.message());
        co_return out;
      }
      const size_t n = piece.size() - parser.get().body().size;
      if (n == 0) continue;
      conn.lowest().expires_never();  // the handler's own time is not ours to limit
      const bool more = co_await on_body(response, std::string_view(piece.data(), n));
      if (!more) {
        out.keep_alive = false;  // the rest of the body is unread: the connection is not reusable
        out.result = std::move(response);
        co_return out;
      }
    }
    out.keep_alive = parser.get().keep_alive();
    out.result = std::move(response);
    co_return out;
  }

  // `on_body` null: Send; otherwise SendStreaming.
  asio::awaitable<SendOutcome> DoSend(HttpRequest req, const BodyChunkHandler* on_body) {
    try {
      auto url = ParsedUrl::Parse(req.url);
      if (!url.ok()) co_return url.error();
      const http::verb verb = http::string_to_verb(req.method);
      if (verb == http::verb::unknown) co_return Error::Invalid("method", "unknown HTTP method " + req.method);
      req.timeout_ms = std::clamp(req.timeout_ms, 1, 24 * 3600 * 1000);
      req.read_timeout_ms = std::clamp(req.read_timeout_ms, 0, 24 * 3600 * 1000);
      const auto deadline = SteadyClock::now() + std::chrono::milliseconds(req.timeout_ms);
      const std::string key = url->scheme + "://" + url->host + ":" + url->port;

      // At most two tries: a reused connection the server has meanwhile closed gets one fresh retry.
      for (int attempt = 0; attempt < 2; ++attempt) {
        std::unique_ptr<Connection> conn = attempt == 0 ? TakeIdle(key) : nullptr;
        const bool reused = conn != nullptr;
        if (!conn) {
          auto connected = co_await Connect(*url, key, deadline, req.timeout_ms);
          if (!connected.ok()) co_return connected.error();
          conn = std::move(connected).value();
        }
        // (No co_await inside ?: — GCC 12 mis-destroys the temporaries of such expressions.)
        ExchangeOutcome out;
        if (on_body != nullptr && conn->tls) {
          out = co_await StreamingExchangeOn(*conn->tls, *conn, *url, req, verb, deadline, *on_body);
        } else if (on_body != nullptr) {
          out = co_await StreamingExchangeOn(*conn->plain, *conn, *url, req, verb, deadline, *on_body);
        } else if (conn->tls) {
          out = co_await ExchangeOn(*conn->tls, *conn, *url, req, verb, deadline);
        } else {
          out = co_await ExchangeOn(*conn->plain, *conn, *url, req, verb, deadline);
        }
        if (out.stale && reused && SteadyClock::now() < deadline) {
          spdlog::debug("http: pooled connection to {} was closed by the peer; reconnecting", key);
          continue;
        }
        if (out.keep_alive && std::holds_alternative<HttpResponse>(out.result)) PutIdle(std::move(conn));
        co_return std::move(out.result);
      }
      co_return Unavailable("connection to " + key + " failed");
    } catch (const std::exception& e) {
      co_return Error::Internal(std::string("http client: ") + e.what());
    }
  }
};

HttpClient::HttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() = default;

asio::awaitable<Result<HttpResponse>> HttpClient::Send(HttpRequest request) {
  SendOutcome outcome =
      co_await asio::co_spawn(impl_->strand, impl_->DoSend(std::move(request), nullptr), asio::use_awaitable);
  if (auto* response = std::get_if<HttpResponse>(&outcome)) co_return std::move(*response);
  co_return std::get<Error>(std::move(outcome));
}

asio::awaitable<Result<HttpResponse>> HttpClient::SendStreaming(HttpRequest request, BodyChunkHandler on_body) {
  if (!on_body) co_return Error::Internal("http client: SendStreaming without a body handler");
  // `on_body` lives in this frame, which outlives the spawned exchange (we await it).
  SendOutcome outcome = co_await asio::co_spawn(impl_->strand, impl_->DoSend(std::move(request), &on_body),
                                                asio::use_awaitable);
  if (auto* response = std::get_if<HttpResponse>(&outcome)) co_return std::move(*response);
  co_return std::get<Error>(std::move(outcome));
}

size_t HttpClient::IdleConnectionCount() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  size_t n = 0;
  for (const auto& [key, q] : impl_->idle) n += q.size();
  return n;
}

}  // namespace billing
