// HttpServer: an HTTP/1.1 server (Boost.Beast) that hands each request to one Handler coroutine.
//
// One coroutine per connection, on its own strand of a shared io_context that any number of
// threads may run. Connections are kept alive between requests. Every connection is bounded:
// header size (header_limit_bytes → 431), body size (body_limit_bytes → 413
// {"error":"Request body too large"}), the wait for the next request (idle_timeout_ms), the time
// to read one request and to write each response part (request_timeout_ms), and the number of
// open connections (max_connections; extra ones are closed at once). A handler that throws gets a
// 500 {"error":"Internal Server Error"} (the detail goes to the log only); nothing a client sends
// can take the server down.
//
// A handler normally returns a whole response, which is written with one async_write. To stream
// (SSE, chunked), it calls ResponseStream::Begin/Write/Finish on the stream it is given instead;
// the response it then returns is ignored.
//
// Thread-safety: Listen/Start/Stop may be called from any thread (Stop is idempotent). The
// handler runs concurrently on the io_context's threads and must be safe for that. The server's
// shared state is reference-counted, so connections still draining after the HttpServer object is
// destroyed stay valid; the Handler's captures must outlive the io_context's threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/result.h"

namespace billing::http {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using HttpResponseHeader = boost::beast::http::response_header<>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4111;               // 0 = an ephemeral port (Listen() returns it)
  size_t body_limit_bytes = 4718592;  // 4.5 MiB, Mastra's limit
  uint32_t header_limit_bytes = 16 * 1024;
  int request_timeout_ms = 180000;  // read one request; write each response (part)
  int idle_timeout_ms = 60000;      // wait for the next request on a kept-alive connection
  size_t max_connections = 10000;
  int listen_backlog = 1024;
  // Sent as access-control-allow-origin (plus access-control-expose-headers) on every response
  // that does not set it itself, including the server's own 4xx/5xx. Empty: no CORS headers
  // unless the request's Origin is in cors_allowed_origins.
  std::string cors_allow_origin = "*";
  // With cors_allow_origin empty: the origins that may call from a browser; a request whose
  // Origin is listed gets it echoed back (with Vary: Origin), any other gets no CORS headers.
  std::vector<std::string> cors_allowed_origins;
};

struct ConnectionState;  // server.cc

// Lets a handler write a chunked response incrementally. Valid only during the handler call.
// Every write is bounded by request_timeout_ms; an error (client gone, timeout) comes back as a
// kUnavailable Status, after which the handler should stop writing.
class ResponseStream {
 public:
  ResponseStream(ConnectionState& connection, unsigned http_version, bool keep_alive)
      : connection_(connection), http_version_(http_version), keep_alive_(keep_alive) {}
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // Sends the status line and `header` with Transfer-Encoding: chunked. Once, before Write.
  boost::asio::awaitable<Status> Begin(HttpResponseHeader header);
  // Sends `data` as one chunk (nothing for empty data).
  boost::asio::awaitable<Status> Write(std::string_view data);
  // Sends the last chunk. After it the connection can carry the next request.
  boost::asio::awaitable<Status> Finish();

  bool started() const { return started_; }
  bool finished() const { return finished_; }
  bool failed() const { return failed_; }

  // The TCP peer's address ("127.0.0.1", "::1"); "" when unknown. Rate limits key on it.
  std::string_view client_address() const;

  // A copy of a streamed response, so that it can be stored and replayed (Idempotency-Key):
  // Begin records the status and content type, Write appends the data until limit_bytes is
  // exceeded (then overflow is set and the copy is unusable).
  struct Capture {
    size_t limit_bytes = 0;
    int status = 0;
    std::string content_type;
    std::string body;
    bool overflow = false;
    // Awaited by Finish() before the last chunk is sent (so a client that sees the end of the
    // response can rely on what it did), unless the copy overflowed. A coroutine, so that it
    // can wait for a durable write off the I/O thread.
    std::function<boost::asio::awaitable<void>(const Capture&)> on_complete;
  };
  // Starts capturing into `capture` (which must outlive the handler call); nullptr stops.
  void CaptureInto(Capture* capture) { capture_ = capture; }

 private:
  ConnectionState& connection_;
  unsigned http_version_;
  bool keep_alive_;
  bool started_ = false;
  bool finished_ = false;
  bool failed_ = false;
  Capture* capture_ = nullptr;
};

// Handles one request. `request` may be moved from. Runs on the connection's strand.
using Handler = std::function<boost::asio::awaitable<HttpResponse>(HttpRequest& request,
                                                                   ResponseStream& stream)>;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, ServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on options.host:options.port. Returns the bound port (useful with port 0).
  // Errors: kInvalidArgument (bad host), kUnavailable (address in use, permission).
  Result<uint16_t> Listen();
  // Starts accepting connections (after a successful Listen). Returns at once.
  void Start();
  // Stops accepting, closes idle connections and lets busy ones finish their current request.
  void Stop();

  size_t active_connections() const;

  struct State;  // server.cc

 private:
  std::shared_ptr<State> state_;
};

// A JSON response: status, content-type application/json, `body`.
HttpResponse JsonResponse(boost::beast::http::status status, std::string body);
// {"error": message} with `status`.
HttpResponse JsonError(boost::beast::http::status status, std::string_view message);

}  // namespace billing::http
