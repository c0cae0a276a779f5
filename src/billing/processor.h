// The payment processor a charge goes to: an interface, so that tests (and a later real
// integration) decide approvals and declines; BillingService simulates one when none is given
// (BillingOptions::processor_mode). A decline carries the processor's code: a hard one
// (collection_rules.h IsHardDecline) is never retried.
//
// Thread-safety: implementations must be safe to call from many threads.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"

namespace billing {

struct ChargeRequest {
  std::string customer_id;
  std::string invoice_id;
  int64_t amount_cents = 0;
  std::string currency = "USD";
  std::string method;             // kPaymentMethods
  std::string payment_method_id;  // the stored card charged (PM-001), if any
  int attempt = 1;                // 1 = the first charge, 2... = its retries
  Date date;                      // the billing run's date
};

struct ChargeDecision {
  bool approved = false;
  std::string decline_code;  // card_declined, insufficient_funds, expired_card, stolen_card, ...
};

class PaymentProcessor {
 public:
  virtual ~PaymentProcessor() = default;
  virtual ChargeDecision Charge(const ChargeRequest& request) = 0;
};

}  // namespace billing
