#include "agent/parse/lexer.h"

#include <algorithm>
#include <optional>

#include "agent/parse/dates.h"
#include "agent/parse/text.h"
#include "agent/parse/vocabulary.h"
#include "money/money.h"

namespace billing::parse {
namespace {

constexpr size_t kMaxTokens = 600;

// Characters that end a token and are themselves punctuation tokens (or dropped).
bool IsSeparator(char c) {
  switch (c) {
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '?':
    case '!':
    case ';':
    case ':':
    case '"':
    case '*':
    case '<':
    case '>':
    case '=':
    case '|':
    case '`':
    case '~':
      return true;
    default:
      return false;
  }
}

// Amount text after a currency marker ("1,500.00", "2k", "150/hour").
void SetAmount(Tok& t, std::string_view body, std::string_view original, Lexed& lx) {
  t.kind = Kind::kAmount;
  const size_t slash = body.find('/');
  if (slash != std::string_view::npos) body = body.substr(0, slash);
  int64_t scale = 1;
  if (!body.empty() && body.back() == 'k') {
    body.remove_suffix(1);
    scale = 1000;
  }
  if (!body.empty() && body.front() == '-') {  // "$-5"
    t.bad = true;
    t.negative = true;
    if (lx.nonpositive_amount.empty()) lx.nonpositive_amount = std::string(original);
    return;
  }
  AmountRules rules;
  rules.max_minor = rules.max_minor / scale;
  rules.allow_zero = true;  // zero is refused by the rule below, with its own message
  auto r = ParseAmount(body, Usd(), rules, "amount");
  if (r.ok() && *r == 0) {
    t.bad = true;
    if (lx.nonpositive_amount.empty()) {
      lx.nonpositive_amount = original.empty() ? std::string("0") : std::string(original);
    }
    return;
  }
  if (!r.ok()) {
    t.bad = true;
    if (lx.bad_amount.empty()) {
      lx.bad_amount =
          "I couldn't use the amount '" + std::string(original) + "': " + r.error().message;
    }
    return;
  }
  t.minor = *r * scale;
}

// Number text: digits with optional thousands commas and a decimal point.
bool LooksNumeric(std::string_view s) {
  if (s.empty() || !IsDigit(s.front())) return false;
  int points = 0;
  for (char c : s) {
    if (c == '.') {
      if (++points > 1) return false;
    } else if (c != ',' && !IsDigit(c)) {
      return false;
    }
  }
  return IsDigit(s.back());
}

void ClassifyUnsigned(Tok& t, std::string_view s, std::string_view orig, bool first, Lexed& lx);

// A token written with a minus sign ("-$20", "-50", "$-5"): an amount that can never be used.
void Classify(Tok& t, std::string_view orig, bool first, Lexed& lx) {
  const std::string_view s = t.low;
  if (s.size() > 1 && s[0] == '-' && (s[1] == '$' || IsDigit(s[1]))) {
    ClassifyUnsigned(t, s.substr(1), orig.substr(1), first, lx);
    if (t.kind == Kind::kAmount || t.kind == Kind::kNumber) {
      t.negative = true;
      if (t.kind == Kind::kAmount) {
        t.bad = true;
        if (lx.nonpositive_amount.empty()) lx.nonpositive_amount = std::string(orig);
      }
    }
    return;
  }
  ClassifyUnsigned(t, s, orig, first, lx);
}

void ClassifyUnsigned(Tok& t, std::string_view s, std::string_view orig, bool first, Lexed& lx) {
  t.kind = Kind::kWord;
  if (s.size() > 1 && s[0] == '$') {
    SetAmount(t, s.substr(1), orig, lx);
    return;
  }
  if (s.size() > 3 && s.substr(0, 3) == "us$") {
    SetAmount(t, s.substr(3), orig, lx);
    return;
  }
  if (s.size() > 1 && s[0] == '#' && IsAllDigits(s.substr(1))) {
    t.kind = Kind::kNumber;
    t.hash = true;
    t.id = std::string(s.substr(1));
    t.num = ParseSmallInt(s.substr(1));
    return;
  }
  // Ids: cust-001, cust_1, cust1, inv-2025-001, inv-1, pay-001, sub-001.
  auto id_rest = [&](std::string_view prefix) -> std::string_view {
    if (s.size() <= prefix.size() || s.substr(0, prefix.size()) != prefix) return {};
    std::string_view rest = s.substr(prefix.size());
    if (rest.front() == '-' || rest.front() == '_' || rest.front() == '#') rest.remove_prefix(1);
    return rest;
  };
  if (std::string_view r = id_rest("cust"); IsAllDigits(r) && r.size() <= 9) {
    t.kind = Kind::kCustId;
    t.id = "CUST-" + PadSeq(r);
    return;
  }
  if (std::string_view r = id_rest("pay"); IsAllDigits(r) && r.size() <= 9) {
    t.kind = Kind::kPayId;
    t.id = "PAY-" + PadSeq(r);
    return;
  }
  // A draft invoice: draft_7, draft-7 (no padding: drafts have no number).
  if (std::string_view r = id_rest("draft"); IsAllDigits(r) && r.size() <= 9) {
    while (r.size() > 1 && r.front() == '0') r.remove_prefix(1);
    if (r != "0") {
      t.kind = Kind::kInvId;
      t.id = "draft_" + std::string(r);
      return;
    }
  }
  if (std::string_view r = id_rest("sub"); IsAllDigits(r) && r.size() <= 9) {
    t.kind = Kind::kSubId;
    t.id = "SUB-" + PadSeq(r);
    return;
  }
  if (std::string_view r = id_rest("inv"); !r.empty() && IsDigit(r.front()) && r.size() <= 20) {
    const size_t dash = r.find('-');
    if (dash == std::string_view::npos && IsAllDigits(r)) {
      t.kind = Kind::kInvId;
      t.id = "INV-" + PadSeq(r);
      return;
    }
    if (dash != std::string_view::npos && IsAllDigits(r.substr(0, dash)) &&
        IsAllDigits(r.substr(dash + 1))) {
      t.kind = Kind::kInvId;
      t.id = "INV-" + std::string(r.substr(0, dash)) + "-" + PadSeq(r.substr(dash + 1));
      return;
    }
  }
  // Dates: 2026-12-15, 2026/12/15, 12/15/2026 (dates.h).
  if (ClassifyDate(t, orig, lx)) return;
  if (LooksNumeric(s)) {
    t.kind = Kind::kNumber;
    t.id.reserve(s.size());
    for (char c : s) {
      if (c != ',') t.id.push_back(c);
    }
    t.num = ParseSmallInt(t.id);
    return;
  }
  // 15th, 1st, 2nd, 3rd
  if (s.size() >= 3 && s.size() <= 4) {
    std::string_view suffix = s.substr(s.size() - 2);
    std::string_view digits = s.substr(0, s.size() - 2);
    if (IsAllDigits(digits) &&
        (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th")) {
      t.kind = Kind::kNumber;
      t.ordinal = true;
      t.id = std::string(digits);
      t.num = ParseSmallInt(digits);
      return;
    }
  }
  // 2x, x2: a quantity.
  if (s.size() >= 2 && s.size() <= 6) {
    std::string_view digits;
    if (s.back() == 'x') digits = s.substr(0, s.size() - 1);
    if (s.front() == 'x') digits = s.substr(1);
    if (IsAllDigits(digits)) {
      t.kind = Kind::kNumber;
      t.times = true;
      t.id = std::string(digits);
      t.num = ParseSmallInt(digits);
      return;
    }
  }
  t.bits = WordBits(s);
  // A typo of a feature word, unless it is capitalised mid-sentence (a company name, probably).
  const bool capitalised = !orig.empty() && orig[0] >= 'A' && orig[0] <= 'Z';
  if (t.bits == 0 && (first || !capitalised)) t.bits = TypoWordBits(s);
}

}  // namespace

Lexed Lex(std::string_view text, std::string_view lc) {
  Lexed lx;
  const size_t n = std::min(text.size(), kMaxTextBytes);
  lx.toks.reserve(32);
  size_t i = 0;
  auto push_punct = [&](size_t at) {
    Tok t;
    t.kind = Kind::kPunct;
    t.begin = uint32_t(at);
    t.end = uint32_t(at + 1);
    t.low = lc.substr(at, 1);
    lx.toks.push_back(std::move(t));
  };
  while (i < n && lx.toks.size() < kMaxTokens) {
    const char c = text[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    if (IsSeparator(c)) {
      if (c != '"' && c != '*' && c != '`') push_punct(i);
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < n && !IsSpace(text[i]) && !IsSeparator(text[i])) ++i;
    size_t end = i;
    size_t comma = std::string_view::npos, period = std::string_view::npos;
    while (end > start) {
      const char t = text[end - 1];
      if (t == ',') {
        comma = end - 1;
      } else if (t == '.') {
        period = end - 1;
      } else if (t != '-' && t != '\'') {
        break;
      }
      --end;
    }
    if (end - start >= 3 && lc[end - 2] == '\'' && lc[end - 1] == 's') end -= 2;  // possessive
    size_t lead = start;
    while (lead < end && text[lead] == '\'') ++lead;  // opening single quote
    if (end > lead) {
      Tok t;
      t.begin = uint32_t(lead);
      t.end = uint32_t(end);
      t.low = lc.substr(lead, end - lead);
      Classify(t, text.substr(lead, end - lead), lx.toks.empty(), lx);
      lx.toks.push_back(std::move(t));
    }
    if (comma != std::string_view::npos) {
      push_punct(comma);
    } else if (period != std::string_view::npos) {
      push_punct(period);
    }
  }
  return lx;
}

// Second pass: multi-token amounts, ids, dates (the date phrases are MergeDate's, dates.h).
std::vector<Tok> Merge(std::vector<Tok> in, const Date& today, Lexed& lx) {
  std::vector<Tok> out;
  out.reserve(in.size());
  const size_t n = in.size();
  auto word = [&](size_t k, std::string_view w) { return k < n && IsWord(in[k], w); };
  auto number = [&](size_t k) { return k < n && in[k].kind == Kind::kNumber; };
  auto amount_from_number = [&](const Tok& num, size_t first, size_t last) {
    Tok t = num;
    if (num.negative) {  // "-50 dollars"
      t.kind = Kind::kAmount;
      t.bad = true;
      if (lx.nonpositive_amount.empty()) lx.nonpositive_amount = "-" + num.id;
      t.begin = in[first].begin;
      t.end = in[last].end;
      return t;
    }
    SetAmount(t, num.id, num.id, lx);
    t.begin = in[first].begin;
    t.end = in[last].end;
    return t;
  };
  for (size_t i = 0; i < n; ++i) {
    const Tok& t = in[i];
    if (t.kind == Kind::kWord) {
      // "$ 1500", "usd 1500"
      if ((t.low == "$" || t.low == "usd" || t.low == "us$") && number(i + 1) && !in[i + 1].times) {
        out.push_back(amount_from_number(in[i + 1], i, i + 1));
        ++i;
        continue;
      }
      // "draft 7", "draft #7", "draft number 7": a draft invoice's id.
      if (t.low == "draft") {
        size_t k = i + 1;
        if (word(k, "id") || word(k, "number") || word(k, "no") || word(k, "invoice")) ++k;
        // "draft 3 hours of consulting": a quantity with its unit, not an id.
        const bool unit_follows =
            (k + 1 < n && in[k + 1].kind == Kind::kWord && IsTimeUnit(in[k + 1].low)) ||
            word(k + 1, "units") || word(k + 1, "seats") || word(k + 1, "licenses") ||
            word(k + 1, "x") || word(k + 1, "items") || word(k + 1, "dollars") ||
            word(k + 1, "usd");
        if (number(k) && in[k].num > 0 && !in[k].ordinal && !in[k].times &&
            in[k].id.find('.') == std::string::npos && in[k].id.size() <= 9 &&
            (in[k].hash || !unit_follows)) {
          out.push_back(t);
          Tok id = in[k];
          id.kind = Kind::kInvId;
          id.id = "draft_" + std::to_string(in[k].num);
          out.push_back(std::move(id));
          i = k;
          continue;
        }
      }
      // "customer 1", "customer #1", "customer id 1", "invoice number 3", "payment #2"
      const bool is_cust =
          t.low == "customer" || t.low == "client" || t.low == "account" || t.low == "cust";
      const bool is_inv = t.low == "invoice";
      const bool is_pay = t.low == "payment";
      if (is_cust || is_inv || is_pay) {
        size_t k = i + 1;
        bool marker = false;
        if (word(k, "id") || word(k, "number") || word(k, "no") || (k < n && IsPunct(in[k], ':'))) {
          ++k;
          marker = true;
          if (k < n && IsPunct(in[k], '.')) ++k;
        }
        // "invoice 3 hours of consulting": a quantity with its unit, not an id.
        const bool unit_follows =
            (k + 1 < n && in[k + 1].kind == Kind::kWord && IsTimeUnit(in[k + 1].low)) ||
            word(k + 1, "units") || word(k + 1, "seats") || word(k + 1, "licenses") ||
            word(k + 1, "x") || word(k + 1, "items");
        if (number(k) && in[k].num >= 0 && !in[k].ordinal && !in[k].times &&
            in[k].id.find('.') == std::string::npos && in[k].id.size() <= 9 &&
            (marker || in[k].hash || !is_pay) && (marker || in[k].hash || !unit_follows) &&
            !(k + 1 < n && (word(k + 1, "dollars") || word(k + 1, "usd")))) {
          out.push_back(t);
          Tok id = in[k];
          id.kind = is_cust ? Kind::kCustId : is_inv ? Kind::kInvId : Kind::kPayId;
          id.id = (is_cust ? "CUST-" : is_inv ? "INV-" : "PAY-") + PadSeq(in[k].id);
          out.push_back(std::move(id));
          i = k;
          continue;
        }
        // "invoice 2025-001"
        if (is_inv && k < n && in[k].kind == Kind::kWord && in[k].low.size() >= 6 &&
            in[k].low[4] == '-' && IsAllDigits(in[k].low.substr(0, 4)) &&
            IsAllDigits(in[k].low.substr(5))) {
          out.push_back(t);
          Tok id = in[k];
          id.kind = Kind::kInvId;
          id.id = "INV-" + std::string(in[k].low.substr(0, 4)) + "-" + PadSeq(in[k].low.substr(5));
          out.push_back(std::move(id));
          i = k;
          continue;
        }
      }
    }
    if (const std::optional<size_t> last = MergeDate(in, i, today, lx, out)) {
      i = *last;
      continue;
    }
    if (t.kind == Kind::kNumber && !t.hash && !t.times) {
      // "1500 dollars", "1500 usd"
      if (word(i + 1, "dollars") || word(i + 1, "dollar") || word(i + 1, "usd") ||
          word(i + 1, "bucks")) {
        out.push_back(amount_from_number(t, i, i + 1));
        ++i;
        continue;
      }
      // A bare number right before a payment word: "a 99.99 payment", "a 500 refund".
      if (!t.ordinal &&
          (word(i + 1, "payment") || word(i + 1, "refund") || word(i + 1, "charge"))) {
        Tok probe = amount_from_number(t, i, i);
        if (!probe.bad) {
          out.push_back(std::move(probe));
          continue;
        }
      }
      // A bare number right after a money verb: "payment of 750", "refund 100 of PAY-001".
      if (!out.empty() && out.back().kind == Kind::kWord && !t.ordinal) {
        const std::string_view prev = out.back().low;
        const bool unit_follows = i + 1 < n && in[i + 1].kind == Kind::kWord &&
                                  in[i + 1].bits == 0 && !IsWord(in[i + 1], "of");
        if (!unit_follows && (prev == "of" || prev == "amount" || prev == "refund" ||
                              prev == "pay" || prev == "charge" || prev == "collect" ||
                              prev == "receive" || prev == "bill" || prev == "payment")) {
          Tok probe = amount_from_number(t, i, i);
          if (!probe.bad) {
            out.push_back(std::move(probe));
            continue;
          }
        }
      }
    }
    out.push_back(std::move(in[i]));
  }
  return out;
}

}  // namespace billing::parse
