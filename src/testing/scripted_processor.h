// ScriptedProcessor: a PaymentProcessor (billing/processor.h) for tests that declines a
// customer's charges as scripted and records every call. Test code only.
//
// Thread-safety: safe to call from many threads (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "billing/processor.h"

namespace billing::test_support {

// A processor that declines a customer's charges as scripted: the n-th charge of a customer gets
// the n-th code ("" approves); charges past the script are approved.
class ScriptedProcessor final : public PaymentProcessor {
 public:
  void Script(const std::string& customer, std::vector<std::string> codes) {
    std::lock_guard<std::mutex> lock(mu_);
    script_[customer] = std::move(codes);
  }
  ChargeDecision Charge(const ChargeRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(r);
    size_t& n = next_[r.customer_id];
    const std::vector<std::string>& codes = script_[r.customer_id];
    const std::string code = n < codes.size() ? codes[n] : "";
    ++n;
    return code.empty() ? ChargeDecision{true, ""} : ChargeDecision{false, code};
  }
  std::vector<ChargeRequest> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> script_;
  std::map<std::string, size_t> next_;
  std::vector<ChargeRequest> calls_;
};

}  // namespace billing::test_support
