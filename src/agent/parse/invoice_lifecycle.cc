// Drafts and credit notes in a request; see invoice_lifecycle.h.
#include "agent/parse/invoice_lifecycle.h"

#include "agent/parse/vocabulary.h"

namespace billing::parse {
namespace {

// "credit note", "credit memo", "credit-note", "creditnote".
bool CreditNote(const std::vector<Tok>& toks) {
  for (size_t k = 0; k < toks.size(); ++k) {
    if (IsWord(toks[k], "credit-note") || IsWord(toks[k], "creditnote") ||
        IsWord(toks[k], "credit-notes")) {
      return true;
    }
    if (IsWord(toks[k], "credit") && k + 1 < toks.size() &&
        (IsWord(toks[k + 1], "note") || IsWord(toks[k + 1], "notes") ||
         IsWord(toks[k + 1], "memo"))) {
      return true;
    }
  }
  return false;
}

// Where a credit note's money goes: "and refund it", "refund the customer", "give the money
// back" -> refund; "as credit", "keep it as credit", "to their balance", "on account",
// "store credit" -> credit. A request saying both is unclear: "" (the tool then asks).
std::string Destination(const std::vector<Tok>& toks) {
  bool refund = false, credit = false;
  for (size_t k = 0; k < toks.size(); ++k) {
    const Tok& t = toks[k];
    if (t.kind != Kind::kWord) continue;
    if (t.low == "refund" || t.low == "refunded" || t.low == "refunding" || t.low == "refunds" ||
        t.low == "reimburse" ||
        (t.low == "back" && k > 0 &&
         (IsWord(toks[k - 1], "money") || IsWord(toks[k - 1], "give") ||
          IsWord(toks[k - 1], "it") || IsWord(toks[k - 1], "them")))) {
      refund = true;
    }
    // "credit" after the note's own words: "as credit", "account credit", "store credit".
    if (t.low == "credit" &&
        !(k + 1 < toks.size() && (IsWord(toks[k + 1], "note") || IsWord(toks[k + 1], "notes") ||
                                  IsWord(toks[k + 1], "memo")))) {
      if (k > 0 && (IsWord(toks[k - 1], "as") || IsWord(toks[k - 1], "account") ||
                    IsWord(toks[k - 1], "store") || IsWord(toks[k - 1], "customer") ||
                    IsWord(toks[k - 1], "their") || IsWord(toks[k - 1], "in"))) {
        credit = true;
      }
    }
    if (t.low == "balance" || (t.low == "account" && k > 0 && IsWord(toks[k - 1], "on")) ||
        t.low == "keep") {
      credit = true;
    }
  }
  if (refund == credit) return {};
  return refund ? "refund" : "credit";
}

}  // namespace

std::pair<std::string, size_t> CouponCode(const std::vector<Tok>& toks, std::string_view text) {
  for (size_t k = 0; k < toks.size(); ++k) {
    const Tok& t = toks[k];
    if (!(IsWord(t, "coupon") || IsWord(t, "promo") || IsWord(t, "voucher") ||
          IsWord(t, "discount"))) {
      continue;
    }
    size_t c = k + 1;
    if (c < toks.size() && (IsWord(toks[c], "code") || IsWord(toks[c], "codes"))) ++c;
    if (c < toks.size() && IsPunct(toks[c], ':')) ++c;
    if (c >= toks.size()) break;
    const Tok& code = toks[c];
    // A code is one token of letters, digits, '-' or '_' that is not an ordinary word.
    if (code.kind != Kind::kWord && code.kind != Kind::kNumber) continue;
    if (code.kind == Kind::kWord && code.bits != 0 && code.bits != kStopW) continue;
    std::string out;
    for (char ch : text.substr(code.begin, code.end - code.begin)) {
      const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
      if (!ok) {
        out.clear();
        break;
      }
      out.push_back(ch >= 'a' && ch <= 'z' ? char(ch - 'a' + 'A') : ch);
    }
    if (out.size() < 3 || out.size() > 32 || out == "THE" || out == "FOR" || out == "AND") {
      continue;
    }
    return {out, k};
  }
  return {std::string(), toks.size()};
}

bool AsksForDraft(const std::vector<Tok>& toks) {
  return HasWord(toks, "draft") || HasWord(toks, "drafts");
}

bool ParseInvoiceLifecycle(const std::vector<Tok>& toks, uint64_t bits, bool listy,
                           ParsedRequest& p) {
  if (CreditNote(toks) && !listy) {
    p.intent = Intent::kCreditNote;
    p.refund_to = Destination(toks);
    return true;
  }
  // "Apply coupon WELCOME10 to the invoice", "add promo code SAVE20 to draft_2".
  // ("draft" counts as a create word; "create ... with coupon X" is a new invoice instead.)
  if (!p.coupon_code.empty() &&
      (HasWord(toks, "apply") || HasWord(toks, "add") || HasWord(toks, "use")) &&
      !HasWord(toks, "create") && !HasWord(toks, "new") && !HasWord(toks, "make")) {
    p.intent = Intent::kApplyCoupon;
    return true;
  }
  if (HasWord(toks, "coupons") && p.coupon_code.empty()) {  // "what coupons do we have?"
    p.intent = Intent::kListCoupons;
    return true;
  }
  if (HasWord(toks, "finalize") || HasWord(toks, "finalise") || HasWord(toks, "finalized") ||
      HasWord(toks, "finalised")) {
    p.intent = Intent::kFinalizeInvoice;
    return true;
  }
  // "show the drafts", "list draft invoices", "which invoices are drafts?"
  const bool about_drafts =
      HasWord(toks, "drafts") || (HasWord(toks, "draft") && (listy || (bits & kWhoW) != 0));
  if (about_drafts && p.invoice_id.empty() && p.amounts.empty()) {
    p.intent = Intent::kListInvoices;
    p.invoice_status = "draft";
    return true;
  }
  return false;
}

}  // namespace billing::parse
