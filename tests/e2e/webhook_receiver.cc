// The test webhook receiver; see webhook_receiver.h.
#include "e2e/webhook_receiver.h"

#include <openssl/hmac.h>
#include <sys/socket.h>

#include <chrono>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace billing::e2e {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

struct WebhookReceiver::State {
  net::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread accept_thread;
  std::mutex mu;
  std::vector<ReceivedWebhook> received;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::vector<std::thread> workers;
  std::string redirect;
  std::atomic<bool> running{false};
};

WebhookReceiver::WebhookReceiver() : state_(std::make_shared<State>()) {}

WebhookReceiver::~WebhookReceiver() {
  Stop();
}

void WebhookReceiver::RedirectTo(const std::string& location) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->redirect = location;
}

int WebhookReceiver::Start(int port) {
  State& s = *state_;
  boost::system::error_code ec;
  s.acceptor = std::make_unique<tcp::acceptor>(s.io);
  s.acceptor->open(tcp::v4(), ec);
  s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  s.acceptor->bind({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
  if (ec) return 0;
  s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return 0;
  port_ = s.acceptor->local_endpoint().port();
  s.running = true;
  s.accept_thread = std::thread([this] {
    State& st = *state_;
    while (st.running) {
      auto socket = std::make_shared<tcp::socket>(st.io);
      boost::system::error_code aec;
      st.acceptor->accept(*socket, aec);
      if (aec) break;
      std::lock_guard<std::mutex> lock(st.mu);
      st.sockets.push_back(socket);
      st.workers.emplace_back([this, socket] {
        State& w = *state_;
        boost::beast::flat_buffer buffer;
        for (;;) {
          http::request<http::string_body> request;
          boost::system::error_code rec;
          http::read(*socket, buffer, request, rec);
          if (rec) return;
          ReceivedWebhook got;
          got.target = std::string(request.target());
          for (const auto& field : request) {
            std::string name(field.name_string());
            for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
            got.headers[name] = std::string(field.value());
          }
          got.body = request.body();
          std::string redirect;
          {
            std::lock_guard<std::mutex> l(w.mu);
            w.received.push_back(std::move(got));
            redirect = w.redirect;
          }
          if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
          http::response<http::string_body> response;
          response.version(11);
          response.keep_alive(request.keep_alive());
          if (!redirect.empty()) {
            response.result(http::status::found);
            response.set(http::field::location, redirect);
          } else {
            response.result(static_cast<unsigned>(status_.load()));
          }
          response.body() = "ok";
          response.prepare_payload();
          http::write(*socket, response, rec);
          if (rec || !request.keep_alive()) return;
        }
      });
    }
  });
  return port_;
}

void WebhookReceiver::Stop() {
  State& s = *state_;
  if (!s.running.exchange(false)) return;
  boost::system::error_code ec;
  // A thread blocked in accept() wakes on shutdown() of the listening socket, not on close().
  ::shutdown(s.acceptor->native_handle(), SHUT_RDWR);
  s.acceptor->close(ec);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    for (auto& socket : s.sockets) {
      socket->shutdown(tcp::socket::shutdown_both, ec);
      socket->close(ec);
    }
    s.sockets.clear();
    workers.swap(s.workers);
  }
  if (s.accept_thread.joinable()) s.accept_thread.join();
  for (auto& t : workers) t.join();
}

std::vector<ReceivedWebhook> WebhookReceiver::Received() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->received;
}

size_t WebhookReceiver::Count() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->received.size();
}

bool SignatureValid(const std::string& signature, const std::string& body,
                    const std::string& secret) {
  std::string t;
  std::vector<std::string> macs;
  size_t start = 0;
  while (start < signature.size()) {
    size_t comma = signature.find(',', start);
    if (comma == std::string::npos) comma = signature.size();
    const std::string part = signature.substr(start, comma - start);
    if (part.rfind("t=", 0) == 0) t = part.substr(2);
    if (part.rfind("v1=", 0) == 0) macs.push_back(part.substr(3));
    start = comma + 1;
  }
  if (t.empty()) return false;
  const std::string payload = t + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), int(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  std::string hex;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex += kDigits[mac[i] >> 4];
    hex += kDigits[mac[i] & 15];
  }
  for (const std::string& m : macs) {
    if (m == hex) return true;
  }
  return false;
}

}  // namespace billing::e2e
