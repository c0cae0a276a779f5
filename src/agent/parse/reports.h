// Requests for the billing reports (issue #14; docs/reports.md): "aging report", "show AR aging
// for CUST-002", "what's our MRR", "ARR in EUR", "revenue last quarter", "revenue this year",
// "payment success rate for cards", "what share of card payments fail", "lifetime value of
// CUST-001", "what will we collect next month", "revenue forecast". The general parser has
// already read the customer, the currency, the payment method and the period ("last quarter");
// this names the report.
//
// Thread-safety: pure functions over values.
#pragma once

#include <vector>

#include "agent/parse/lexer.h"
#include "agent/request_parser.h"

namespace billing::parse {

// Sets p.intent to a report intent and returns true when the request asks for a report; false
// (p unchanged) otherwise. "card"/"cards" names credit_card when no method was named.
bool ParseReportRequest(const std::vector<Tok>& toks, ParsedRequest& p);

}  // namespace billing::parse
