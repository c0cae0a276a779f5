// Customer management in a request; see customers.h.
#include "agent/parse/customers.h"

#include <string>

#include "agent/parse/text.h"
#include "agent/parse/vocabulary.h"

namespace billing::parse {
namespace {

constexpr size_t kMaxNameWords = 8;

bool AddressChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '.' || c == '_' ||
         c == '%' || c == '+' || c == '-';
}

size_t Find(const std::vector<Tok>& toks, std::string_view w, size_t from = 0) {
  for (size_t k = from; k < toks.size(); ++k) {
    if (IsWord(toks[k], w)) return k;
  }
  return toks.size();
}

bool IsCustomerWord(const Tok& t) {
  return IsWord(t, "customer") || IsWord(t, "client") || IsWord(t, "account");
}

bool Stops(const Tok& t) {
  if (t.kind == Kind::kPunct) return true;
  if (t.kind != Kind::kWord) return true;
  if (t.low.find('@') != std::string_view::npos) return true;
  return IsWord(t, "with") || IsWord(t, "as") || IsWord(t, "email") || IsWord(t, "e-mail") ||
         IsWord(t, "billed") || IsWord(t, "billing") || IsWord(t, "paying") || IsWord(t, "pays") ||
         IsWord(t, "in") || IsWord(t, "and") || IsWord(t, "contact") || IsWord(t, "who") ||
         IsWord(t, "that") || IsWord(t, "on") || IsWord(t, "at") ||
         (t.bits & (kMonthlyW | kQuarterlyW | kAnnualW)) != 0;
}

// The words from toks[k] up to the first stop, as written ("Acme GmbH").
std::string NameFrom(const std::vector<Tok>& toks, std::string_view text, size_t k) {
  size_t last = k;
  while (last < toks.size() && last - k < kMaxNameWords && !Stops(toks[last])) ++last;
  if (last == k) return {};
  return Clip(TrimView(text.substr(toks[k].begin, toks[last - 1].end - toks[k].begin)), 200);
}

// "de" for "German", "in German", "locale de"; "" when no language is named.
std::string LocaleIn(const std::vector<Tok>& toks) {
  struct Name {
    std::string_view word, code;
  };
  constexpr Name kNames[] = {{"english", "en"}, {"german", "de"},   {"deutsch", "de"},
                             {"french", "fr"},  {"francais", "fr"}, {"spanish", "es"},
                             {"espanol", "es"}};
  for (size_t k = 0; k < toks.size(); ++k) {
    for (const Name& n : kNames) {
      if (IsWord(toks[k], n.word)) return std::string(n.code);
    }
    if ((IsWord(toks[k], "locale") || IsWord(toks[k], "language")) && k + 1 < toks.size()) {
      size_t v = k + 1;
      if (IsWord(toks[v], "to") && v + 1 < toks.size()) ++v;
      for (std::string_view code : {"en", "de", "fr", "es"}) {
        if (IsWord(toks[v], code)) return std::string(code);
      }
    }
  }
  return {};
}

// "19%" or "8.25 %" after "tax" or "vat" (or before them): the percentage as written.
std::string TaxRateIn(const std::vector<Tok>& toks, std::string_view text) {
  if (!HasWord(toks, "tax") && !HasWord(toks, "vat")) return {};
  for (size_t pct = text.find('%'); pct != std::string_view::npos; pct = text.find('%', pct + 1)) {
    size_t b = pct;
    while (b > 0 && IsSpace(text[b - 1])) --b;
    const size_t end = b;
    while (b > 0 && (IsDigit(text[b - 1]) || text[b - 1] == '.')) --b;
    if (b < end) return std::string(text.substr(b, end - b)) + "%";
  }
  // "tax rate 19", "tax rate to 0": a plain number right after.
  for (size_t k = 0; k + 1 < toks.size(); ++k) {
    if (!IsWord(toks[k], "tax") && !IsWord(toks[k], "vat")) continue;
    for (size_t v = k + 1; v < toks.size() && v <= k + 3; ++v) {
      if (toks[v].kind == Kind::kNumber && !toks[v].id.empty()) return toks[v].id;
    }
  }
  return {};
}

// "net 15", "payment terms of 45 days", "terms 14 days": the days. The lexer reads "net 15" as a
// due date (dates.h); its text still says the days.
std::optional<int> TermsIn(const std::vector<Tok>& toks, std::string_view text) {
  for (const Tok& t : toks) {
    if (t.kind != Kind::kDate || t.low.substr(0, 3) != "net") continue;
    std::string_view rest = text.substr(t.begin + 3, t.end - t.begin - 3);
    while (!rest.empty() && (IsSpace(rest.front()) || rest.front() == '-')) rest.remove_prefix(1);
    if (const int days = ParseSmallInt(rest); days > 0) return days;
  }
  for (size_t k = 0; k + 1 < toks.size(); ++k) {
    if (!IsWord(toks[k], "terms")) continue;
    for (size_t v = k + 1; v < toks.size() && v <= k + 3; ++v) {
      if (toks[v].kind == Kind::kNumber && toks[v].num > 0) return toks[v].num;
    }
  }
  return std::nullopt;
}

// The text after the last "to" (an update's new value: "rename CUST-001 to Acme Ltd"), "" when
// there is none.
std::string ValueAfterTo(const std::vector<Tok>& toks, std::string_view text) {
  for (size_t k = toks.size(); k-- > 0;) {
    if (IsWord(toks[k], "to") && k + 1 < toks.size()) {
      return Clip(TrimView(text.substr(toks[k + 1].begin)), 200);
    }
  }
  return {};
}

// A question about customers ("Why did dunning suspend TechCorp?", "What happens when I add a
// customer?") changes nothing: only a request does ("Suspend CUST-002", "Can you add ...").
bool AsksAQuestion(const std::vector<Tok>& toks) {
  if (toks.empty() || toks[0].kind != Kind::kWord) return false;
  for (std::string_view w : {"why", "what", "how", "when", "where", "who", "which", "did", "does",
                             "do", "is", "was", "were", "has", "have", "had"}) {
    if (toks[0].low == w) return true;
  }
  return false;
}

}  // namespace

std::string EmailIn(std::string_view text) {
  for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    size_t b = at, e = at + 1;
    while (b > 0 && AddressChar(text[b - 1])) --b;
    while (e < text.size() && AddressChar(text[e])) ++e;
    while (e > at + 1 && (text[e - 1] == '.' || text[e - 1] == '-')) --e;  // "...example."
    if (b < at && e > at + 1) return std::string(text.substr(b, e - b));
  }
  return {};
}

bool ParseCustomerManagement(const std::vector<Tok>& toks, std::string_view text, uint64_t bits,
                             bool other_topic, ParsedRequest& p) {
  if (other_topic || AsksAQuestion(toks)) return false;
  const bool listy = (bits & (kListW | kAllW | kWhoW)) != 0;
  NewCustomerFields f;
  f.email = EmailIn(text);
  f.locale = LocaleIn(toks);
  f.tax_rate = TaxRateIn(toks, text);
  f.payment_terms_days = TermsIn(toks, text);
  if (HasWord(toks, "suspend")) {
    p.intent = Intent::kSuspendCustomer;
  } else if (HasWord(toks, "reinstate") || HasWord(toks, "reactivate") ||
             HasWord(toks, "unsuspend")) {
    p.intent = Intent::kReinstateCustomer;
  } else if (p.customer_id.empty() && !listy &&
             ((bits & kCreateW) || HasWord(toks, "add") || HasWord(toks, "onboard") ||
              HasWord(toks, "register")) &&
             (Find(toks, "customer") < toks.size() || Find(toks, "client") < toks.size())) {
    p.intent = Intent::kCreateCustomer;
    // The company: quoted, or after "customer" ("called", "named"), or before "as a customer".
    const size_t q = text.find('"');
    const size_t q2 = q == std::string_view::npos ? q : text.find('"', q + 1);
    if (q2 != std::string_view::npos) {
      // As written between the quotes ("Kite & Co."), spaces aside.
      std::string_view quoted = text.substr(q + 1, q2 - q - 1);
      while (!quoted.empty() && IsSpace(quoted.front())) quoted.remove_prefix(1);
      while (!quoted.empty() && IsSpace(quoted.back())) quoted.remove_suffix(1);
      f.company = Clip(quoted, 200);
    }
    for (size_t k = 0; f.company.empty() && k < toks.size(); ++k) {
      if (!IsCustomerWord(toks[k])) continue;
      size_t from = k + 1;
      if (from < toks.size() && (IsWord(toks[from], "called") || IsWord(toks[from], "named"))) {
        ++from;
      }
      if (from < toks.size()) f.company = NameFrom(toks, text, from);
      if (f.company.empty() && k >= 2 && IsWord(toks[k - 1], "a") && IsWord(toks[k - 2], "as")) {
        // "Add Acme GmbH as a customer": the words between the verb and "as".
        f.company = NameFrom(toks, text, 1);
      }
    }
  } else if (!p.customer_id.empty() &&
             ((bits & kUpdateW) || HasWord(toks, "change") || HasWord(toks, "set") ||
              HasWord(toks, "rename") || HasWord(toks, "switch") || HasWord(toks, "move"))) {
    p.intent = Intent::kUpdateCustomer;
    const std::string value = ValueAfterTo(toks, text);
    if (HasWord(toks, "rename") || (HasWord(toks, "company") && HasWord(toks, "name"))) {
      f.company = value;
    } else if (HasWord(toks, "contact")) {
      f.contact_name = value;
    }
    // Only what the request names changes: a currency word elsewhere ("euros") is not one.
    if (!HasWord(toks, "currency")) p.currency.clear();
  } else {
    return false;
  }
  // "Contact Jane Doe" on a create.
  if (p.intent == Intent::kCreateCustomer) {
    if (const size_t c = Find(toks, "contact"); c + 1 < toks.size()) {
      size_t from = c + 1;
      while (from < toks.size() && (IsWord(toks[from], "person") || IsWord(toks[from], "name") ||
                                    IsWord(toks[from], "is"))) {
        ++from;
      }
      if (from < toks.size()) f.contact_name = NameFrom(toks, text, from);
    }
  }
  p.new_customer = std::move(f);
  return true;
}

}  // namespace billing::parse
