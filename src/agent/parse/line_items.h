// Invoice line items from a create request: the text after "invoice"/"bill" is split into lines
// at ",", ";", "." and "and"/"plus", one line per amount, each with a description (fillers such as
// "for", "each", "at" trimmed), a quantity ("3 hours", "2x") and a unit price:
// "Create an invoice for CUST-002: Premium Plan $199, 3 hours of consulting at $150 per hour".
// Customer and invoice ids and dates (with their connectives: "for customer", "due on"), payment
// methods and "due" are not part of a line. Prices are the lexer's amounts; a line with no words
// is "Services".
//
// Thread-safety: pure functions over values; safe to call concurrently from any thread.
#pragma once

#include <string_view>
#include <vector>

#include "agent/parse/lexer.h"
#include "agent/request_parser.h"

namespace billing::parse {

// The line items of a create request: `toks` from Merge(), `text` the message they view. Empty
// when the text has no valid amount; at most 100 lines.
std::vector<ParsedLineItem> ExtractItems(const std::vector<Tok>& toks, std::string_view text);

}  // namespace billing::parse
