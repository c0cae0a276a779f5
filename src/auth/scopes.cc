#include "auth/scopes.h"

#include <array>

namespace billing {
namespace {

struct ScopeEntry {
  Scope scope;
  const char* name;
};
constexpr std::array<ScopeEntry, 10> kScopes = {{{Scope::kRead, "read"},
                                                {Scope::kInvoice, "invoice"},
                                                {Scope::kPayment, "payment"},
                                                {Scope::kRefund, "refund"},
                                                {Scope::kSubscriptions, "subscriptions"},
                                                {Scope::kCustomers, "customers"},
                                                {Scope::kWebhooks, "webhooks"},
                                                {Scope::kEvents, "events"},
                                                {Scope::kActOnBehalf, "act_on_behalf"},
                                                {Scope::kAdmin, "admin"}}};

struct ActionEntry {
  std::string_view tool_id;
  std::string_view action;  // "" for a tool without actions
  ScopeRequirement requirement;
};
// The scope table (see scopes.h). Keep it the only place that maps actions to scopes.
constexpr std::array<ActionEntry, 37> kActions = {{
    {"get-customer", "", {Scope::kRead, "read customers"}},
    {"manage-invoices", "get", {Scope::kRead, "read invoices"}},
    {"manage-invoices", "list", {Scope::kRead, "list invoices"}},
    {"manage-invoices", "create", {Scope::kInvoice, "create invoices"}},
    {"manage-invoices", "update", {Scope::kInvoice, "update invoices"}},
    {"manage-invoices", "cancel", {Scope::kInvoice, "cancel invoices"}},
    {"manage-invoices", "mark_paid", {Scope::kPayment, "mark invoices paid"}},
    {"manage-invoices", "finalize", {Scope::kInvoice, "finalize invoices"}},
    {"manage-invoices", "delete", {Scope::kInvoice, "delete draft invoices"}},
    // A credit note that refunds money also needs refund (the tool checks it).
    {"manage-invoices", "credit_note", {Scope::kInvoice, "issue credit notes"}},
    {"manage-invoices", "list_coupons", {Scope::kRead, "list coupons"}},
    {"manage-invoices", "create_coupon", {Scope::kInvoice, "create coupons"}},
    {"manage-invoices", "archive_coupon", {Scope::kInvoice, "archive coupons"}},
    {"process-payment", "history", {Scope::kRead, "read payment history"}},
    {"process-payment", "list_failed", {Scope::kRead, "list failed payments"}},
    {"process-payment", "list", {Scope::kRead, "list payments"}},
    {"process-payment", "process", {Scope::kPayment, "process payments"}},
    {"process-payment", "refund", {Scope::kRefund, "refund payments"}},
    {"manage-subscriptions", "list_plans", {Scope::kRead, "list plans"}},
    {"manage-subscriptions", "get", {Scope::kRead, "read subscriptions"}},
    {"manage-subscriptions", "list", {Scope::kRead, "list subscriptions"}},
    {"manage-subscriptions", "renewals", {Scope::kRead, "list renewals"}},
    {"manage-subscriptions", "dunning", {Scope::kRead, "list customers in dunning"}},
    {"manage-subscriptions", "create_plan", {Scope::kSubscriptions, "create plans"}},
    {"manage-subscriptions", "create", {Scope::kSubscriptions, "create subscriptions"}},
    {"manage-subscriptions", "change", {Scope::kSubscriptions, "change subscriptions"}},
    {"manage-subscriptions", "cancel", {Scope::kSubscriptions, "cancel subscriptions"}},
    {"billing-reports", "aging", {Scope::kRead, "read the aging report"}},
    {"billing-reports", "revenue", {Scope::kRead, "read the revenue report"}},
    {"billing-reports", "mrr", {Scope::kRead, "read the recurring revenue report"}},
    {"billing-reports", "payment_success", {Scope::kRead, "read the payment success report"}},
    {"billing-reports", "ltv", {Scope::kRead, "read customer lifetime values"}},
    {"billing-reports", "forecast", {Scope::kRead, "read the forecast"}},
    {"manage-customers", "create", {Scope::kCustomers, "create customers"}},
    {"manage-customers", "update", {Scope::kCustomers, "update customers"}},
    {"manage-customers", "suspend", {Scope::kCustomers, "suspend customers"}},
    {"manage-customers", "reinstate", {Scope::kCustomers, "reinstate customers"}},
}};

}  // namespace

const char* ScopeName(Scope s) {
  for (const ScopeEntry& e : kScopes) {
    if (e.scope == s) return e.name;
  }
  return "unknown";
}

Result<Scope> ParseScopeName(std::string_view name) {
  for (const ScopeEntry& e : kScopes) {
    if (name == e.name) return e.scope;
  }
  return Error::Invalid(
      "scopes",
      "unknown scope '" + std::string(name.substr(0, 64)) +
          "' (scopes: read, invoice, payment, refund, subscriptions, customers, act_on_behalf, "
          "admin)");
}

Result<ScopeSet> ParseScopeList(std::string_view text, bool strict) {
  ScopeSet out = kNoScopes;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ',' || text[i] == ' ' || text[i] == '\t')) ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ',' && text[j] != ' ' && text[j] != '\t') ++j;
    if (j > i) {
      Result<Scope> s = ParseScopeName(text.substr(i, j - i));
      if (s.ok()) {
        out |= ScopeBit(*s);
      } else if (strict) {
        return s.error();
      }
    }
    i = j;
  }
  return out;
}

std::string FormatScopes(ScopeSet scopes) {
  std::string out;
  for (const ScopeEntry& e : kScopes) {
    if ((scopes & ScopeBit(e.scope)) == 0) continue;
    if (!out.empty()) out += ',';
    out += e.name;
  }
  return out;
}

ScopeRequirement RequiredScope(std::string_view tool_id, std::string_view action) {
  for (const ActionEntry& e : kActions) {
    if (e.tool_id == tool_id && (e.action.empty() || e.action == action)) return e.requirement;
  }
  return {Scope::kAdmin, "use this tool action"};
}

std::string PermissionDeniedMessage(const ScopeRequirement& requirement) {
  return std::string("This caller lacks the '") + ScopeName(requirement.scope) +
         "' scope needed to " + requirement.what;
}

}  // namespace billing
