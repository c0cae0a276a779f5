// Report requests; see reports.h.
#include "agent/parse/reports.h"

namespace billing::parse {
namespace {

bool Has(const std::vector<Tok>& toks, std::string_view w) {
  for (const Tok& t : toks) {
    if (IsWord(t, w)) return true;
  }
  return false;
}

}  // namespace

bool ParseReportRequest(const std::vector<Tok>& toks, ParsedRequest& p) {
  const bool aging = Has(toks, "aging") || Has(toks, "ageing") || Has(toks, "aged") ||
                     Has(toks, "receivable") || Has(toks, "receivables");
  const bool recurring = Has(toks, "mrr") || Has(toks, "arr") || Has(toks, "recurring");
  const bool revenue = Has(toks, "revenue") || Has(toks, "revenues");
  const bool rate = Has(toks, "rate") || Has(toks, "rates") || Has(toks, "share") ||
                    Has(toks, "percentage") || Has(toks, "percent");
  const bool success = (Has(toks, "success") || Has(toks, "successful") || Has(toks, "fail") ||
                        Has(toks, "failure") || Has(toks, "decline") || Has(toks, "declined")) &&
                       rate;
  const bool lifetime = Has(toks, "ltv") || Has(toks, "clv") || Has(toks, "lifetime");
  const bool future =
      Has(toks, "will") || Has(toks, "expect") || Has(toks, "expected") || Has(toks, "going");
  const bool bring_in = Has(toks, "collect") || Has(toks, "receive") || Has(toks, "bring") ||
                        Has(toks, "come") || Has(toks, "coming");
  const bool forecast = Has(toks, "forecast") || Has(toks, "projection") ||
                        Has(toks, "projected") || (future && bring_in);
  if (lifetime) {
    p.intent = Intent::kLtvReport;
  } else if (forecast) {
    p.intent = Intent::kForecastReport;
  } else if (aging) {
    p.intent = Intent::kAgingReport;
  } else if (recurring) {
    p.intent = Intent::kMrrReport;
  } else if (success) {
    p.intent = Intent::kPaymentSuccessReport;
    if (p.payment_method.empty() && (Has(toks, "card") || Has(toks, "cards"))) {
      p.payment_method = "credit_card";
    }
  } else if (revenue) {
    p.intent = Intent::kRevenueReport;
  } else {
    return false;
  }
  return true;
}

}  // namespace billing::parse
