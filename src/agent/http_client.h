// A small asynchronous HTTP/1.1 client (Boost.Beast) for talking to model providers: one request,
// one fully buffered response (Send), or one response whose 2xx body is handed out piece by piece
// as it arrives (SendStreaming: server-sent events). http and https (TLS with SNI, certificate and host-name
// verification against the system trust store). Every request has a deadline (timeout_ms) that
// covers name resolution, connect, TLS handshake, writing and reading; the response body is
// bounded (max_response_body_bytes). Idle keep-alive connections are pooled per host (bounded
// count per host, bounded number of hosts, bounded idle age) and reused; a request that fails on a
// reused connection before any response byte arrives is retried once on a fresh connection.
//
// Errors are values: kInvalidArgument (bad URL), kUnavailable (DNS, connect, TLS, timeout, peer
// closed), kInternal (response too large or unparseable). HTTP error statuses are NOT errors here:
// the caller gets the response and decides.
//
// Thread-safety: Send() may be called concurrently from any thread or coroutine. All socket I/O
// of one client runs on one internal strand (model calls are few and slow; this keeps the pool
// and the per-connection state free of data races). The client must outlive every Send() call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/result.h"

namespace billing {

// An absolute http(s) URL split into the parts a request needs.
struct ParsedUrl {
  std::string scheme;  // "http" | "https"
  std::string host;    // without brackets for IPv6 literals
  std::string port;    // explicit or the scheme default ("80" / "443")
  std::string target;  // path + query, at least "/"
  bool https() const { return scheme == "https"; }
  bool default_port() const { return port == (https() ? "443" : "80"); }
  static Result<ParsedUrl> Parse(std::string_view url);
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute: http://host[:port]/path or https://...
  HttpHeaders headers;  // Host, Content-Length and Connection are set by the client
  std::string body;
  int timeout_ms = 60000;  // whole exchange, from resolve to the last body byte
  size_t max_response_body_bytes = 8u << 20;
  // SendStreaming only: timeout_ms covers resolve to the response headers; after that each read
  // of body bytes may wait at most this long (0: timeout_ms). Time spent in the body handler
  // does not count.
  int read_timeout_ms = 0;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names as received
  std::string body;
  // The first header with this name (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

// Receives a streamed 2xx body piece by piece (`head` has the status and headers, no body).
// Returns false to stop reading: the connection is then closed, not pooled. Awaited: it may do
// slow I/O of its own (the next read waits for it). It runs on the client's internal strand,
// one call at a time; what it touches must not be used concurrently by anyone else meanwhile
// (the caller of SendStreaming is suspended until it returns, so the caller's own state is fine).
using BodyChunkHandler =
    std::function<boost::asio::awaitable<bool>(const HttpResponse& head, std::string_view bytes)>;

struct HttpClientOptions {
  // Idle keep-alive connections kept per scheme://host:port (bounded to [0, 8192]). As many as
  // model calls run at once: a connection closed after its call costs the next call a TCP (and
  // TLS) handshake (with 4, most calls at c=16 opened a new connection).
  int max_idle_per_host = 2048;
  int max_pooled_hosts = 16;      // distinct hosts with an idle pool
  int idle_timeout_ms = 30000;    // idle connections older than this are closed, not reused
  bool verify_peer = true;        // https: verify the certificate chain and the host name
  std::string ca_file;            // extra trust anchors (PEM), e.g. for a test CA; "" = none
  std::string user_agent = "billing-agent/0.1";
};

class HttpClient {
 public:
  explicit HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  boost::asio::awaitable<Result<HttpResponse>> Send(HttpRequest request);

  // Like Send, but the body of a 2xx response goes to `on_body` as it arrives (at most 16 KiB
  // per call, max_response_body_bytes in total) and the returned response has an empty body;
  // a non-2xx response is buffered whole, as Send does. An error after some body bytes were
  // handed out is kUnavailable (timeout, peer closed) or kInternal (too large, malformed);
  // only a failure before any response byte on a reused connection is retried.
  boost::asio::awaitable<Result<HttpResponse>> SendStreaming(HttpRequest request,
                                                             BodyChunkHandler on_body);

  // Idle connections currently pooled (all hosts); for tests and metrics.
  size_t IdleConnectionCount() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace billing
