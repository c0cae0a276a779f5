// Customer-bound callers (integration.md "Access"; OWASP API1, broken object level
// authorisation): an API key made with --customer, or a JWT with claim customer_id, acts for that
// one customer. Through every tool action (from the agent, the tool routes or the REST API) and
// every REST read it sees and changes that customer's records only:
//   - an id of another customer's record answers kNotFound worded exactly as for an id that does
//     not exist ("Invoice INV-2025-003 not found", field invoiceId);
//   - a list is narrowed to the customer (its customerId filter is set, or checked);
//   - an action that spans customers or changes the catalog (creating customers or coupons,
//     renewals and dunning across customers) is kPermissionDenied.
// This file is the one home of those rules: BillingTool::Execute applies BindToolInput to every
// tool call of a bound caller, and the REST reads call RequireOwned.
//
// Thread-safety: stateless functions over a thread-safe BillingService.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "billing/service.h"
#include "common/result.h"

namespace billing {

// The kinds of record an id can name, for RequireOwned.
enum class OwnedKind { kCustomer, kInvoice, kPayment, kSubscription, kCreditNote, kRefund };

// OK when the record `id` of `kind` belongs to `customer` (canonical id); kNotFound, as if it did
// not exist, when it belongs to another; the lookup's own error when there is none.
Status RequireOwned(BillingService& service, OwnedKind kind, const std::string& id,
                    const std::string& customer);

// The input a bound caller's tool call runs with: `args` (schema-valid) with list filters set to
// `customer` and a missing customerId filled in; an error (see above) when the call reaches
// another customer's record or spans customers.
Result<nlohmann::json> BindToolInput(BillingService& service, std::string_view tool_id,
                                     nlohmann::json args, const std::string& customer);

}  // namespace billing
