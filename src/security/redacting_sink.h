// RedactingSink: an spdlog sink that removes card-number-like digit runs (security/card_data.h)
// from every log line before handing it to the real sink, so that no card number reaches the
// logs whatever a message quotes (a tool error echoing its input, a rejected request).
//
// Thread-safety: as spdlog's base_sink with the given Mutex (std::mutex: safe from any thread).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>

#include "security/card_data.h"

namespace billing::security {

template <typename Mutex>
class RedactingSink final : public spdlog::sinks::base_sink<Mutex> {
 public:
  explicit RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!ContainsCardNumber(payload)) {
      inner_->log(msg);
      return;
    }
    const std::string redacted = RedactCardNumbers(payload);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(redacted.data(), redacted.size());
    inner_->log(copy);
  }
  void flush_() override { inner_->flush(); }
  // The inner sink formats the line.
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace billing::security
