// Requests about plans and subscriptions (issue #12): "Subscribe StartupHub to the Premium Plan
// starting today", "Put CUST-003 on the annual plan", "Cancel SUB-002 at the end of the period",
// "Which subscriptions renew this week?", "Upgrade SUB-001 to Premium", "What plans do we have?".
// The plan is kept as written ("Premium Plan", "annual plan"): the tool resolves a plan's id, its
// name or unambiguous words of it, so plans stay data and the parser knows none of them.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/parse/lexer.h"
#include "agent/request_parser.h"

namespace billing::parse {

// Fills p's intent and subscription slots (subscription_id, plan, at_period_end, renew_days) when
// the request is about plans or subscriptions and not about an invoice or a payment
// (`other_topic`: "an invoice for the Premium Plan" is an invoice); false otherwise, p unchanged.
// `bits`: the vocabulary bits of the request's words.
bool ParseSubscriptionRequest(const std::vector<Tok>& toks, std::string_view text,
                              const Date& today, uint64_t bits, bool other_topic, ParsedRequest& p);

// True when the request asks about dunning ("Who is in dunning?", "list the dunned customers").
bool AsksForDunning(const std::vector<Tok>& toks);

}  // namespace billing::parse
