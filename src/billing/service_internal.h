// Internal helpers of BillingService, shared by the files that define it (service.cc,
// invoice_service.cc, payment_service.cc): input limits, money text in messages, audit rows, page
// checks and operation-key fingerprints. Not part of the public API: include only from those files;
// everyone else uses billing/service.h.
//
// Thread-safety: constants and pure functions over values; safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "billing/audit.h"
#include "billing/types.h"
#include "common/result.h"
#include "money/money.h"
#include "store/store.h"

namespace billing::internal {

inline constexpr size_t kMaxNotesBytes = 2000;
// A customer keeps at most this many stored cards, so a customer's view lists every one of them.
inline constexpr int kMaxStoredCardsPerCustomer = 100;
// Plans: every one fits the one page ListPlans reads (CreatePlan refuses more).
inline constexpr int kMaxPlans = 1000;

// ASCII lower case: how plan names compare (any case names the same plan).
inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

// The outboxes' retry rule (integration.md "Webhooks"; email uses it too): after the failed
// attempt number `attempts` (1, 2, ...), the next one waits waits[attempts - 1] ± 10% (jitter_bp,
// 0..10000, draws where in that band); none (give up) when the waits are used up or the item was
// made more than kWebhookGiveUpMs ago.
inline std::optional<std::string> NextAttemptAt(int attempts, const std::vector<int64_t>& waits,
                                                const std::string& created_at, int64_t now_ms,
                                                int64_t jitter_bp) {
  if (attempts < 1 || attempts > int(waits.size())) return std::nullopt;
  if (created_at < Iso8601FromUnixMs(now_ms - kWebhookGiveUpMs)) return std::nullopt;
  const int64_t delay_ms = waits[size_t(attempts - 1)] * 1000;
  const int64_t jitter_ms = delay_ms / 10 * (jitter_bp - 5000) / 5000;
  return Iso8601FromUnixMs(now_ms + delay_ms + jitter_ms);
}

inline std::string Money(int64_t cents, std::string_view currency = "USD") {
  return FormatMoney(cents, currency);
}

inline AuditEntry Change(const Actor& actor, const std::string& request_id, const char* action,
                         const char* entity_type, const std::string& entity_id,
                         const nlohmann::json& before, const nlohmann::json& after) {
  AuditEntry e;
  e.actor = actor.principal;
  e.on_behalf_of = actor.on_behalf_of;
  e.request_id = request_id;
  e.action = action;
  e.entity_type = entity_type;
  e.entity_id = entity_id;
  e.before_json = AuditDump(before);
  e.after_json = AuditDump(after);
  return e;
}

// A page asked of the service: the caller's error (the tools' schemas bound limit and offset).
// The invoice filter of a list's `status` ("" = every status; overdue is derived). "draft" is
// not one: drafts are kept apart and listed by their own reads.
inline Result<InvoiceStatusFilter> InvoiceStatusFilterOf(const std::string& status) {
  if (status.empty()) return InvoiceStatusFilter::kAll;
  if (status == "pending") return InvoiceStatusFilter::kPending;
  if (status == "overdue") return InvoiceStatusFilter::kOverdue;
  if (status == "paid") return InvoiceStatusFilter::kPaid;
  if (status == "cancelled") return InvoiceStatusFilter::kCancelled;
  return Error::Invalid("status", "status must be one of pending, paid, overdue, cancelled, draft");
}

inline Status CheckPage(const PageSpec& page) {
  if (page.limit < 1 || page.limit > kMaxPageRows) {
    return Error::Invalid("limit", "limit must be from 1 to " + std::to_string(kMaxPageRows));
  }
  if (page.offset < 0) return Error::Invalid("offset", "offset must not be negative");
  return OkStatus();
}

// A hash of an operation's parameters (unit-separated), for operation keys.
inline Result<std::string> Fingerprint(std::initializer_list<std::string_view> parts) {
  std::string joined;
  for (std::string_view part : parts) {
    joined.append(part);
    joined.push_back('\x1f');
  }
  return Sha256Hex(joined);
}

}  // namespace billing::internal
