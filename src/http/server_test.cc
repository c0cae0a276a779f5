#include "http/server.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace billing::http {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

// Routes: /ok → 200 JSON; /throw → handler throws; /stream → chunked "a","b","c"; /echo → body.
net::awaitable<HttpResponse> TestHandler(HttpRequest& request, ResponseStream& stream) {
  if (request.target() == "/throw") throw std::runtime_error("secret detail");
  if (request.target() == "/stream") {
    HttpResponseHeader header;
    header.result(bhttp::status::ok);
    header.set(bhttp::field::content_type, "text/event-stream");
    if (!(co_await stream.Begin(std::move(header))).ok()) co_return HttpResponse{};
    for (const char* part : {"a", "b", "c"}) {
      if (!(co_await stream.Write(part)).ok()) co_return HttpResponse{};
    }
    (void)co_await stream.Finish();
    co_return HttpResponse{};
  }
  if (request.target() == "/echo") co_return JsonResponse(bhttp::status::ok, request.body());
  co_return JsonResponse(bhttp::status::ok, "{\"ok\":true}");
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.body_limit_bytes = 1024;
    server_ = std::make_unique<HttpServer>(io_, options, TestHandler);
    Result<uint16_t> port = server_->Listen();
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = port.value();
    server_->Start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    server_->Stop();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  tcp::socket Connect() {
    tcp::socket socket(client_io_);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    return socket;
  }

  bhttp::response<bhttp::string_body> Send(tcp::socket& socket, bhttp::verb method,
                                           const std::string& target, std::string body = {},
                                           bool keep_alive = true) {
    bhttp::request<bhttp::string_body> request{method, target, 11};
    request.set(bhttp::field::host, "localhost");
    request.body() = std::move(body);
    request.keep_alive(keep_alive);
    request.prepare_payload();
    bhttp::write(socket, request);
    bhttp::response<bhttp::string_body> response;
    bhttp::read(socket, buffer_, response);
    return response;
  }

  net::io_context io_;
  net::io_context client_io_;
  std::unique_ptr<HttpServer> server_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  boost::beast::flat_buffer buffer_;
};

TEST_F(ServerTest, KeepAliveJsonWithCors) {
  tcp::socket socket = Connect();
  for (int i = 0; i < 3; ++i) {
    auto response = Send(socket, bhttp::verb::get, "/ok");
    EXPECT_EQ(response.result(), bhttp::status::ok);
    EXPECT_EQ(response.body(), "{\"ok\":true}");
    EXPECT_EQ(response[bhttp::field::content_type], "application/json");
    EXPECT_EQ(response[bhttp::field::access_control_allow_origin], "*");
    EXPECT_TRUE(response.keep_alive());
  }
  EXPECT_EQ(server_->active_connections(), 1u);
}

TEST_F(ServerTest, HandlerExceptionIsGeneric500) {
  tcp::socket socket = Connect();
  auto response = Send(socket, bhttp::verb::get, "/throw");
  EXPECT_EQ(response.result(), bhttp::status::internal_server_error);
  EXPECT_EQ(response.body(), "{\"error\":\"Internal Server Error\"}");
  // The connection survives.
  EXPECT_EQ(Send(socket, bhttp::verb::get, "/ok").result(), bhttp::status::ok);
}

TEST_F(ServerTest, ChunkedStreamThenNextRequest) {
  tcp::socket socket = Connect();
  auto response = Send(socket, bhttp::verb::get, "/stream");
  EXPECT_EQ(response.result(), bhttp::status::ok);
  EXPECT_TRUE(response.chunked());
  EXPECT_EQ(response.body(), "abc");
  EXPECT_EQ(response[bhttp::field::access_control_allow_origin], "*");
  EXPECT_EQ(Send(socket, bhttp::verb::get, "/ok").result(), bhttp::status::ok);
}

TEST_F(ServerTest, BodyOverLimitIs413AndClose) {
  tcp::socket socket = Connect();
  auto ok = Send(socket, bhttp::verb::post, "/echo", std::string(1024, 'x'));
  EXPECT_EQ(ok.result(), bhttp::status::ok);
  auto response = Send(socket, bhttp::verb::post, "/echo", std::string(1025, 'x'));
  EXPECT_EQ(response.result(), bhttp::status::payload_too_large);
  EXPECT_EQ(response.body(), "{\"error\":\"Request body too large\"}");
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(ServerTest, GarbageIs400) {
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  bhttp::response<bhttp::string_body> response;
  bhttp::read(socket, buffer_, response);
  EXPECT_EQ(response.result(), bhttp::status::bad_request);
  EXPECT_EQ(response.body(), "{\"error\":\"Bad Request\"}");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  tcp::socket socket = Connect();
  auto response = Send(socket, bhttp::verb::get, "/ok", {}, /*keep_alive=*/false);
  EXPECT_FALSE(response.keep_alive());
  char byte;
  boost::system::error_code ec;
  net::read(socket, net::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, net::error::eof);
}

TEST_F(ServerTest, StopClosesIdleConnections) {
  tcp::socket socket = Connect();
  EXPECT_EQ(Send(socket, bhttp::verb::get, "/ok").result(), bhttp::status::ok);
  server_->Stop();
  char byte;
  boost::system::error_code ec;
  net::read(socket, net::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
  for (int i = 0; i < 100 && server_->active_connections() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->active_connections(), 0u);
}

TEST(ServerListenTest, BadHostIsAnError) {
  net::io_context io;
  ServerOptions options;
  options.host = "not an address";
  HttpServer server(io, options, TestHandler);
  Result<uint16_t> port = server.Listen();
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace billing::http
