// Requests about an invoice's lifecycle (issue #12): drafts ("Create a draft invoice for CUST-001
// for $500 due 2027-01-15", "Finalize draft_3", "Show the drafts") and credit notes ("Issue a $50
// credit note on INV-2026-004 and refund it", "Credit $20 on INV-2025-001 as account credit").
// Ids of drafts (draft_3, "draft 3") are invoice ids to the lexer.
//
// Thread-safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/parse/lexer.h"
#include "agent/request_parser.h"

namespace billing::parse {

// Sets p's intent (kCreditNote, kFinalizeInvoice, kApplyCoupon, kListCoupons, or
// kListInvoices of drafts) and its slots (refund_to, invoice_status) when the request asks for
// one of them; false otherwise, p unchanged. `listy`: the request asks for a list.
bool ParseInvoiceLifecycle(const std::vector<Tok>& toks, uint64_t bits, bool listy,
                           ParsedRequest& p);

// Whether the request asks for a draft ("a draft invoice", "as a draft", "draft an invoice").
bool AsksForDraft(const std::vector<Tok>& toks);

// The coupon code a request names ("coupon WELCOME10", "promo code SAVE-20", "with code X"), as
// written but upper case, and the index of its keyword ("coupon"); {"", toks.size()} if none.
std::pair<std::string, size_t> CouponCode(const std::vector<Tok>& toks, std::string_view text);

}  // namespace billing::parse
