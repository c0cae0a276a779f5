#include "tools/billing_tool.h"
#include "tools/customer_binding.h"

#include <cctype>
#include <algorithm>
#include <cassert>

#include <spdlog/spdlog.h>

#include "billing/audit.h"
#include "billing/rules.h"
#include "money/money.h"
#include "tools/schema.h"

namespace billing {

using nlohmann::json;

BillingTool::BillingTool(std::string id, std::string key, std::string description,
                         const char* input_schema, const char* output_schema,
                         BillingService& service)
    : service_(service),
      id_(std::move(id)),
      key_(std::move(key)),
      description_(std::move(description)),
      input_schema_(json::parse(input_schema)),
      output_schema_(json::parse(output_schema)) {}

bool BillingTool::Writes(const json& input) const {
  const std::string action = input.is_object() ? StringArg(input, "action") : std::string();
  return RequiredScope(id_, action).scope != Scope::kRead;
}

json BillingTool::Execute(const json& input, const ToolContext& ctx) const {
  json result = ExecuteUncounted(input, ctx);
  if (ctx.metrics != nullptr) {
    const bool failed = result.is_object() && (result.value("error", false) == true ||
                                               result.value("success", true) == false);
    std::string outcome = "ok";
    if (failed) {
      const auto code = result.find("code");
      outcome = code != result.end() && code->is_string() ? code->get<std::string>() : "error";
      for (char& c : outcome) c = char(std::tolower(static_cast<unsigned char>(c)));
    }
    ctx.metrics->CountToolCall(id_, outcome);
  }
  return result;
}

json BillingTool::ExecuteUncounted(const json& input, const ToolContext& ctx) const {
  try {
    const json args = StripNulls(input.is_null() ? json::object() : input);
    if (!args.is_object()) {
      return ValidationFailureResult(id_, input, {{"", "Expected object, received " + std::string(input.type_name())}});
    }
    auto issues = ValidateSchema(input_schema_, args);
    if (!issues.empty()) return ValidationFailureResult(id_, input, issues);
    // Authorisation: the caller's scopes, never the model's wishes, decide (auth/scopes.h).
    const ScopeRequirement needed = RequiredScope(id_, StringArg(args, "action"));
    if (!HasScope(ctx.scopes, needed.scope)) {
      spdlog::warn("tool {}: denied to {}: needs scope {}", id_,
                   ctx.principal.empty() ? "an unauthenticated caller" : ctx.principal,
                   ScopeName(needed.scope));
      return PermissionDeniedResult(needed);
    }
    // Moving money is rate limited per caller (stricter than requests), before anything runs.
    if (ctx.limiter != nullptr && (needed.scope == Scope::kPayment || needed.scope == Scope::kRefund)) {
      Result<std::optional<int64_t>> retry = ctx.limiter->Admit(ctx.rate_key);
      if (!retry.ok()) {
        spdlog::warn("tool {}: payment rate limit unavailable: {}", id_, retry.error().message);
        if (retry.error().code == ErrorCode::kDatabaseUnavailable) return DatabaseUnavailableResult();
        return ToolErrorResult(Error::Internal("The billing system could not complete this operation; nothing was changed. Try again."));
      }
      if (retry.value()) {
        spdlog::warn("tool {}: rate limited for {}", id_, ctx.rate_key);
        return RateLimitedResult(**retry);
      }
    }
    // A customer-bound caller reaches its customer's records only (tools/customer_binding.h).
    json bound_args;
    if (!ctx.bound_customer.empty()) {
      Result<json> bound = BindToolInput(service_, id_, args, ctx.bound_customer);
      if (!bound.ok()) {
        if (bound.error().code == ErrorCode::kPermissionDenied) {
          return json{{"success", false},
                      {"error", true},
                      {"code", "PERMISSION_DENIED"},
                      {"message", bound.error().message}};
        }
        if (bound.error().code == ErrorCode::kDatabaseUnavailable) return DatabaseUnavailableResult();
        return ToolErrorResult(bound.error());
      }
      bound_args = std::move(bound.value());
    }
    Result<json> r = Run(ctx.bound_customer.empty() ? args : bound_args, ctx);
    if (r.ok()) return std::move(r.value());
    const Error& e = r.error();
    if (e.code == ErrorCode::kDatabaseUnavailable) {
      spdlog::warn("tool {}: database unavailable: {}", id_, e.message);
      return DatabaseUnavailableResult();
    }
    if (e.code == ErrorCode::kInternal) {
      spdlog::error("tool {} failed: {}", id_, e.message);
      return ToolErrorResult(Error::Internal("The billing system could not complete this operation; nothing was changed. Try again."));
    }
    json out = ToolErrorResult(e);
    if (!e.candidates.empty()) out["candidates"] = e.candidates;
    return out;
  } catch (const std::exception& ex) {
    // A bug, never input: log it and answer without internals.
    spdlog::error("tool {} threw: {}", id_, ex.what());
    return ToolErrorResult(Error::Internal("The billing system could not complete this operation; nothing was changed. Try again."));
  }
}

PageSpec PageArg(const json& args) {
  PageSpec page{0, int(kMaxPageSize)};
  if (auto it = args.find("limit"); it != args.end() && it->is_number_integer()) {
    page.limit = int(std::clamp<int64_t>(it->get<int64_t>(), 1, int64_t(kMaxPageSize)));
  }
  if (auto it = args.find("offset"); it != args.end() && it->is_number_integer()) {
    page.offset = std::clamp<int64_t>(it->get<int64_t>(), 0, kMaxOffset);
  }
  return page;
}

void PutPage(json& out, int64_t count, size_t returned, const PageSpec& page) {
  // The page and the count come from one read transaction: they cannot disagree.
  assert(returned <= size_t(page.limit));
  assert(returned == 0 || page.offset + int64_t(returned) <= count);
  out["count"] = count;
  out["returned"] = returned;
  out["offset"] = page.offset;
  const bool more = page.offset + int64_t(returned) < count;
  out["hasMore"] = more;
  if (more) out["nextOffset"] = page.offset + int64_t(returned);
}

std::string PageText(int64_t count, size_t returned, const PageSpec& page, const char* order) {
  if (page.offset == 0 && int64_t(returned) == count) return "";
  if (returned == 0) return "; none at offset " + FormatCount(page.offset);
  return "; showing " + FormatCount(page.offset + 1) + "-" +
         FormatCount(page.offset + int64_t(returned)) + " (" + order + ")";
}

void MarkReplayed(json& result, bool replayed) {
  if (!replayed) return;
  result["replayed"] = true;
  auto message = result.find("message");
  if (message != result.end() && message->is_string()) {
    *message = "Already done earlier under the same idempotency key; nothing new was charged or "
               "created. " + message->get<std::string>();
  }
}

std::string StringArg(const json& args, const char* name) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

Result<int64_t> AmountArg(const json& value, const std::string& field, const BillingService& service,
                          const Currency& currency) {
  AmountRules rules;
  rules.max_minor = service.options().max_amount_cents;
  return ParseAmountJson(value, currency, rules, field);
}

namespace {
Result<Currency> KnownCurrency(const std::string& code) {
  std::optional<Currency> c = FindCurrency(code);
  if (!c) return Error::Internal("a record is in an unknown currency: " + code);
  return *c;
}
}  // namespace

Result<Currency> CustomerCurrency(BillingService& service, const std::string& customer_id) {
  BILLING_ASSIGN_OR_RETURN(std::string code, service.CustomerCurrency(customer_id));
  return KnownCurrency(code);
}

Result<Currency> InvoiceCurrency(BillingService& service, const std::string& invoice_id) {
  BILLING_ASSIGN_OR_RETURN(Invoice inv, service.GetInvoice(invoice_id));
  return KnownCurrency(inv.currency);
}

Result<Currency> PaymentCurrency(BillingService& service, const std::string& payment_id) {
  BILLING_ASSIGN_OR_RETURN(std::string code, service.PaymentCurrency(payment_id));
  return KnownCurrency(code);
}

Result<Date> DateArg(const json& value, const std::string& field) {
  Date d;
  if (!value.is_string() || !Date::Parse(value.get<std::string>(), &d)) {
    return Error::Invalid(field, field + " must be a calendar date in YYYY-MM-DD format, got " +
                                     value.dump());
  }
  return d;
}

Result<std::vector<NewLineItem>> ItemsArg(const json& args, const BillingService& service,
                                          const Currency& currency) {
  std::vector<NewLineItem> out;
  if (auto it = args.find("items"); it != args.end()) {
    for (size_t k = 0; k < it->size(); ++k) {
      const json& item = (*it)[k];
      const std::string field = "items[" + std::to_string(k) + "]";
      NewLineItem li;
      li.description = StringArg(item, "description");
      if (auto q = item.find("quantity"); q != item.end()) {
        BILLING_ASSIGN_OR_RETURN(li.quantity_milli, ParseQuantityMilli(*q, field + ".quantity"));
      }
      BILLING_ASSIGN_OR_RETURN(li.unit_price_cents, AmountArg(item.at("unitPrice"), field + ".unitPrice", service, currency));
      out.push_back(std::move(li));
    }
  }
  if (auto a = args.find("amount"); a != args.end()) {
    if (!out.empty()) return Error::Invalid("amount", "give either items or amount, not both");
    NewLineItem li;
    li.description = StringArg(args, "description");
    if (li.description.empty()) li.description = "Services";
    BILLING_ASSIGN_OR_RETURN(li.unit_price_cents, AmountArg(*a, "amount", service, currency));
    out.push_back(std::move(li));
  }
  return out;
}

json InvoiceSummaryJson(const Invoice& inv, const Date& today) {
  const Currency cur = CurrencyOrUsd(inv.currency);
  json j = {{"id", inv.id}};
  PutAmount(j, "total", inv.total_cents, cur);
  PutAmount(j, "amountDue", AmountDueCents(inv), cur);
  j["status"] = EffectiveStatus(inv, today);
  j["dueDate"] = inv.due_date.ToString();
  if (const int64_t days = DaysOverdue(inv, today); days > 0) j["daysOverdue"] = days;
  return j;
}

json InvoiceJson(const Invoice& inv, const Date& today) {
  const Currency cur = CurrencyOrUsd(inv.currency);
  json items = json::array();
  for (const LineItem& li : inv.items) {
    json item = {{"description", li.description}, {"quantity", json::parse(FormatQuantity(li.quantity_milli))}};
    PutAmount(item, "unitPrice", li.unit_price_cents, cur);
    PutAmount(item, "amount", li.amount_cents, cur);
    items.push_back(std::move(item));
  }
  json j = {{"id", inv.id}, {"customerId", inv.customer_id}, {"customerName", inv.customer_name},
            {"items", std::move(items)}};
  j["currency"] = inv.currency;
  PutAmount(j, "subtotal", inv.subtotal_cents, cur);
  if (!inv.coupon_code.empty()) {
    j["couponCode"] = inv.coupon_code;
    PutAmount(j, "discount", inv.discount_cents, cur);
  }
  j["taxRate"] = FormatTaxRate(inv.tax_rate_bp);
  j["taxRateBp"] = inv.tax_rate_bp;
  PutAmount(j, "tax", inv.tax_cents, cur);
  PutAmount(j, "total", inv.total_cents, cur);
  PutAmount(j, "paid", inv.paid_cents, cur);
  if (inv.credited_cents != 0) PutAmount(j, "credited", inv.credited_cents, cur);
  PutAmount(j, "amountDue", AmountDueCents(inv), cur);
  j["status"] = EffectiveStatus(inv, today);
  // A draft has no number and no issue date yet: its amounts are what finalizing now would fix.
  if (inv.status == "draft") {
    j["draft"] = true;
  } else {
    j["issueDate"] = inv.issue_date.ToString();
  }
  j["dueDate"] = inv.due_date.ToString();
  if (const int64_t days = DaysOverdue(inv, today); days > 0) j["daysOverdue"] = days;
  if (!inv.notes.empty()) j["notes"] = inv.notes;
  if (!inv.paid_date.empty()) j["paidDate"] = inv.paid_date;
  if (!inv.payment_method.empty()) j["paymentMethod"] = inv.payment_method;
  // createdBy/updatedBy: the authenticated principal; *OnBehalfOf: the claimed end user.
  if (!inv.created_by.empty()) j["createdBy"] = inv.created_by;
  if (!inv.created_on_behalf_of.empty()) j["createdOnBehalfOf"] = OnBehalfOfJson(inv.created_on_behalf_of);
  if (!inv.updated_by.empty()) j["updatedBy"] = inv.updated_by;
  if (!inv.updated_on_behalf_of.empty()) j["updatedOnBehalfOf"] = OnBehalfOfJson(inv.updated_on_behalf_of);
  return j;
}

json CouponJson(const Coupon& c) {
  const Currency cur = CurrencyOrUsd(c.currency);
  json j = {{"code", c.code}, {"name", c.name}};
  if (c.percent_off_bp) {
    j["percentOff"] = FormatTaxRate(*c.percent_off_bp);  // "10%", "12.5%"
    j["percentOffBp"] = *c.percent_off_bp;
  }
  if (c.amount_off_cents) PutAmount(j, "amountOff", *c.amount_off_cents, cur);
  j["currency"] = c.currency;
  j["duration"] = c.duration;
  if (c.duration == "repeating") j["durationPeriods"] = c.duration_periods;
  if (!c.redeem_by.empty()) j["redeemBy"] = c.redeem_by;
  if (c.max_redemptions > 0) j["maxRedemptions"] = c.max_redemptions;
  j["timesRedeemed"] = c.times_redeemed;
  j["archived"] = c.archived;
  return j;
}

json CreditNoteJson(const CreditNote& cn) {
  const Currency cur = CurrencyOrUsd(cn.currency);
  json j = {{"id", cn.id}, {"invoiceId", cn.invoice_id}, {"customerId", cn.customer_id}};
  j["currency"] = cn.currency;
  PutAmount(j, "subtotal", cn.subtotal_cents, cur);
  PutAmount(j, "tax", cn.tax_cents, cur);
  PutAmount(j, "total", cn.total_cents, cur);
  PutAmount(j, "amountDueReduced", cn.due_reduced_cents, cur);
  PutAmount(j, "refunded", cn.refunded_cents, cur);
  PutAmount(j, "creditBalance", cn.credit_cents, cur);
  if (!cn.lines.empty()) {
    json lines = json::array();
    for (const CreditNoteLine& l : cn.lines) {
      json line = {{"line", l.position},
                   {"description", l.description},
                   {"quantity", json::parse(FormatQuantity(l.quantity_milli))}};
      PutAmount(line, "amount", l.amount_cents, cur);
      lines.push_back(std::move(line));
    }
    j["lines"] = std::move(lines);
  }
  if (!cn.refund_ids.empty()) j["refundIds"] = cn.refund_ids;
  j["reason"] = cn.reason;
  j["createdAt"] = cn.created_at;
  if (!cn.created_by.empty()) j["createdBy"] = cn.created_by;
  return j;
}

json PaymentJson(const Payment& p) {
  const Currency cur = CurrencyOrUsd(p.currency);
  json j = {{"id", p.id}, {"customerId", p.customer_id}};
  if (!p.invoice_id.empty()) j["invoiceId"] = p.invoice_id;
  j["currency"] = p.currency;
  PutAmount(j, "amount", p.amount_cents, cur);
  PutAmount(j, "refunded", p.refunded_cents, cur);
  j["method"] = p.method;
  if (!p.payment_method_id.empty()) {
    j["card"] = {{"paymentMethodId", p.payment_method_id}, {"brand", p.card_brand}, {"last4", p.card_last4}};
  }
  j["status"] = p.status;
  j["transactionId"] = p.transaction_id;
  if (!p.failure_reason.empty()) j["failureReason"] = p.failure_reason;
  j["createdAt"] = p.created_at;
  if (!p.actor.empty()) j["createdBy"] = p.actor;
  if (!p.on_behalf_of.empty()) j["onBehalfOf"] = OnBehalfOfJson(p.on_behalf_of);
  json allocs = json::array();
  for (const Allocation& a : p.allocations) {
    json aj = {{"invoiceId", a.invoice_id}};
    PutAmount(aj, "amount", a.amount_cents, cur);
    if (a.refunded_cents) PutAmount(aj, "refunded", a.refunded_cents, cur);
    allocs.push_back(std::move(aj));
  }
  j["allocationCount"] = p.allocations.size();
  j["allocations"] = std::move(allocs);
  return j;
}

json RefundJson(const Refund& r, std::string_view currency) {
  const Currency cur = CurrencyOrUsd(currency);
  json j = {{"id", r.id}, {"paymentId", r.payment_id}, {"currency", std::string(cur.code)}};
  PutAmount(j, "amount", r.amount_cents, cur);
  j["reason"] = r.reason;
  j["transactionId"] = r.transaction_id;
  j["createdAt"] = r.created_at;
  if (!r.actor.empty()) j["createdBy"] = r.actor;
  if (!r.on_behalf_of.empty()) j["onBehalfOf"] = OnBehalfOfJson(r.on_behalf_of);
  return j;
}

json CustomerJson(const CustomerView& v, const Date& today, bool detail, int default_tax_rate_bp) {
  const Currency cur = CurrencyOrUsd(v.customer.currency);
  const Customer& c = v.customer;
  json j = {{"id", c.id},
            {"company", c.company},
            {"contactName", c.contact_name},
            {"email", c.email},
            {"billingCycle", c.billing_cycle},
            {"paymentMethod", c.payment_method},
            {"status", c.status},
            {"currency", c.currency},
            {"taxRate", FormatTaxRate(c.tax_rate_bp.value_or(default_tax_rate_bp))},
            {"locale", c.locale},
            {"paymentTermsDays", c.payment_terms_days}};
  PutAmount(j, "outstandingBalance", v.balance_cents > 0 ? v.balance_cents : 0, cur);
  if (v.balance_cents < 0) PutAmount(j, "credit", -v.balance_cents, cur);
  // Part of the balance carried from before the ledger, on no invoice: aging does not show it.
  if (c.opening_balance_cents != 0) PutAmount(j, "openingBalance", c.opening_balance_cents, cur);
  j["createdAt"] = c.created_at;
  if (detail) {
    // Counts and the amount due are over every open invoice; the list shows the oldest due.
    json open = json::array();
    for (const Invoice& inv : v.open_invoices) open.push_back(InvoiceSummaryJson(inv, today));
    j["openInvoiceCount"] = v.open_totals.count;
    j["overdueInvoiceCount"] = v.open_totals.overdue_count;
    PutAmount(j, "openAmountDue", v.open_totals.due_cents, cur);
    // Paid but applied to no invoice yet: the next invoices use it first (docs/invoices.md).
    if (v.credit_held_cents > 0) PutAmount(j, "creditHeld", v.credit_held_cents, cur);
    j["openInvoicesShown"] = v.open_invoices.size();
    j["openInvoices"] = std::move(open);
    json recent = json::array();
    for (const Payment& p : v.recent_payments) recent.push_back(PaymentJson(p));
    j["recentPayments"] = std::move(recent);
    // Stored cards: brand, last four digits and expiry only; the details stay sealed.
    json cards = json::array();
    for (const StoredCard& card : v.cards) {
      cards.push_back({{"paymentMethodId", card.id},
                       {"brand", card.brand},
                       {"last4", card.last4},
                       {"expMonth", card.exp_month},
                       {"expYear", card.exp_year}});
    }
    j["cards"] = std::move(cards);
  }
  return j;
}

void RegisterBillingTools(ToolRegistry& registry, BillingService& service) {
  registry.Add(MakeGetCustomerTool(service));
  registry.Add(MakeManageInvoicesTool(service));
  registry.Add(MakeProcessPaymentTool(service));
  registry.Add(MakeManageSubscriptionsTool(service));
  registry.Add(MakeManageCustomersTool(service));
  registry.Add(MakeBillingReportsTool(service));
}

}  // namespace billing
