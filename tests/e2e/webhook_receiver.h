// WebhookReceiver: a webhook receiver for the end-to-end tests, written from the wire format of
// docs/webhooks.md. It listens on 127.0.0.1 (a fixed port can be reused after Stop(), so a test
// can take it down and bring it back), serves HTTP/1.1 keep-alive on its own thread, records every
// request, and answers 200, or what the test sets (a status, a redirect, a delay).
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace billing::e2e {

struct ReceivedWebhook {
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class WebhookReceiver {
 public:
  WebhookReceiver();
  ~WebhookReceiver();

  // Listens on `port` (0 = any free one); returns the port, 0 on failure.
  int Start(int port = 0);
  void Stop();  // closes the listener and every connection: the receiver is "down"
  int port() const { return port_; }

  void AnswerWith(int status) { status_ = status; }
  void RedirectTo(const std::string& location);  // 302 with this Location
  void DelayMs(int ms) { delay_ms_ = ms; }

  std::vector<ReceivedWebhook> Received() const;
  size_t Count() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::atomic<int> status_{200};
  std::atomic<int> delay_ms_{0};
  int port_ = 0;
};

// Whether `signature` (the Billing-Signature header) holds a v1= HMAC-SHA256 of "<t>." + body
// made with `secret`.
bool SignatureValid(const std::string& signature, const std::string& body,
                    const std::string& secret);

}  // namespace billing::e2e
