// billing-reports: AR aging, revenue per month, recurring revenue (MRR/ARR) and payment success
// (billing/reports.h; docs/reports.md). Each answer has `rows` (flat objects, one per line of
// the report: what REST serves as CSV) and per-currency `totals`; amounts in each row's
// currency, never summed across currencies.
#include <map>
#include <string>

#include "billing/reports.h"
#include "billing/rules.h"
#include "money/money.h"
#include "tools/billing_tool.h"

namespace billing {
namespace {

using nlohmann::json;

constexpr const char* kInputSchema = R"json({
  "type": "object",
  "properties": {
    "action": {"type": "string", "enum": ["aging", "revenue", "mrr", "payment_success", "ltv", "forecast"], "description": "aging: open receivables by days past due (current, 1-30, 31-60, 61-90, over 90) per customer and in total; revenue: invoiced, collected, refunded, credited and net (collected - refunded) per month; mrr: MRR and ARR from subscriptions with new, expansion, contraction and churned MRR per month; payment_success: payment success rate per month and method, first attempts and automatic retries apart; ltv: customer lifetime value (collected so far, tenure in months, average per month); forecast: what this month and the next two should bring in (open invoices by due date plus scheduled subscription renewals)"},
    "customerId": {"type": "string", "maxLength": 64, "description": "aging, ltv: one customer's (default: every customer's; ltv lists a page)"},
    "startingAfter": {"type": "string", "maxLength": 64, "description": "ltv: the customer id the previous page ended with"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "ltv: customers per page (default 100)"},
    "currency": {"type": "string", "maxLength": 3, "description": "Only this ISO 4217 currency, e.g. EUR (default: each currency apart)"},
    "asOf": {"type": "string", "description": "aging, ltv, forecast: the day to count to, YYYY-MM-DD (default today)"},
    "from": {"type": "string", "description": "revenue, mrr, payment_success: first month YYYY-MM (default: 11 months before 'to')"},
    "to": {"type": "string", "description": "revenue, mrr, payment_success: last month YYYY-MM (default: this month)"},
    "method": {"type": "string", "enum": ["credit_card", "bank_transfer", "paypal", "crypto"], "description": "payment_success: one payment method only"}
  },
  "required": ["action"],
  "additionalProperties": false,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

constexpr const char* kOutputSchema = R"json({
  "type": "object",
  "properties": {
    "success": {"type": "boolean"}, "message": {"type": "string"}, "report": {"type": "string"},
    "rows": {"type": "array"}, "totals": {"type": "array"}
  },
  "required": ["success", "message"],
  "additionalProperties": true,
  "$schema": "http://json-schema.org/draft-07/schema#"
})json";

void PutBuckets(json& j, const AgingBuckets& b, const Currency& cur) {
  PutAmount(j, "current", b.current_cents, cur);
  PutAmount(j, "days1To30", b.days_1_30_cents, cur);
  PutAmount(j, "days31To60", b.days_31_60_cents, cur);
  PutAmount(j, "days61To90", b.days_61_90_cents, cur);
  PutAmount(j, "over90", b.over_90_cents, cur);
  PutAmount(j, "overdue", b.OverdueCents(), cur);
  PutAmount(j, "total", b.TotalCents(), cur);
  j["invoices"] = b.invoices;
}

json AgingJson(const AgingReport& r) {
  json rows = json::array(), totals = json::array();
  for (const AgingCustomer& c : r.customers) {
    json row = {{"customerId", c.customer_id}, {"company", c.company}, {"currency", c.currency}};
    PutBuckets(row, c.buckets, CurrencyOrUsd(c.currency));
    rows.push_back(std::move(row));
  }
  std::string message = "Open receivables as of " + r.as_of + ":";
  for (const auto& [code, b] : r.totals) {
    const Currency cur = CurrencyOrUsd(code);
    json t = {{"currency", code}};
    PutBuckets(t, b, cur);
    totals.push_back(std::move(t));
    message += " " + code + " " + FormatMoney(b.TotalCents(), cur) + " outstanding, " +
               FormatMoney(b.OverdueCents(), cur) + " overdue (" + FormatCount(b.invoices) +
               " invoice(s));";
  }
  if (r.totals.empty()) message += " nothing is outstanding.";
  if (message.back() == ';') message.back() = '.';
  return {{"success", true}, {"message", message},      {"report", "aging"},
          {"asOf", r.as_of}, {"rows", std::move(rows)}, {"totals", std::move(totals)}};
}

void PutRevenue(json& j, const RevenueMonth& m) {
  const Currency cur = CurrencyOrUsd(m.currency);
  PutAmount(j, "invoiced", m.invoiced_cents, cur);
  PutAmount(j, "collected", m.collected_cents, cur);
  PutAmount(j, "refunded", m.refunded_cents, cur);
  PutAmount(j, "credited", m.credited_cents, cur);
  PutAmount(j, "net", m.NetCents(), cur);
}

json RevenueJson(const RevenueReport& r) {
  json rows = json::array(), totals = json::array();
  for (const RevenueMonth& m : r.months) {
    json row = {{"month", m.month}, {"currency", m.currency}};
    PutRevenue(row, m);
    rows.push_back(std::move(row));
  }
  std::string message = "Revenue " + r.from + " to " + r.to + ":";
  for (const auto& [code, t] : r.totals) {
    const Currency cur = CurrencyOrUsd(code);
    json total = {{"currency", code}, {"months", t.month}};
    PutRevenue(total, t);
    totals.push_back(std::move(total));
    message += " " + code + " invoiced " + FormatMoney(t.invoiced_cents, cur) + ", collected " +
               FormatMoney(t.collected_cents, cur) + ", refunded " +
               FormatMoney(t.refunded_cents, cur) + ", credited " +
               FormatMoney(t.credited_cents, cur) + ", net " + FormatMoney(t.NetCents(), cur) + ";";
  }
  if (r.totals.empty()) message += " no invoices, payments, refunds or credit notes.";
  if (message.back() == ';') message.back() = '.';
  return {
      {"success", true}, {"message", message},      {"report", "revenue"},        {"from", r.from},
      {"to", r.to},      {"rows", std::move(rows)}, {"totals", std::move(totals)}};
}

json MrrJson(const MrrReport& r) {
  json rows = json::array(), totals = json::array();
  for (const MrrMonth& m : r.months) {
    const Currency cur = CurrencyOrUsd(m.currency);
    json row = {{"month", m.month}, {"currency", m.currency}};
    PutAmount(row, "startMrr", MrrFromArr(m.start_arr_cents), cur);
    PutAmount(row, "newMrr", MrrFromArr(m.new_arr_cents), cur);
    PutAmount(row, "expansionMrr", MrrFromArr(m.expansion_arr_cents), cur);
    PutAmount(row, "contractionMrr", MrrFromArr(m.contraction_arr_cents), cur);
    PutAmount(row, "churnedMrr", MrrFromArr(m.churned_arr_cents), cur);
    PutAmount(row, "endMrr", MrrFromArr(m.end_arr_cents), cur);
    PutAmount(row, "endArr", m.end_arr_cents, cur);
    rows.push_back(std::move(row));
  }
  std::string message = "Recurring revenue at the end of " + r.to + ":";
  for (const auto& [code, arr] : r.arr_cents) {
    const Currency cur = CurrencyOrUsd(code);
    json t = {{"currency", code}};
    PutAmount(t, "mrr", MrrFromArr(arr), cur);
    PutAmount(t, "arr", arr, cur);
    totals.push_back(std::move(t));
    message += " " + code + " MRR " + FormatMoney(MrrFromArr(arr), cur) + ", ARR " +
               FormatMoney(arr, cur) + ";";
  }
  if (r.arr_cents.empty()) message += " no subscriptions.";
  if (message.back() == ';') message.back() = '.';
  return {{"success", true},
          {"message", message},
          {"report", "mrr"},
          {"from", r.from},
          {"to", r.to},
          {"rows", std::move(rows)},
          {"totals", std::move(totals)}};
}

json RateJson(const PaymentSuccessRow& r) {
  const int64_t bp = r.RateBasisPoints();
  return {{"succeeded", r.succeeded},
          {"failed", r.failed},
          {"attempts", r.succeeded + r.failed},
          {"successRate", PercentText(bp)},
          {"successRateBasisPoints", bp < 0 ? json() : json(bp)}};
}

json PaymentSuccessJson(const PaymentSuccessReport& r) {
  json rows = json::array(), methods = json::array();
  for (const PaymentSuccessRow& row : r.rows) {
    const Currency cur = CurrencyOrUsd(row.currency);
    json j = {{"month", row.month},
              {"method", row.method},
              {"currency", row.currency},
              {"attempt", row.retry ? "retry" : "first"}};
    j.update(RateJson(row));
    PutAmount(j, "succeededAmount", row.succeeded_cents, cur);
    PutAmount(j, "failedAmount", row.failed_cents, cur);
    rows.push_back(std::move(j));
  }
  const int64_t attempts = r.overall.succeeded + r.overall.failed;
  std::string message = "Payment success " + r.from + " to " + r.to + ": ";
  message += attempts == 0 ? "no payment attempts"
                           : PercentText(r.overall.RateBasisPoints()) + " of " +
                                 FormatCount(attempts) + " attempt(s) succeeded";
  std::string per_method;
  for (const auto& [method, m] : r.by_method) {
    json j = {{"method", method}};
    j.update(RateJson(m));
    methods.push_back(std::move(j));
    per_method += (per_method.empty() ? "" : ", ") + method + " " +
                  PercentText(m.RateBasisPoints()) + " (" + FormatCount(m.succeeded + m.failed) +
                  ")";
  }
  if (!per_method.empty()) message += "; " + per_method;
  message += ".";
  json overall = RateJson(r.overall);
  return {{"success", true},
          {"message", message},
          {"report", "payment_success"},
          {"from", r.from},
          {"to", r.to},
          {"rows", std::move(rows)},
          {"byMethod", std::move(methods)},
          {"overall", std::move(overall)}};
}

json LtvJson(const LtvReport& r) {
  json rows = json::array();
  std::string names;
  for (const LifetimeValue& v : r.customers) {
    const Currency cur = CurrencyOrUsd(v.currency);
    json row = {{"customerId", v.customer_id},
                {"company", v.company},
                {"currency", v.currency},
                {"since", v.since},
                {"tenureMonths", v.tenure_months}};
    PutAmount(row, "collected", v.collected_cents, cur);
    PutAmount(row, "averageMonthly", v.average_monthly_cents, cur);
    rows.push_back(std::move(row));
    if (r.customers.size() <= 5) {
      names += (names.empty() ? "" : "; ") + v.customer_id + " (" + v.company + ") " +
               FormatMoney(v.collected_cents, cur) + " over " + std::to_string(v.tenure_months) +
               " month(s), " + FormatMoney(v.average_monthly_cents, cur) + " a month";
    }
  }
  std::string message = "Lifetime value as of " + r.as_of + ": ";
  message += names.empty() ? FormatCount(int64_t(r.customers.size())) + " customer(s)" : names;
  if (r.has_more) message += " (more after " + r.customers.back().customer_id + ")";
  message += ".";
  json out = {{"success", true}, {"message", message},      {"report", "ltv"},
              {"asOf", r.as_of}, {"rows", std::move(rows)}, {"hasMore", r.has_more}};
  if (r.has_more) out["nextCursor"] = r.customers.back().customer_id;
  return out;
}

json ForecastJson(const ForecastReport& r) {
  json rows = json::array(), overdue = json::array();
  std::map<std::string, std::string> per_currency;
  for (const ForecastMonth& m : r.months) {
    const Currency cur = CurrencyOrUsd(m.currency);
    json row = {{"month", m.month},
                {"currency", m.currency},
                {"invoices", m.invoices},
                {"renewals", m.renewals}};
    PutAmount(row, "openInvoices", m.open_invoices_cents, cur);
    PutAmount(row, "scheduledRenewals", m.renewals_cents, cur);
    PutAmount(row, "total", m.TotalCents(), cur);
    rows.push_back(std::move(row));
    std::string& text = per_currency[m.currency];
    text += (text.empty() ? "" : ", ") + m.month + " " + FormatMoney(m.TotalCents(), cur);
  }
  for (const auto& [code, cents] : r.overdue_cents) {
    json o = {{"currency", code}};
    PutAmount(o, "overdue", cents, CurrencyOrUsd(code));
    overdue.push_back(std::move(o));
  }
  std::string message = "Forecast as of " + r.as_of +
                        " (open invoices by due date plus "
                        "scheduled renewals):";
  for (const auto& [code, text] : per_currency) message += " " + code + " " + text + ";";
  for (const auto& [code, cents] : r.overdue_cents) {
    message += " " + code + " " + FormatMoney(cents, CurrencyOrUsd(code)) + " already overdue;";
  }
  if (per_currency.empty() && r.overdue_cents.empty()) message += " nothing is due or renewing.";
  if (message.back() == ';') message.back() = '.';
  return {{"success", true}, {"message", message},      {"report", "forecast"},
          {"asOf", r.as_of}, {"rows", std::move(rows)}, {"overdue", std::move(overdue)}};
}

class BillingReportsTool final : public BillingTool {
 public:
  explicit BillingReportsTool(BillingService& s)
      : BillingTool("billing-reports", "billingReportsTool",
                    "Billing reports, each per currency: aging (open receivables by days past "
                    "due: current, 1-30, 31-60, 61-90, over 90; per customer and total), revenue "
                    "(invoiced, collected, refunded, credited and net per month), mrr (MRR and "
                    "ARR from subscriptions; new, expansion, contraction and churned MRR per "
                    "month) and payment_success (success rate per month and payment method, "
                    "first attempts and automatic retries apart), ltv (customer lifetime value: "
                    "collected so far, tenure, average per month) and forecast (this month and "
                    "the next two: open invoices by due date plus scheduled renewals). Months are "
                    "YYYY-MM; the default range is the last 12 months.",
                    kInputSchema, kOutputSchema, s) {}

 protected:
  Result<json> Run(const json& args, const ToolContext&) const override {
    const std::string action = StringArg(args, "action");
    const std::string currency = CanonicalId(StringArg(args, "currency"));
    const std::string from = StringArg(args, "from");
    const std::string to = StringArg(args, "to");
    if (action == "aging") {
      Date as_of = service_.Today();
      if (auto it = args.find("asOf"); it != args.end()) {
        BILLING_ASSIGN_OR_RETURN(as_of, DateArg(*it, "asOf"));
      }
      const std::string customer = CanonicalId(StringArg(args, "customerId"));
      BILLING_ASSIGN_OR_RETURN(AgingReport r, service_.Aging(as_of, customer, currency));
      return AgingJson(r);
    }
    if (action == "revenue") {
      BILLING_ASSIGN_OR_RETURN(RevenueReport r, service_.Revenue(from, to, currency));
      return RevenueJson(r);
    }
    if (action == "mrr") {
      BILLING_ASSIGN_OR_RETURN(MrrReport r, service_.Mrr(from, to, currency));
      return MrrJson(r);
    }
    if (action == "payment_success") {
      BILLING_ASSIGN_OR_RETURN(
          PaymentSuccessReport r,
          service_.PaymentSuccess(from, to, StringArg(args, "method"), currency));
      return PaymentSuccessJson(r);
    }
    if (action == "ltv" || action == "forecast") {
      Date as_of = service_.Today();
      if (auto it = args.find("asOf"); it != args.end()) {
        BILLING_ASSIGN_OR_RETURN(as_of, DateArg(*it, "asOf"));
      }
      if (action == "forecast") {
        BILLING_ASSIGN_OR_RETURN(ForecastReport r, service_.Forecast(as_of, currency));
        return ForecastJson(r);
      }
      const int limit = int(args.value("limit", int64_t(100)));
      BILLING_ASSIGN_OR_RETURN(
          LtvReport r, service_.Ltv(as_of, CanonicalId(StringArg(args, "customerId")), currency,
                                    CanonicalId(StringArg(args, "startingAfter")), limit));
      return LtvJson(r);
    }
    return Error::Invalid("action",
                          "action must be aging, revenue, mrr, payment_success, ltv or forecast");
  }
};

}  // namespace

std::unique_ptr<Tool> MakeBillingReportsTool(BillingService& service) {
  return std::make_unique<BillingReportsTool>(service);
}

}  // namespace billing
