// Scopes: what a caller may do. Nine scopes (read, invoice, payment, refund, subscriptions,
// customers, webhooks, act_on_behalf, admin); admin implies all the others. act_on_behalf lets a caller name the end
// user it acts for (a CometChat sender, a requestContext userId): the claim is recorded beside the
// caller in every change it makes (billing/types.h Actor); without the scope a claim is refused
// (403). The scope each tool action needs lives in one table, here (RequiredScope), and is enforced
// by BillingTool::Execute for every tool call, whether it comes from the agent loop or from the
// HTTP tool routes.
//
// Thread-safety: pure functions over constant data; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace billing {

enum class Scope : uint32_t {
  kRead = 1u << 0,
  kInvoice = 1u << 1,
  kPayment = 1u << 2,
  kRefund = 1u << 3,
  kAdmin = 1u << 4,
  kActOnBehalf = 1u << 5,
  kSubscriptions = 1u << 6,
  kCustomers = 1u << 7,
  kWebhooks = 1u << 8,  // manage webhook endpoints and their deliveries
  kEvents = 1u << 9,    // read the event stream (/api/events, /api/v1/events), with `read`
};

// A set of scopes as a bit mask of Scope values.
using ScopeSet = uint32_t;

inline constexpr ScopeSet kNoScopes = 0;
inline constexpr ScopeSet kAllScopes = 0x3ff;

constexpr ScopeSet ScopeBit(Scope s) { return static_cast<ScopeSet>(s); }

// True when `scopes` grants `needed` (admin grants everything).
constexpr bool HasScope(ScopeSet scopes, Scope needed) {
  return (scopes & ScopeBit(Scope::kAdmin)) != 0 || (scopes & ScopeBit(needed)) != 0;
}

// "read", "invoice", "payment", "refund", "subscriptions", "customers", "admin",
// "act_on_behalf".
const char* ScopeName(Scope s);
// The scope called `name`, or an error (kInvalidArgument) for an unknown name.
Result<Scope> ParseScopeName(std::string_view name);
// A list separated by commas and/or spaces ("read,invoice", "read invoice"). With `strict`, an
// unknown name is an error (kInvalidArgument naming it); without, it is skipped (JWT scope
// claims may carry other services' scopes). Empty input is the empty set.
Result<ScopeSet> ParseScopeList(std::string_view text, bool strict);
// "read,invoice" in the canonical order; "" for none.
std::string FormatScopes(ScopeSet scopes);

// What a tool action needs: the scope and a phrase for the denial message.
struct ScopeRequirement {
  Scope scope;
  const char* what;  // "refund payments"
};

// The one table: get-customer → read; manage-invoices get/list → read, create/update/cancel/
// finalize/delete/credit_note → invoice (a credit note that refunds also needs refund, checked
// by the tool), mark_paid → payment; process-payment history/list_failed → read, process →
// payment, refund → refund; manage-subscriptions list_plans/get/list/renewals → read,
// create/change/cancel → subscriptions; manage-customers create/update/suspend/reinstate →
// customers. Anything not in the table needs admin.
ScopeRequirement RequiredScope(std::string_view tool_id, std::string_view action);

// "This caller lacks the 'refund' scope needed to refund payments".
std::string PermissionDeniedMessage(const ScopeRequirement& requirement);

}  // namespace billing
