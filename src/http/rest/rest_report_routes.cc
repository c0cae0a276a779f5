// REST v1 routes of the billing reports (docs/reports.md): GET /api/v1/reports/aging, /revenue,
// /mrr and /payment-success. Each runs the tool billing-reports with the caller's context (its
// scope, and for a customer-bound caller the tool's binding: its own aging only), so the report
// is the one the agent sees. `format=csv` answers the report's rows as CSV (RFC 4180).
#include <charconv>

#include "http/rest/rest_api.h"

namespace billing::http::rest {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

// The error a tool result holds, as an Error value (its code by name).
Error ToolError(const json& result) {
  const ErrorCode code = ErrorCodeFromName(result.value("code", std::string("INTERNAL")));
  if (code == ErrorCode::kInternal) return Error::Internal("billing-reports: " + result.dump());
  return Error(code, result.value("message", std::string()), result.value("field", std::string()));
}

// Runs the tool's `action` with the route's query parameters (renamed to the tool's fields).
Result<json> RunReport(RestCall& call, const std::string& action) {
  json input = {{"action", action}};
  static constexpr std::pair<const char*, const char*> kFields[] = {
      {"customer", "customerId"},
      {"currency", "currency"},
      {"asOf", "asOf"},
      {"from", "from"},
      {"to", "to"},
      {"method", "method"},
      {"startingAfter", "startingAfter"}};
  for (const auto& [param, field] : kFields) {
    if (call.query.contains(param)) input[field] = call.query[param];
  }
  if (call.query.contains("limit")) {  // a number in the tool's input
    const std::string text = call.query["limit"].get<std::string>();
    int limit = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || end != text.data() + text.size() || limit < 1 || limit > 100) {
      return Error::Invalid("limit", "limit must be an integer from 1 to 100");
    }
    input["limit"] = limit;
  }
  const Tool* tool = call.tools.FindById("billing-reports");
  if (tool == nullptr) return Error::Internal("the billing-reports tool is not registered");
  json result = tool->Execute(input, call.context);
  if (result.value("success", false) != true) return ToolError(result);
  result.erase("success");
  return result;
}

std::vector<std::string> Methods() {
  std::vector<std::string> out;
  for (std::string_view m : kPaymentMethods) out.emplace_back(m);
  return out;
}

void AddReport(std::vector<RestRoute>& routes, const std::string& path, const std::string& id,
               const std::string& summary, const std::string& action, std::vector<QueryParam> query,
               std::vector<std::string> csv_columns) {
  query.push_back({"currency", "Only this ISO 4217 currency (default: each currency apart)", {}});
  query.push_back(
      {"format", "json (the default) or csv: the report's rows as CSV", {"json", "csv"}});
  RestRoute r{bhttp::verb::get,
              "/api/v1/reports/" + path,
              id,
              summary,
              "Reports",
              "report",
              false,
              std::move(query),
              std::nullopt,
              [action](RestCall& call) { return RunReport(call, action); }};
  r.csv_columns = std::move(csv_columns);
  routes.push_back(std::move(r));
}

}  // namespace

std::string CsvOfRows(const json& rows, const std::vector<std::string>& columns) {
  std::string out;
  auto cell = [&](const json& value) {
    std::string text = value.is_string() ? value.get<std::string>()
                       : value.is_null() ? std::string()
                                         : value.dump();
    // A cell a spreadsheet would run as a formula (a company named "=HYPERLINK(...)") is quoted
    // as text (OWASP CSV injection).
    if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                          text[0] == '\t' || text[0] == '\r')) {
      if (!value.is_number()) text.insert(0, 1, '\'');
    }
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) {
      if (c == '"') quoted += '"';
      quoted += c;
    }
    return quoted + "\"";
  };
  for (size_t k = 0; k < columns.size(); ++k) {
    if (k) out += ',';
    out += cell(json(columns[k]));
  }
  out += "\r\n";
  if (!rows.is_array()) return out;
  for (const json& row : rows) {
    for (size_t k = 0; k < columns.size(); ++k) {
      if (k) out += ',';
      out += cell(row.is_object() && row.contains(columns[k]) ? row[columns[k]] : json());
    }
    out += "\r\n";
  }
  return out;
}

void AddReportRoutes(std::vector<RestRoute>& routes) {
  AddReport(
      routes, "aging", "agingReport",
      "Accounts receivable aging: open invoices by days past due, per customer and total", "aging",
      {{"customer", "One customer's receivables (a customer-bound caller: its own)", {}},
       {"asOf", "The day the ages count to, YYYY-MM-DD (default today)", {}}},
      {"customerId", "company", "currency", "current", "days1To30", "days31To60", "days61To90",
       "over90", "overdue", "total", "invoices", "currentCents", "days1To30Cents",
       "days31To60Cents", "days61To90Cents", "over90Cents", "overdueCents", "totalCents"});
  const std::vector<QueryParam> range = {
      {"from", "First month, YYYY-MM (default: 11 months before `to`)", {}},
      {"to", "Last month, YYYY-MM (default: this month)", {}}};
  AddReport(routes, "revenue", "revenueReport",
            "Revenue per month: invoiced, collected, refunded, credited and net", "revenue", range,
            {"month", "currency", "invoiced", "collected", "refunded", "credited", "net",
             "invoicedCents", "collectedCents", "refundedCents", "creditedCents", "netCents"});
  AddReport(routes, "mrr", "mrrReport",
            "MRR and ARR per month with new, expansion, contraction and churned MRR", "mrr", range,
            {"month", "currency", "startMrr", "newMrr", "expansionMrr", "contractionMrr",
             "churnedMrr", "endMrr", "endArr", "startMrrCents", "newMrrCents", "expansionMrrCents",
             "contractionMrrCents", "churnedMrrCents", "endMrrCents", "endArrCents"});
  AddReport(routes, "ltv", "ltvReport",
            "Customer lifetime value: collected so far, tenure and average per month", "ltv",
            {{"customer", "One customer (a customer-bound caller: its own)", {}},
             {"asOf", "The day to count to, YYYY-MM-DD (default today)", {}},
             {"startingAfter", "The customer id the previous page ended with", {}},
             {"limit", "Customers per page, 1-100 (default 100)", {}}},
            {"customerId", "company", "currency", "since", "tenureMonths", "collected",
             "averageMonthly", "collectedCents", "averageMonthlyCents"});
  AddReport(routes, "forecast", "forecastReport",
            "This month and the next two: open invoices by due date plus scheduled renewals",
            "forecast", {{"asOf", "The day to count from, YYYY-MM-DD (default today)", {}}},
            {"month", "currency", "openInvoices", "scheduledRenewals", "total", "invoices",
             "renewals", "openInvoicesCents", "scheduledRenewalsCents", "totalCents"});
  std::vector<QueryParam> success = range;
  success.push_back({"method", "One payment method only", Methods()});
  AddReport(routes, "payment-success", "paymentSuccessReport",
            "Payment success rate per month and method, first attempts and retries apart",
            "payment_success", std::move(success),
            {"month", "method", "currency", "attempt", "succeeded", "failed", "attempts",
             "successRate", "successRateBasisPoints", "succeededAmount", "failedAmount",
             "succeededAmountCents", "failedAmountCents"});
}

}  // namespace billing::http::rest
