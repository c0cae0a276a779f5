#include "agent/parse/line_items.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "agent/parse/text.h"
#include "agent/parse/vocabulary.h"
#include "money/money.h"

namespace billing::parse {
namespace {

constexpr size_t kMaxDescription = 200;

bool IsFiller(std::string_view w) {
  static constexpr std::string_view kFillers[] = {
      "for",   "with",   "at",        "each",    "of",        "a",           "an",        "the",
      "and",   "to",     "including", "include", "includes",  "plus",        "per",       "x",
      "@",     "by",     "on",        "amount",  "amounting", "totaling",    "totalling", "total",
      "items", "item",   "line",      "lines",   "following", "description", "described", "as",
      "is",    "called", "\xC3\x97",  "qty",     "quantity",  "-",           "&",         "in",
  };
  for (std::string_view f : kFillers) {
    if (f == w) return true;
  }
  return false;
}

bool IsCutWord(const Tok& t) {
  return (t.kind == Kind::kWord &&
          (t.low == "for" || t.low == "with" || t.low == "including" || t.low == "includes")) ||
         IsPunct(t, ':');
}

// Description from a run of tokens: fillers trimmed from both ends, punctuation dropped.
std::string Describe(const std::vector<const Tok*>& run, std::string_view text) {
  size_t b = 0, e = run.size();
  auto skippable = [](const Tok* t) {
    return t->kind == Kind::kPunct || (t->kind == Kind::kWord && IsFiller(t->low));
  };
  while (b < e && skippable(run[b])) ++b;
  while (e > b && skippable(run[e - 1])) --e;
  // "hours of training": the unit is the quantity's, the line is the training.
  auto is_unit = [](const Tok* t) { return t->kind == Kind::kWord && IsTimeUnit(t->low); };

  if (e - b >= 3 && is_unit(run[b]) && run[b + 1]->kind == Kind::kWord && run[b + 1]->low == "of") {
    b += 2;
  }
  std::string out;
  for (size_t k = b; k < e; ++k) {
    const Tok* t = run[k];
    if (t->kind == Kind::kPunct) {
      if (t->low == "," && !out.empty()) out += ',';
      continue;
    }
    if (!out.empty()) out += ' ';
    out.append(text.substr(t->begin, t->end - t->begin));
  }
  return Clip(out, kMaxDescription);
}

// One invoice line from a segment holding exactly one amount.
ParsedLineItem ItemFromSegment(const std::vector<const Tok*>& seg, std::string_view text) {
  ParsedLineItem item;
  size_t amount_at = 0;
  for (size_t k = 0; k < seg.size(); ++k) {
    if (seg[k]->kind == Kind::kAmount) {
      amount_at = k;
      break;
    }
  }
  item.unit_price_minor = seg[amount_at]->minor;
  const Tok* qty = nullptr;
  for (size_t k = 0; k < seg.size(); ++k) {
    const Tok* t = seg[k];
    if (t->kind == Kind::kNumber && !t->hash && !t->ordinal) {
      qty = t;
      break;
    }
  }
  if (qty) {
    auto r = ParseQuantityMilli(nlohmann::json(qty->id), "quantity");
    if (r.ok()) item.quantity = qty->id;
  }
  std::vector<const Tok*> before, after;
  for (size_t k = 0; k < seg.size(); ++k) {
    if (k == amount_at || seg[k] == qty) continue;
    (k < amount_at ? before : after).push_back(seg[k]);
  }
  // Before the amount, the description starts after the last "for"/"with"/":".
  size_t cut = 0;
  for (size_t k = 0; k < before.size(); ++k) {
    if (IsCutWord(*before[k])) cut = k + 1;
  }
  before.erase(before.begin(), before.begin() + long(cut));
  // After the amount, a description is introduced by "for"/":"/"-" ("$1500 for Monthly
  // subscription services"); otherwise the words before the amount name the line
  // ("Premium Plan ($199)", "3 hours of consulting at $150 per hour").
  std::string pre = Describe(before, text), post = Describe(after, text);
  const bool post_introduced =
      !after.empty() && (IsWord(*after.front(), "for") || IsPunct(*after.front(), ':') ||
                         IsWord(*after.front(), "-"));
  item.description = (post_introduced && !post.empty()) || pre.empty() ? post : pre;
  if (item.description.empty()) item.description = "Services";
  return item;
}

}  // namespace

std::vector<ParsedLineItem> ExtractItems(const std::vector<Tok>& toks, std::string_view text) {
  // The item text starts after "invoice" / "bill".
  size_t start = 0;
  for (size_t k = 0; k < toks.size(); ++k) {
    if (toks[k].kind == Kind::kWord && (toks[k].bits & (kInvoiceW | kBillVerbW))) {
      start = k + 1;
      break;
    }
  }
  std::vector<bool> drop(toks.size(), false);
  for (size_t k = start; k < toks.size(); ++k) {
    const Tok& t = toks[k];
    if (t.kind == Kind::kCustId || t.kind == Kind::kDate || t.kind == Kind::kInvId) {
      drop[k] = true;
      // Connectives in front: "for customer CUST-002", "due on 2026-12-01".
      for (size_t b = k, steps = 0; b > start && steps < 4; --b, ++steps) {
        const Tok& p = toks[b - 1];
        const bool conn =
            p.kind == Kind::kWord &&
            (t.kind == Kind::kDate
                 ? (p.low == "due" || p.low == "on" || p.low == "by" || p.low == "date" ||
                    p.low == "payable" || p.low == "until" || p.low == "of" || p.low == "dated" ||
                    p.low == "is" || p.low == "a" || p.low == "the" || p.low == "with")
                 : (p.low == "for" || p.low == "to" || p.low == "customer" || p.low == "client" ||
                    p.low == "account" || p.low == "of"));
        if (!conn) break;
        drop[b - 1] = true;
      }
    } else if (t.kind == Kind::kWord && (t.bits & (kCardW | kBankW | kPaypalW | kCryptoW))) {
      drop[k] = true;
    } else if (IsWord(t, "due")) {
      drop[k] = true;
    }
  }
  std::vector<const Tok*> kept;
  size_t amounts = 0;
  for (size_t k = start; k < toks.size(); ++k) {
    if (drop[k]) continue;
    if (toks[k].kind == Kind::kAmount && !toks[k].bad) ++amounts;
    if (toks[k].kind == Kind::kAmount && toks[k].bad) continue;
    kept.push_back(&toks[k]);
  }
  std::vector<ParsedLineItem> items;
  if (amounts == 0) return items;
  if (amounts == 1) {
    items.push_back(ItemFromSegment(kept, text));
    return items;
  }
  // Several amounts: split at ",", ";", "." and "and"/"plus"; a segment with several amounts is
  // split after each amount; words with no amount join the next segment.
  std::vector<std::vector<const Tok*>> segs(1);
  for (const Tok* t : kept) {
    const bool sep =
        (t->kind == Kind::kPunct && (t->low == "," || t->low == ";" || t->low == ".")) ||
        IsWord(*t, "and") || IsWord(*t, "plus") || IsWord(*t, "&");
    if (sep) {
      segs.emplace_back();
      continue;
    }
    std::vector<const Tok*>& cur = segs.back();
    const bool cur_has_amount =
        std::any_of(cur.begin(), cur.end(), [](const Tok* x) { return x->kind == Kind::kAmount; });
    if (cur_has_amount && t->kind == Kind::kAmount) {
      // Second amount in one segment: the words after the first amount start the new line
      // unless they are fillers ("each").
      std::vector<const Tok*> moved;
      size_t a = 0;
      while (a < cur.size() && cur[a]->kind != Kind::kAmount) ++a;
      size_t from = a + 1;
      while (from < cur.size() && (cur[from]->kind == Kind::kPunct ||
                                   (cur[from]->kind == Kind::kWord &&
                                    (cur[from]->low == "each" || cur[from]->low == "per")))) {
        ++from;
      }
      moved.assign(cur.begin() + long(from), cur.end());
      cur.erase(cur.begin() + long(from), cur.end());
      segs.push_back(std::move(moved));
    }
    segs.back().push_back(t);
  }
  std::vector<const Tok*> carry;
  for (auto& seg : segs) {
    const bool has_amount =
        std::any_of(seg.begin(), seg.end(), [](const Tok* x) { return x->kind == Kind::kAmount; });
    if (!has_amount) {
      carry.insert(carry.end(), seg.begin(), seg.end());
      continue;
    }
    if (!carry.empty()) {
      seg.insert(seg.begin(), carry.begin(), carry.end());
      carry.clear();
    }
    items.push_back(ItemFromSegment(seg, text));
    if (items.size() >= 100) break;
  }
  return items;
}

}  // namespace billing::parse
