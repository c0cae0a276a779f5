// Requests that manage customers (issue #13): "Add a customer Acme GmbH, billing@acme.example,
// monthly, paying by bank transfer, in EUR", "Change CUST-001's email to ap@techcorp.example",
// "Suspend CUST-002", "Reinstate Digital Agency Pro". The general parser has already read the
// billing cycle, payment method and currency (ParsedRequest); this adds the company, email,
// contact, locale, tax rate and payment terms, and the intent.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/parse/lexer.h"
#include "agent/request_parser.h"

namespace billing::parse {

// Fills p's intent and p.new_customer when the request creates, updates, suspends or reinstates
// a customer and is not about an invoice, payment or subscription (`other_topic`) nor a question
// ("Why did dunning suspend TechCorp?"); false otherwise, p unchanged. `bits`: the vocabulary bits of the request's words.
bool ParseCustomerManagement(const std::vector<Tok>& toks, std::string_view text, uint64_t bits,
                             bool other_topic, ParsedRequest& p);

// The first e-mail address in `text` ("" when none): the characters around an '@' that may be
// in an address.
std::string EmailIn(std::string_view text);

}  // namespace billing::parse
