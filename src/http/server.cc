#include "http/server.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

namespace billing::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// Holds at most one header plus read-ahead; request bodies go straight into the body string.
constexpr size_t kReadBufferLimitBytes = 256 * 1024;
// After a 413, how much of the rejected body we read and discard (so that the client sees the
// response instead of a connection reset), and for how long.
constexpr size_t kDrainLimitBytes = 8 * 1024 * 1024;
constexpr int kDrainTimeoutMs = 2000;
constexpr auto kAcceptErrorBackoff = std::chrono::milliseconds(50);

std::chrono::milliseconds Ms(int ms) {
  return std::chrono::milliseconds(ms);
}

auto Redirect(error_code& ec) {
  return net::redirect_error(net::use_awaitable, ec);
}

// `origin`: the Origin header of the request being answered ("" when unknown).
void ApplyCors(bhttp::fields& fields, const ServerOptions& options, std::string_view origin) {
  if (fields.find(bhttp::field::access_control_allow_origin) != fields.end()) return;
  if (!options.cors_allow_origin.empty()) {
    fields.set(bhttp::field::access_control_allow_origin, options.cors_allow_origin);
  } else {
    bool allowed = false;
    for (const std::string& o : options.cors_allowed_origins) allowed = allowed || (!origin.empty() && o == origin);
    fields.set(bhttp::field::vary, "Origin");
    if (!allowed) return;
    fields.set(bhttp::field::access_control_allow_origin, origin);
  }
  if (fields.find(bhttp::field::access_control_expose_headers) == fields.end()) {
    fields.set(bhttp::field::access_control_expose_headers, "Content-Length,X-Requested-With,X-Request-Id,Retry-After,RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset,Idempotent-Replayed");
  }
}

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

}  // namespace

HttpResponse JsonResponse(bhttp::status status, std::string body) {
  HttpResponse response{status, 11};
  response.set(bhttp::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

HttpResponse JsonError(bhttp::status status, std::string_view message) {
  nlohmann::json body = nlohmann::json::object();
  body["error"] = message;
  return JsonResponse(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

struct HttpServer::State {
  State(net::io_context& io_context, ServerOptions server_options, Handler request_handler)
      : io(io_context),
        options(std::move(server_options)),
        handler(std::move(request_handler)),
        acceptor(net::make_strand(io_context)) {}

  net::io_context& io;
  const ServerOptions options;
  const Handler handler;
  tcp::acceptor acceptor;  // used on its strand only once Start() has run
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::atomic<size_t> active{0};

  std::mutex mu;  // guards connections
  std::unordered_map<ConnectionState*, std::weak_ptr<ConnectionState>> connections;
};

// One accepted connection. Everything but `state` is touched on the connection's strand only.
struct ConnectionState {
  ConnectionState(tcp::socket socket, std::shared_ptr<HttpServer::State> server_state)
      : stream(std::move(socket)), state(std::move(server_state)) {}

  beast::tcp_stream stream;
  std::shared_ptr<HttpServer::State> state;
  bool waiting_for_request = false;  // idle between requests: Stop() may close it at once
  bool close_after_response = false;
  std::string origin;  // Origin header of the request being answered (CORS allowlist)
  std::string client_address;  // the TCP peer, for rate limits
};

namespace {

using State = HttpServer::State;

Status StreamError(const error_code& ec) {
  return Error{ErrorCode::kUnavailable, "client connection failed: " + ec.message(), {}};
}

// Reads and discards what the client is still sending, bounded in bytes and time.
net::awaitable<void> DrainInput(ConnectionState& conn) {
  error_code ec;
  conn.stream.expires_after(Ms(kDrainTimeoutMs));
  char scratch[16 * 1024];
  for (size_t drained = 0; drained < kDrainLimitBytes;) {
    const size_t n = co_await conn.stream.async_read_some(net::buffer(scratch), Redirect(ec));
    if (ec) break;
    drained += n;
  }
}

// Writes a response the server produces itself (4xx/5xx on a broken request), then closes.
net::awaitable<void> WriteFinalResponse(ConnectionState& conn, HttpResponse response,
                                        unsigned version, bool drain) {
  const ServerOptions& options = conn.state->options;
  response.version(version);
  response.keep_alive(false);
  ApplyCors(response.base(), options, conn.origin);
  response.prepare_payload();
  error_code ec;
  conn.stream.expires_after(Ms(options.request_timeout_ms));
  co_await bhttp::async_write(conn.stream, response, Redirect(ec));
  if (ec) co_return;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (drain) co_await DrainInput(conn);
}

// Answers a failed request read. Returns with the connection to be closed.
net::awaitable<void> OnReadError(ConnectionState& conn, const error_code& ec, unsigned version) {
  if (ec == bhttp::error::body_limit) {
    co_await WriteFinalResponse(
        conn, JsonError(bhttp::status::payload_too_large, "Request body too large"), version,
        /*drain=*/true);
  } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    co_await WriteFinalResponse(conn,
                                JsonError(bhttp::status::request_header_fields_too_large,
                                          "Request header fields too large"),
                                version, /*drain=*/false);
  } else if (IsHttpParseError(ec) && ec != bhttp::error::end_of_stream &&
             ec != bhttp::error::partial_message) {
    co_await WriteFinalResponse(conn, JsonError(bhttp::status::bad_request, "Bad Request"), version,
                                /*drain=*/false);
  }
  // Otherwise (peer closed, reset, timeout, cancelled by Stop): just close.
}

net::awaitable<void> ServeConnection(ConnectionState& conn) {
  State& state = *conn.state;
  const ServerOptions& options = state.options;
  beast::tcp_stream& stream = conn.stream;
  beast::flat_buffer buffer(kReadBufferLimitBytes);
  error_code ec;

  // Each iteration serves one request; the loop ends on close, error or idle timeout.
  for (;;) {
    if (state.stopping.load(std::memory_order_relaxed)) co_return;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(options.header_limit_bytes);
    parser.body_limit(options.body_limit_bytes);

    conn.waiting_for_request = true;
    conn.origin.clear();
    stream.expires_after(Ms(options.idle_timeout_ms));
    co_await bhttp::async_read_header(stream, buffer, parser, Redirect(ec));
    conn.waiting_for_request = false;
    if (ec) {
      co_await OnReadError(conn, ec, 11);
      co_return;
    }
    const unsigned version = parser.get().version();
    if (!parser.is_done()) {
      if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, version};
        stream.expires_after(Ms(options.request_timeout_ms));
        co_await bhttp::async_write(stream, go_on, Redirect(ec));
        if (ec) co_return;
      }
      stream.expires_after(Ms(options.request_timeout_ms));
      co_await bhttp::async_read(stream, buffer, parser, Redirect(ec));
      if (ec) {
        co_await OnReadError(conn, ec, version);
        co_return;
      }
    }
    stream.expires_never();

    HttpRequest request = parser.release();
    conn.origin = std::string(request[bhttp::field::origin].substr(0, 512));
    const bool keep_alive = request.keep_alive();
    ResponseStream response_stream(conn, version, keep_alive);
    HttpResponse response;
    bool handler_failed = false;
    try {
      response = co_await state.handler(request, response_stream);
    } catch (const std::exception& e) {
      spdlog::error("http: handler failed on {} {}: {}", std::string(request.method_string()),
                    std::string(request.target().substr(0, 200)), e.what());
      handler_failed = true;
    } catch (...) {
      spdlog::error("http: handler failed on {} {}: unknown exception",
                    std::string(request.method_string()),
                    std::string(request.target().substr(0, 200)));
      handler_failed = true;
    }

    if (response_stream.started()) {
      // The handler wrote (part of) a streamed response; a broken one ends the connection.
      if (!response_stream.finished() || response_stream.failed() || !keep_alive ||
          conn.close_after_response) {
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        co_return;
      }
      continue;
    }
    if (handler_failed) {
      response = JsonError(bhttp::status::internal_server_error, "Internal Server Error");
    }
    response.version(version);
    response.keep_alive(keep_alive && !conn.close_after_response &&
                        !state.stopping.load(std::memory_order_relaxed));
    ApplyCors(response.base(), options, conn.origin);
    response.prepare_payload();
    stream.expires_after(Ms(options.request_timeout_ms));
    co_await bhttp::async_write(stream, response, Redirect(ec));
    if (ec) co_return;
    if (!response.keep_alive()) {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
  }
}

net::awaitable<void> RunConnection(std::shared_ptr<ConnectionState> conn) {
  try {
    co_await ServeConnection(*conn);
    // Closing a socket with unread input (pipelined requests after a "Connection: close" or a
    // malformed request) makes the kernel send a reset, which also drops the responses not yet
    // delivered: the client would lose answers to requests that ran. Half-close and drain first
    // (RFC 9112 section 9.6).
    error_code ec;
    if (conn->stream.socket().available(ec) > 0 && !ec) {
      conn->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_await DrainInput(*conn);
    }
  } catch (const std::exception& e) {
    spdlog::error("http: connection failed: {}", e.what());
  } catch (...) {
    spdlog::error("http: connection failed: unknown exception");
  }
  error_code ignored;
  conn->stream.socket().close(ignored);
  State& state = *conn->state;
  {
    std::lock_guard<std::mutex> lock(state.mu);
    state.connections.erase(conn.get());
  }
  state.active.fetch_sub(1, std::memory_order_relaxed);
}

net::awaitable<void> AcceptLoop(std::shared_ptr<State> state) {
  for (;;) {
    tcp::socket socket(net::make_strand(state->io));
    error_code ec;
    co_await state->acceptor.async_accept(socket, Redirect(ec));
    if (state->stopping.load()) co_return;
    if (ec) {
      if (ec == net::error::operation_aborted || ec == net::error::bad_descriptor) co_return;
      // E.g. out of file descriptors: back off instead of spinning.
      spdlog::warn("http: accept failed: {}", ec.message());
      net::steady_timer timer(co_await net::this_coro::executor, kAcceptErrorBackoff);
      co_await timer.async_wait(Redirect(ec));
      continue;
    }
    if (state->active.load(std::memory_order_relaxed) >= state->options.max_connections) {
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    state->active.fetch_add(1, std::memory_order_relaxed);
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    auto conn = std::make_shared<ConnectionState>(std::move(socket), state);
    if (!ec) conn->client_address = peer.address().to_string();
    {
      std::lock_guard<std::mutex> lock(state->mu);
      state->connections.emplace(conn.get(), conn);
    }
    auto executor = conn->stream.get_executor();
    net::co_spawn(executor, RunConnection(std::move(conn)), [](std::exception_ptr error) {
      if (error) spdlog::error("http: connection coroutine ended with an exception");
    });
  }
}

}  // namespace

// ---- ResponseStream ----

std::string_view ResponseStream::client_address() const {
  return connection_.client_address;
}

net::awaitable<Status> ResponseStream::Begin(HttpResponseHeader header) {
  if (started_) co_return Error::Internal("ResponseStream::Begin called twice");
  started_ = true;
  if (capture_ != nullptr) {
    capture_->status = static_cast<int>(header.result_int());
    capture_->content_type = std::string(header[bhttp::field::content_type]);
  }
  const ServerOptions& options = connection_.state->options;
  if (http_version_ < 11) keep_alive_ = false;  // no chunked encoding: the close ends the body
  bhttp::response<bhttp::empty_body> response(std::move(header));
  response.version(http_version_);
  response.keep_alive(keep_alive_ && !connection_.close_after_response);
  ApplyCors(response.base(), options, connection_.origin);
  if (http_version_ >= 11) response.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> serializer(response);
  error_code ec;
  connection_.stream.expires_after(Ms(options.request_timeout_ms));
  co_await bhttp::async_write_header(connection_.stream, serializer, Redirect(ec));
  if (ec) {
    failed_ = true;
    co_return StreamError(ec);
  }
  co_return OkStatus();
}

net::awaitable<Status> ResponseStream::Write(std::string_view data) {
  if (!started_ || finished_) co_return Error::Internal("ResponseStream::Write out of order");
  if (failed_) co_return Error{ErrorCode::kUnavailable, "client connection failed", {}};
  if (data.empty()) co_return OkStatus();
  if (capture_ != nullptr && !capture_->overflow) {
    if (capture_->body.size() + data.size() > capture_->limit_bytes) {
      capture_->overflow = true;
      capture_->body.clear();
    } else {
      capture_->body.append(data);
    }
  }
  // A client that closed its side gracefully (FIN) only makes a write fail one write later, so
  // look first: a zero-byte peek means the peer is gone, and the run should stop now.
  {
    char probe = 0;
    const ssize_t n = ::recv(connection_.stream.socket().native_handle(), &probe, 1,
                             MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) {
      failed_ = true;
      co_return Error{ErrorCode::kUnavailable, "client closed the connection", {}};
    }
  }
  error_code ec;
  connection_.stream.expires_after(Ms(connection_.state->options.request_timeout_ms));
  if (http_version_ >= 11) {
    co_await net::async_write(connection_.stream,
                              bhttp::make_chunk(net::const_buffer(data.data(), data.size())),
                              Redirect(ec));
  } else {
    co_await net::async_write(connection_.stream, net::const_buffer(data.data(), data.size()),
                              Redirect(ec));
  }
  if (ec) {
    failed_ = true;
    co_return StreamError(ec);
  }
  co_return OkStatus();
}

net::awaitable<Status> ResponseStream::Finish() {
  if (!started_ || finished_) co_return Error::Internal("ResponseStream::Finish out of order");
  if (failed_) co_return Error{ErrorCode::kUnavailable, "client connection failed", {}};
  finished_ = true;
  if (capture_ != nullptr && !capture_->overflow && capture_->on_complete) {
    co_await capture_->on_complete(*capture_);
  }
  if (http_version_ < 11) co_return OkStatus();
  error_code ec;
  connection_.stream.expires_after(Ms(connection_.state->options.request_timeout_ms));
  co_await net::async_write(connection_.stream, bhttp::make_chunk_last(), Redirect(ec));
  if (ec) {
    failed_ = true;
    co_return StreamError(ec);
  }
  co_return OkStatus();
}

// ---- HttpServer ----

HttpServer::HttpServer(net::io_context& io, ServerOptions options, Handler handler)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  Stop();
}

Result<uint16_t> HttpServer::Listen() {
  const ServerOptions& options = state_->options;
  error_code ec;
  std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    return Error::Invalid("host",
                          "cannot listen on host \"" + options.host + "\": not an IP address");
  }
  const tcp::endpoint endpoint(address, options.port);
  tcp::acceptor& acceptor = state_->acceptor;
  auto fail = [&](const char* what) -> Error {
    error_code ignored;
    acceptor.close(ignored);
    return Error{ErrorCode::kUnavailable,
                 std::string("cannot listen on ") + host + ":" + std::to_string(options.port) +
                     ": " + what + ": " + ec.message(),
                 {}};
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(options.listen_backlog, ec);
  if (ec) return fail("listen");
  const uint16_t port = acceptor.local_endpoint(ec).port();
  if (ec) return fail("local_endpoint");
  return port;
}

void HttpServer::Start() {
  if (state_->started.exchange(true)) return;
  net::co_spawn(state_->acceptor.get_executor(), AcceptLoop(state_), [](std::exception_ptr error) {
    if (error) spdlog::error("http: accept loop ended with an exception");
  });
}

void HttpServer::Stop() {
  if (state_->stopping.exchange(true)) return;
  std::shared_ptr<State> state = state_;
  net::post(state->acceptor.get_executor(), [state] {
    error_code ignored;
    state->acceptor.close(ignored);
  });
  std::lock_guard<std::mutex> lock(state->mu);
  for (auto& [raw, weak] : state->connections) {
    std::shared_ptr<ConnectionState> conn = weak.lock();
    if (!conn) continue;
    net::post(conn->stream.get_executor(), [conn] {
      if (conn->waiting_for_request) {
        conn->stream.cancel();
      } else {
        conn->close_after_response = true;
      }
    });
  }
}

size_t HttpServer::active_connections() const {
  return state_->active.load(std::memory_order_relaxed);
}

}  // namespace billing::http
