// Report requests; see reports.h.
#include "agent/parse/reports.h"

namespace billing::parse {
bool ParseReportRequest(const std::vector<Tok>& toks, ParsedRequest& p) {
  const bool aging = HasWord(toks, "aging") || HasWord(toks, "ageing") || HasWord(toks, "aged") ||
                     HasWord(toks, "receivable") || HasWord(toks, "receivables");
  const bool recurring = HasWord(toks, "mrr") || HasWord(toks, "arr") || HasWord(toks, "recurring");
  const bool revenue = HasWord(toks, "revenue") || HasWord(toks, "revenues");
  const bool rate = HasWord(toks, "rate") || HasWord(toks, "rates") || HasWord(toks, "share") ||
                    HasWord(toks, "percentage") || HasWord(toks, "percent");
  const bool success =
      (HasWord(toks, "success") || HasWord(toks, "successful") || HasWord(toks, "fail") ||
       HasWord(toks, "failure") || HasWord(toks, "decline") || HasWord(toks, "declined")) &&
      rate;
  const bool lifetime = HasWord(toks, "ltv") || HasWord(toks, "clv") || HasWord(toks, "lifetime");
  const bool future = HasWord(toks, "will") || HasWord(toks, "expect") ||
                      HasWord(toks, "expected") || HasWord(toks, "going");
  const bool bring_in = HasWord(toks, "collect") || HasWord(toks, "receive") ||
                        HasWord(toks, "bring") || HasWord(toks, "come") || HasWord(toks, "coming");
  const bool forecast = HasWord(toks, "forecast") || HasWord(toks, "projection") ||
                        HasWord(toks, "projected") || (future && bring_in);
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
    if (p.payment_method.empty() && (HasWord(toks, "card") || HasWord(toks, "cards"))) {
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
