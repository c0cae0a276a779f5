// An SMTP server for the email end-to-end tests: runs tests/e2e/smtp_sink.py (Debian's
// python3-aiosmtpd) on 127.0.0.1 and reads the messages it accepted, decoded, as JSON
// ({"mailFrom","rcptTos","from","to","subject","date","messageId","eventId","contentLanguage",
// "contentType","parts" (every part's type, depth first),"text","html","defects"}).
//
// Thread-safety: one per test; not shared between threads.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace billing::e2e {

class SmtpSink {
 public:
  // port 0 = a free one; dir "" = a new temporary directory (removed with the sink).
  explicit SmtpSink(int port = 0, std::string dir = "");
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  bool started() const { return port_ != 0; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  void Stop();  // SIGTERM and wait; the messages stay readable

  // Every message accepted so far, in arrival order.
  std::vector<nlohmann::json> Messages() const;
  // Waits until at least `n` messages arrived or `timeout_ms` passed; returns them all.
  std::vector<nlohmann::json> WaitFor(size_t n, int timeout_ms = 30000) const;

 private:
  std::string dir_;
  bool owns_dir_ = false;
  int pid_ = -1;
  int port_ = 0;
};

}  // namespace billing::e2e
