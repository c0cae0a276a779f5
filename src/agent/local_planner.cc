#include "agent/local_planner.h"

#include <algorithm>
#include <cstdio>

#include "agent/request_parser.h"
#include "money/money.h"

namespace billing {
namespace {

using nlohmann::json;

constexpr size_t kMaxListed = 50;  // rows shown per list in an answer
constexpr size_t kMaxSteps = 4;    // tool steps per user turn before we always answer

// ---------------------------------------------------------------------------------------------
// Reading results without throwing

const json* Field(const json& o, const char* key) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(key);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}

std::string Str(const json& o, const char* key) {
  const json* v = Field(o, key);
  if (!v) return {};
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number()) return v->dump();
  return {};
}

int64_t Int(const json& o, const char* key) {
  const json* v = Field(o, key);
  return v && v->is_number_integer() ? v->get<int64_t>() : 0;
}

bool True(const json& o, const char* key) {
  const json* v = Field(o, key);
  return v && v->is_boolean() && v->get<bool>();
}

const json& Array(const json& o, const char* key) {
  static const json kEmpty = json::array();
  const json* v = Field(o, key);
  return v && v->is_array() ? *v : kEmpty;
}

const json& Object(const json& o, const char* key) {
  static const json kEmpty = json::object();
  const json* v = Field(o, key);
  return v && v->is_object() ? *v : kEmpty;
}

std::string Sentence(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
  if (!s.empty() && s.back() != '.' && s.back() != '!' && s.back() != '?' && s.back() != ':')
    s += '.';
  return s;
}

std::string MethodName(const std::string& m) {
  if (m == "credit_card") return "credit card";
  if (m == "bank_transfer") return "bank transfer";
  if (m == "paypal") return "PayPal";
  return m;
}

std::string Plural(int64_t n, const char* word) {
  return FormatCount(n) + " " + word + (n == 1 ? "" : "s");
}

bool Contains(const std::string& hay, const std::string& needle) {
  return !needle.empty() && hay.find(needle) != std::string::npos;
}

std::string DatePart(const std::string& iso) {
  return iso.size() >= 10 ? iso.substr(0, 10) : iso;
}

// "and 12 more" trailer for long lists.
void MoreRows(std::string& out, size_t total) {
  if (total > kMaxListed) out += "\n- … and " + std::to_string(total - kMaxListed) + " more";
}

// The tool's message without its page trailer ("; showing 1-100 (newest first)"): a list answer
// says itself which rows it shows.
std::string Headline(const json& r) {
  std::string m = Str(r, "message");
  for (const char* trailer : {"; showing ", "; none at offset "}) {
    const size_t cut = m.find(trailer);
    if (cut != std::string::npos) m.resize(cut);
  }
  return Sentence(m);
}

// How many of a list's rows the answer shows, against the tool's exact count over the whole
// filter: "Showing the newest 50 of 29,033 payments." Empty when every row is shown. `first`
// names the leading rows ("newest"), `order` the page's order ("oldest due first").
struct ListShape {
  const char* noun;   // plural: "payments"
  const char* first;  // "newest", "first"
  const char* order;  // "" or "oldest due first"
};

bool PartialList(const json& r, size_t listed) {
  const json* count = Field(r, "count");
  if (!count || !count->is_number_integer()) return false;
  return Int(r, "offset") > 0 || count->get<int64_t>() > int64_t(listed);
}

std::string ShownLine(const json& r, size_t listed, const ListShape& shape) {
  const json* count_field = Field(r, "count");
  if (!count_field || !count_field->is_number_integer()) return {};
  const int64_t count = count_field->get<int64_t>(), offset = Int(r, "offset");
  if (!PartialList(r, listed)) return {};
  const std::string order = *shape.order ? std::string(" (") + shape.order + ")" : "";
  if (listed == 0) {
    return "\nNone at offset " + FormatCount(offset) + "; there are " + FormatCount(count) + " " +
           shape.noun + " in all.";
  }
  if (offset == 0) {
    return "\nShowing the " + std::string(shape.first) + " " + FormatCount(int64_t(listed)) +
           " of " + FormatCount(count) + " " + shape.noun + order + ":";
  }
  return "\nShowing " + std::string(shape.noun) + " " + FormatCount(offset + 1) + "-" +
         FormatCount(offset + int64_t(listed)) + " of " + FormatCount(count) + order + ":";
}

// " (over all 29,033 payments, not only those shown)" after a total when the list is partial.
std::string OverAll(const json& r, size_t listed, const char* noun) {
  if (!PartialList(r, listed)) return {};
  return std::string(" (over all ") + FormatCount(Int(r, "count")) + " " + noun +
         ", not only those shown)";
}

// ---------------------------------------------------------------------------------------------
// Formatting records

std::string StatusWithDays(const json& inv) {
  std::string s = Str(inv, "status");
  const int64_t days = Int(inv, "daysOverdue");
  if (days > 0) s += " (" + Plural(days, "day") + " overdue)";
  return s;
}

std::string InvoiceSummaryLine(const json& inv) {
  std::string line = "- " + Str(inv, "id");
  const std::string name = Str(inv, "customerName"), cid = Str(inv, "customerId");
  if (!name.empty()) {
    line += " · " + name + (cid.empty() ? "" : " (" + cid + ")");
  } else if (!cid.empty()) {
    line += " · " + cid;
  }
  line += ": total " + Str(inv, "total");
  const std::string due = Str(inv, "amountDue");
  if (!due.empty()) line += ", amount due " + due;
  line += " — " + StatusWithDays(inv);
  const std::string date = Str(inv, "dueDate");
  if (!date.empty()) line += ", due " + date;
  return line;
}

std::string PaymentLine(const json& p, bool with_customer) {
  std::string line = "- " + Str(p, "id");
  const std::string when = DatePart(Str(p, "createdAt"));
  if (!when.empty()) line += " (" + when + ")";
  if (with_customer && !Str(p, "customerId").empty()) line += " · " + Str(p, "customerId");
  line += ": " + Str(p, "amount");
  const std::string method = Str(p, "method");
  if (!method.empty()) line += " via " + MethodName(method);
  line += " — " + Str(p, "status");
  if (Int(p, "refundedCents") > 0) line += ", refunded " + Str(p, "refunded");
  const std::string inv = Str(p, "invoiceId");
  if (!inv.empty()) line += ", invoice " + inv;
  const std::string reason = Str(p, "failureReason");
  if (!reason.empty()) line += ": " + reason;
  return line;
}

std::string InvoiceItems(const json& inv) {
  std::string out;
  const json& items = Array(inv, "items");
  for (size_t k = 0; k < items.size() && k < kMaxListed; ++k) {
    const json& it = items[k];
    out += "\n- " + Str(it, "description") + ": " + Str(it, "quantity") + " \xC3\x97 " +
           Str(it, "unitPrice") + " = " + Str(it, "amount");
  }
  MoreRows(out, items.size());
  return out;
}

// Full invoice details for "get".
std::string InvoiceDetails(const json& inv) {
  std::string out;
  const std::string name = Str(inv, "customerName"), cid = Str(inv, "customerId");
  if (!name.empty() || !cid.empty()) {
    out += "\nCustomer: " + (name.empty() ? cid : name + (cid.empty() ? "" : " (" + cid + ")"));
  }
  if (!Array(inv, "items").empty()) out += "\nLine items:" + InvoiceItems(inv);
  if (!Str(inv, "total").empty()) {
    out += "\nSubtotal " + Str(inv, "subtotal") + " + tax (" + Str(inv, "taxRate") + ") " +
           Str(inv, "tax") + " = total " + Str(inv, "total");
  }
  if (Int(inv, "paidCents") > 0) out += "\nPaid so far: " + Str(inv, "paid");
  if (!Str(inv, "amountDue").empty()) out += "\nAmount due: " + Str(inv, "amountDue");
  out += "\nStatus: " + StatusWithDays(inv);
  if (!Str(inv, "issueDate").empty())
    out += "\nIssued " + Str(inv, "issueDate") + ", due " + Str(inv, "dueDate");
  if (!Str(inv, "paidDate").empty()) {
    out += "\nPaid on " + Str(inv, "paidDate");
    if (!Str(inv, "paymentMethod").empty()) out += " via " + MethodName(Str(inv, "paymentMethod"));
  }
  if (!Str(inv, "notes").empty()) out += "\nNotes: " + Str(inv, "notes");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Answers per tool result

std::string ErrorAnswer(const std::string& tool, const json& args, const json& r) {
  std::string msg = Str(r, "message");
  const size_t cut = msg.find("\n\nProvided arguments");
  if (cut != std::string::npos) msg.resize(cut);
  if (msg.empty()) msg = "the tool reported an error";
  const std::string code = Str(r, "code"), field = Str(r, "field");
  const std::string action = Str(args, "action");
  const bool mutating = action == "create" || action == "update" || action == "mark_paid" ||
                        action == "cancel" || action == "process" || action == "refund";
  std::string out = "I couldn't complete that: " + Sentence(msg);
  std::string lower = msg;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; });
  if (code == "AMBIGUOUS") {
    const json& cands = Array(r, "candidates");
    if (!cands.empty()) {
      out += " It matches several records:";
      for (size_t k = 0; k < cands.size() && k < kMaxListed; ++k) {
        out +=
            (k ? ", " : " ") +
            (cands[k].is_string() ? cands[k].get<std::string>()
                                  : cands[k].dump(-1, ' ', false, json::error_handler_t::replace));
      }
      out += ".";
    }
    out += " Which one did you mean?";
  } else if (code == "NOT_FOUND") {
    if (Contains(field, "ustomer") || (field.empty() && Contains(lower, "customer"))) {
      out +=
          " Please check the customer id (e.g. CUST-001); I can list all customers if that helps.";
    } else if (Contains(field, "nvoice") || (field.empty() && Contains(lower, "invoice"))) {
      out +=
          " Please check the invoice number (e.g. INV-2025-001); I can list the invoices if that "
          "helps.";
    } else if (Contains(field, "ayment") || (field.empty() && Contains(lower, "payment"))) {
      out +=
          " Please check the payment id (e.g. PAY-001); a customer's payment history lists them.";
    } else {
      out += " Please check the id and try again.";
    }
  } else if (code == "FAILED_PRECONDITION") {
    if (Contains(lower, "suspend") && action == "create") {
      out +=
          " The customer's account is suspended, so no new invoice can be issued until it is "
          "reactivated.";
    } else if (action == "refund") {
      out += " Only completed (or partially refunded) payments can be refunded.";
    }
  } else if (code == "INVALID_ARGUMENT" || Field(r, "validationErrors")) {
    out += " Please correct " + (field.empty() ? std::string("the request") : field) +
           " and try again.";
  }
  if (mutating) out += " Nothing was changed.";
  (void)tool;
  return out;
}

std::string CustomerAnswer(const json& r) {
  const json& c = Object(r, "customer");
  std::string out = Str(c, "company") + " (" + Str(c, "id") + ")";
  std::vector<std::string> facts;
  if (!Str(c, "status").empty()) facts.push_back(Str(c, "status"));
  if (!Str(c, "billingCycle").empty()) facts.push_back(Str(c, "billingCycle") + " billing");
  if (!Str(c, "paymentMethod").empty())
    facts.push_back("pays by " + MethodName(Str(c, "paymentMethod")));
  for (size_t k = 0; k < facts.size(); ++k) out += (k ? ", " : ": ") + facts[k];
  out += ".";
  if (!Str(c, "contactName").empty() || !Str(c, "email").empty()) {
    out += "\nContact: " + Str(c, "contactName");
    if (!Str(c, "email").empty()) out += " <" + Str(c, "email") + ">";
  }
  out += "\nOutstanding balance: " + Str(c, "outstandingBalance");
  if (Field(c, "openInvoiceCount")) {
    out += " across " + Plural(Int(c, "openInvoiceCount"), "open invoice");
    if (Int(c, "overdueInvoiceCount") > 0)
      out += " (" + FormatCount(Int(c, "overdueInvoiceCount")) + " overdue)";
  }
  out += ".";
  if (Int(c, "creditCents") > 0) out += "\nCredit on account: " + Str(c, "credit") + ".";
  const json& open = Array(c, "openInvoices");
  if (!open.empty()) {
    const size_t listed = std::min(open.size(), kMaxListed);
    const int64_t open_count =
        Field(c, "openInvoiceCount") ? Int(c, "openInvoiceCount") : int64_t(open.size());
    out += "\nOpen invoices";
    if (open_count > int64_t(listed)) {
      out += " (the " + FormatCount(int64_t(listed)) + " oldest due of " + FormatCount(open_count) +
             "; amount due over all of them: " + Str(c, "openAmountDue") + ")";
    }
    out += ":";
    for (size_t k = 0; k < listed; ++k) out += "\n" + InvoiceSummaryLine(open[k]);
  }
  const json& pays = Array(c, "recentPayments");
  if (!pays.empty()) {
    out += "\nRecent payments (latest " + std::to_string(std::min(pays.size(), kMaxListed)) + "):";
    for (size_t k = 0; k < pays.size() && k < kMaxListed; ++k)
      out += "\n" + PaymentLine(pays[k], false);
    MoreRows(out, pays.size());
  }
  if (!Str(c, "taxRate").empty()) out += "\nTax rate: " + Str(c, "taxRate") + ".";
  return out;
}

std::string CustomerListAnswer(const json& r) {
  const json& list = Array(r, "customers");
  const size_t listed = std::min(list.size(), kMaxListed);
  std::string out = Headline(r);
  out += Field(r, "count") ? ShownLine(r, listed, {"customers", "first", "by id"}) : std::string();
  for (size_t k = 0; k < listed; ++k) {
    const json& c = list[k];
    out += "\n- " + Str(c, "id") + " " + Str(c, "company") + ": outstanding " +
           Str(c, "outstandingBalance") + " · " + Str(c, "billingCycle") + " · " +
           MethodName(Str(c, "paymentMethod")) + " · " + Str(c, "status");
  }
  if (!Field(r, "count")) MoreRows(out, list.size());
  if (!list.empty() && !Str(r, "totalOutstanding").empty()) {
    out += "\nTotal outstanding: " + Str(r, "totalOutstanding") + OverAll(r, listed, "customers") +
           ".";
  }
  return out;
}

std::string InvoiceAnswer(const json& args, const json& r) {
  const std::string action = Str(args, "action");
  std::string out = Sentence(Str(r, "message"));
  if (const json* list = Field(r, "invoices"); list && list->is_array()) {
    const size_t listed = std::min(list->size(), kMaxListed);
    out = Headline(r) + ShownLine(r, listed, {"invoices", "first", "oldest due first"});
    for (size_t k = 0; k < listed; ++k) out += "\n" + InvoiceSummaryLine((*list)[k]);
    if (!Field(r, "count")) MoreRows(out, list->size());
    if (!list->empty()) {
      out += "\nTotal: " + Str(r, "total");
      if (!Str(r, "amountDue").empty()) out += "; still due: " + Str(r, "amountDue");
      out += OverAll(r, listed, "invoices") + ".";
    }
    return out;
  }
  const json& inv = Object(r, "invoice");
  if (inv.empty()) return out;
  if (action == "create") {
    out += "\nLine items:" + InvoiceItems(inv);
    out += "\nStatus: " + StatusWithDays(inv) + "; amount due " + Str(inv, "amountDue") + ".";
    return out;
  }
  if (action == "mark_paid") {
    const json& pay = Object(r, "payment");
    if (!Str(pay, "transactionId").empty() && !Contains(out, Str(pay, "transactionId"))) {
      out += "\nTransaction ID: " + Str(pay, "transactionId") + ".";
    }
    out +=
        "\nInvoice status: " + StatusWithDays(inv) + "; amount due " + Str(inv, "amountDue") + ".";
    return out;
  }
  if (action == "update" || action == "cancel") {
    out += "\nStatus: " + StatusWithDays(inv) + ", due " + Str(inv, "dueDate") + ", amount due " +
           Str(inv, "amountDue") + ".";
    if (!Str(inv, "notes").empty()) out += "\nNotes: " + Str(inv, "notes");
    return out;
  }
  return out + InvoiceDetails(inv);
}

std::string PaymentAnswer(const json& args, const json& r) {
  const std::string action = Str(args, "action");
  std::string out = Sentence(Str(r, "message"));
  if (True(r, "declined")) {
    const json& pay = Object(r, "payment");
    std::string reason = Str(pay, "failureReason");
    out = "The payment was declined" + (reason.empty() ? std::string() : ": " + reason) + ". " +
          Sentence(Str(r, "message"));
    out += " Nothing was charged and no balance changed";
    if (!Str(r, "newBalance").empty()) out += " (balance still " + Str(r, "newBalance") + ")";
    out += ". You can retry or use another payment method.";
    return out;
  }
  if (const json* list = Field(r, "payments"); list && list->is_array()) {
    const bool failed =
        action == "list_failed" || (Field(r, "totalFailed") && !Field(r, "totalCollected"));
    const size_t listed = std::min(list->size(), kMaxListed);
    const char* noun = failed ? "failed payments" : "payments";
    out = Headline(r) + ShownLine(r, listed, {noun, "newest", ""});
    for (size_t k = 0; k < listed; ++k) out += "\n" + PaymentLine((*list)[k], failed);
    if (!Field(r, "count")) MoreRows(out, list->size());
    if (failed) {
      if (!list->empty() && !Str(r, "totalFailed").empty())
        out += "\nTotal failed: " + Str(r, "totalFailed") + OverAll(r, listed, noun) + ".";
    } else if (!Str(r, "totalPaid").empty()) {
      out += "\nTotal paid: " + Str(r, "totalPaid");
      if (!Str(r, "totalRefunded").empty()) out += "; total refunded: " + Str(r, "totalRefunded");
      out += OverAll(r, listed, noun) + ".";
    }
    return out;
  }
  const json& pay = Object(r, "payment");
  if (const json* refund = Field(r, "refund"); refund && refund->is_object()) {
    if (!Str(*refund, "id").empty() && !Contains(out, Str(*refund, "id")))
      out += "\nRefund ID: " + Str(*refund, "id") + ".";
    if (!Str(*refund, "reason").empty()) out += "\nReason: " + Str(*refund, "reason");
    if (!Str(pay, "status").empty())
      out += "\nPayment " + Str(pay, "id") + " is now " + Str(pay, "status") + ".";
    if (!Str(r, "newBalance").empty() && !Contains(out, Str(r, "newBalance")))
      out += "\nNew balance: " + Str(r, "newBalance") + ".";
    return out;
  }
  if (!pay.empty()) {
    if (!Str(pay, "transactionId").empty() && !Contains(out, Str(pay, "transactionId"))) {
      out += "\nTransaction ID: " + Str(pay, "transactionId") + ".";
    }
    const json& alloc = Array(pay, "allocations");
    if (!alloc.empty()) {
      out += "\nApplied to:";
      for (size_t k = 0; k < alloc.size() && k < kMaxListed; ++k) {
        out += (k ? ", " : " ") + Str(alloc[k], "invoiceId") + " (" + Str(alloc[k], "amount") + ")";
      }
      if (alloc.size() > kMaxListed) {
        out += " and " + FormatCount(int64_t(alloc.size() - kMaxListed)) + " more invoices (" +
               FormatCount(int64_t(alloc.size())) + " in all)";
      }
      out += ".";
    }
    if (!Str(r, "newBalance").empty() && !Contains(out, Str(r, "newBalance")) &&
        !Contains(out, "New balance"))
      out += "\nNew balance: " + Str(r, "newBalance") + ".";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Company-name matching

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t k = 0; k < s.size() && k < 8192; ++k) {
    char c = s[k];
    const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                      (static_cast<unsigned char>(c) >= 0x80);
    if (word) {
      cur.push_back(c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool IsLegalSuffix(const std::string& w) {
  static constexpr std::string_view kSuffixes[] = {
      "inc",  "llc", "ltd", "corp", "corporation", "co", "company", "limited",
      "gmbh", "plc", "the", "sa",   "ag",          "lp", "llp"};
  for (std::string_view s : kSuffixes) {
    if (s == w) return true;
  }
  return false;
}

bool ContainsRun(const std::vector<std::string>& hay, const std::vector<std::string>& needle,
                 size_t len) {
  if (len == 0 || len > hay.size()) return false;
  for (size_t i = 0; i + len <= hay.size(); ++i) {
    bool all = true;
    for (size_t j = 0; j < len && all; ++j) all = hay[i + j] == needle[j];
    if (all) return true;
  }
  return false;
}

// Stable hash (FNV-1a 64) for deterministic ids.
uint64_t Fnv(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Approximate serialized size of a JSON value, without serializing it (for token estimates).
size_t ApproxJsonChars(const json& v, int depth = 0) {
  if (depth > 32) return 0;
  switch (v.type()) {
    case json::value_t::string:
      return v.get_ref<const std::string&>().size() + 2;
    case json::value_t::object: {
      size_t n = 2;
      for (auto it = v.begin(); it != v.end(); ++it)
        n += it.key().size() + 4 + ApproxJsonChars(it.value(), depth + 1);
      return n;
    }
    case json::value_t::array: {
      size_t n = 2;
      for (const json& e : v) n += ApproxJsonChars(e, depth + 1) + 1;
      return n;
    }
    case json::value_t::null:
      return 4;
    case json::value_t::boolean:
      return 5;
    default:
      return 8;
  }
}

// "Please bill Global Solutions 5 hours of training": the company is the customer, not part of
// the line. Drops the company's name (legal suffix optional) from the front of each description.
void StripCompanyFromItems(const std::string& company, std::vector<ParsedLineItem>& items) {
  std::vector<std::string> core;
  for (std::string& w : Words(company)) {
    if (!IsLegalSuffix(w)) core.push_back(std::move(w));
  }
  if (core.empty()) return;
  for (ParsedLineItem& item : items) {
    const std::vector<std::string> words = Words(item.description);
    if (words.size() <= core.size() || !std::equal(core.begin(), core.end(), words.begin())) {
      continue;
    }
    // Cut after the last company word, as written.
    std::string lower = item.description;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; });
    size_t at = 0;
    for (const std::string& w : core) {
      const size_t found = lower.find(w, at);
      if (found == std::string::npos) break;
      at = found + w.size();
    }
    while (at < item.description.size() &&
           (item.description[at] == ' ' || item.description[at] == ',' ||
            item.description[at] == '.')) {
      ++at;
    }
    // What was left after the quantity ("hours of training") loses its unit, as in the parser.
    for (std::string_view unit : {"hours of ", "hour of ", "days of ", "sessions of "}) {
      if (lower.compare(at, unit.size(), unit) == 0) at += unit.size();
    }
    if (at < item.description.size()) item.description = item.description.substr(at);
  }
}

// The answer to a question asked of a list (ParsedRequest::question), from the tool's exact
// count and totals; the rows follow it. "" when the request asked none.
std::string QuestionLead(const ParsedRequest& p, const json& r) {
  if (!r.is_object() || True(r, "error")) return {};
  if (p.intent == Intent::kPaymentsInPeriod && Field(r, "totalCollected")) {
    const std::string who = p.customer_id.empty() ? std::string() : " from " + p.customer_id;
    return "Collected" + who + " from " + Str(r, "from") + " to " + Str(r, "to") + ": " +
           Str(r, "totalCollected") + " (" + Str(r, "totalPaid") + " paid, " +
           Str(r, "totalRefunded") + " of it refunded; " + Plural(Int(r, "count"), "payment") +
           " in the period, failed ones included).";
  }
  if (p.question == Question::kNone) return {};
  const int64_t count = Int(r, "count");
  const std::string is_are = count == 1 ? "There is " : "There are ";
  const std::string who = p.customer_id.empty() ? std::string() : " for " + p.customer_id;
  if (const json* customers = Field(r, "customers"); customers && customers->is_array()) {
    switch (p.question) {
      case Question::kRank: {
        if (customers->empty()) return "No customer has an outstanding balance.";
        const json& top = (*customers)[0];
        if (p.top_n <= 1) {
          return Str(top, "company") + " (" + Str(top, "id") +
                 ") owes the most: " + Str(top, "outstandingBalance") + ".";
        }
        return "The " + FormatCount(int64_t(std::min<size_t>(customers->size(), size_t(p.top_n)))) +
               " customers who owe the most, highest first:";
      }
      case Question::kTotal:
        return "Total outstanding: " + Str(r, "totalOutstanding") + " across " +
               Plural(count, "customer") + ".";
      case Question::kCount:
        return is_are + Plural(count, "customer") + ".";
      case Question::kYesNo:
        return count > 0 ? "Yes: " + Plural(count, "customer") + " match."
                         : "No: no customer matches.";
      case Question::kNone:
        break;
    }
    return {};
  }
  if (const json* invoices = Field(r, "invoices"); invoices && invoices->is_array()) {
    const std::string status = p.invoice_status.empty() ? "" : p.invoice_status + " ";
    const std::string noun = Plural(count, (status + "invoice").c_str());
    switch (p.question) {
      case Question::kRank: {
        if (invoices->empty()) return "There are no " + status + "invoices" + who + ".";
        const json& top = (*invoices)[0];
        return "The largest " + status + "invoice" + who + " is " + Str(top, "id") + " (" +
               Str(top, "customerName") + "): " + Str(top, "amountDue") + " still due.";
      }
      case Question::kCount:
        return is_are + noun + who + " (" + Str(r, "amountDue") + " still due).";
      case Question::kYesNo:
        return count > 0 ? "Yes: " + noun + who + " (" + Str(r, "amountDue") + " still due)."
                         : "No: there are no " + status + "invoices" + who + ".";
      default:
        return {};
    }
  }
  if (const json* payments = Field(r, "payments"); payments && payments->is_array()) {
    const bool failed = Field(r, "totalFailed") != nullptr && !Field(r, "totalCollected");
    const std::string noun = Plural(count, failed ? "failed payment" : "payment");
    const std::string total = failed ? Str(r, "totalFailed") : Str(r, "totalPaid");
    switch (p.question) {
      case Question::kCount:
        return is_are + noun + who + " (" + total + (failed ? " in total" : " paid") + ").";
      case Question::kYesNo:
        return count > 0 ? "Yes: " + noun + who + ", " + total + " in total."
                         : std::string("No: there are no ") +
                               (failed ? "failed payments" : "payments") + who + ".";
      default:
        return {};
    }
  }
  return {};
}

// "their balance", "show them", "its invoices": the part refers to the customer named before.
bool RefersBack(std::string_view text) {
  for (const std::string& w : Words(text)) {
    if (w == "their" || w == "them" || w == "they" || w == "its" || w == "his" || w == "her" ||
        w == "theirs") {
      return true;
    }
  }
  return false;
}

bool ToolOffered(const ModelRequest& req, const std::string& name) {
  for (const ToolSpec& t : req.tools) {
    if (t.name == name) return true;
  }
  return false;
}

bool HasSlots(const ParsedRequest& p) {
  return !p.customer_id.empty() || !p.invoice_id.empty() || !p.payment_id.empty() ||
         !p.amounts.empty() || p.date.has_value() || !p.payment_method.empty();
}

bool IsMutation(Intent i) {
  return i == Intent::kCreateInvoice || i == Intent::kUpdateInvoice ||
         i == Intent::kMarkInvoicePaid || i == Intent::kCancelInvoice ||
         i == Intent::kProcessPayment || i == Intent::kRefundPayment;
}

std::string NoCustomerMatch(const json& result, const json& customers,
                            const std::vector<size_t>& matches, Intent intent) {
  std::string out;
  const bool several = matches.size() > 1;
  if (several) {
    out = "Your request matches several customers:";
    for (size_t k = 0; k < matches.size() && k < kMaxListed; ++k) {
      const json& c = customers[matches[k]];
      out += "\n- " + Str(c, "id") + " " + Str(c, "company");
    }
  } else {
    out = "I couldn't find a customer named in your request.";
    if (True(result, "hasMore")) {
      // The name lookup reads one page of customers; say so rather than imply none matches.
      out += " I compared the first " + FormatCount(int64_t(customers.size())) + " of " +
             FormatCount(Int(result, "count")) + " customers by name.";
    }
    if (!customers.empty()) {
      out += " Customers on file:";
      for (size_t k = 0; k < customers.size() && k < kMaxListed; ++k) {
        out += "\n- " + Str(customers[k], "id") + " " + Str(customers[k], "company");
      }
      MoreRows(out, customers.size());
    }
  }
  out += "\nWhich customer do you mean? You can give the id (e.g. CUST-001).";
  if (IsMutation(intent)) out += " Nothing has been changed.";
  return out;
}

}  // namespace

std::vector<size_t> MatchCompanies(const json& customers, std::string_view text) {
  std::vector<size_t> out;
  if (!customers.is_array()) return out;
  const std::vector<std::string> words = Words(text);
  for (size_t k = 0; k < customers.size() && k < 10000; ++k) {
    std::vector<std::string> core;
    for (std::string& w : Words(Str(customers[k], "company"))) {
      if (!IsLegalSuffix(w)) core.push_back(std::move(w));
    }
    if (core.empty()) continue;
    if (ContainsRun(words, core, core.size()) ||
        (core.size() >= 3 && ContainsRun(words, core, 2))) {
      out.push_back(k);
    }
  }
  return out;
}

std::string DescribeToolResult(const std::string& tool, const json& args, const json& result) {
  std::string out;
  if (!result.is_object()) {
    // fall through to the raw dump
  } else if (True(result, "error")) {
    out = ErrorAnswer(tool, args, result);
  } else if (Field(result, "customer")) {
    out = CustomerAnswer(result);
  } else if (Field(result, "customers")) {
    out = CustomerListAnswer(result);
  } else if (tool == "manageInvoicesTool" || tool == "manage-invoices" ||
             Field(result, "invoice") || Field(result, "invoices")) {
    out = InvoiceAnswer(args, result);
  } else if (tool == "processPaymentTool" || tool == "process-payment" ||
             Field(result, "payment") || Field(result, "payments")) {
    out = PaymentAnswer(args, result);
  } else {
    out = Sentence(Str(result, "message"));
  }
  if (!out.empty()) return out;
  std::string dump = result.dump(-1, ' ', false, json::error_handler_t::replace);
  if (dump.size() > 500) dump = dump.substr(0, 500) + "…";
  return "The " + tool + " tool returned: " + dump;
}

boost::asio::awaitable<Result<ModelResponse>> LocalPlanner::Complete(const ModelRequest& request) {
  co_return Result<ModelResponse>(Plan(request));
}

ModelResponse LocalPlanner::Plan(const ModelRequest& request) const {
  const Date today = clock_.TodayUtc();
  const std::vector<ChatMessage>& msgs = request.messages;
  ModelResponse resp;
  resp.model_id = model_id();

  // Deterministic seed: the whole conversation shape.
  uint64_t seed = 1469598103934665603ull;
  size_t input_chars = request.instructions.size();
  for (const ChatMessage& m : msgs) {
    seed = Fnv(seed, m.role);
    seed = Fnv(seed, m.content);
    seed = Fnv(seed, m.tool_call_id);
    input_chars += m.content.size() + m.role.size();
    if (!m.tool_result.is_null()) input_chars += ApproxJsonChars(m.tool_result);
    for (const ToolCall& c : m.tool_calls) input_chars += c.name.size() + ApproxJsonChars(c.args);
  }
  for (const ToolSpec& t : request.tools) input_chars += t.name.size() + t.description.size();
  resp.id = "local-" + Hex(seed);
  resp.usage.input_tokens = int64_t(input_chars / 4 + 1);

  std::string second_request;  // a second request in the message that is not being done
  auto finish_text = [&](std::string text) {
    if (!second_request.empty()) {
      text += "\n\nI did not do the second part of your message (\"" + second_request +
              "\"): please send it on its own.";
    }
    resp.text = std::move(text);
    resp.finish_reason = "stop";
    resp.usage.output_tokens = int64_t(resp.text.size() / 4 + 1);
    return resp;
  };
  auto finish_calls = [&](std::vector<PlannedCall>& calls) {
    const bool tools_off = request.tool_choice.is_string() && request.tool_choice == "none";
    for (const PlannedCall& c : calls) {
      if (tools_off || !ToolOffered(request, c.tool)) {
        return finish_text("I need the " + c.tool +
                           " tool to answer that, but it is not available for this request.");
      }
    }
    size_t out_chars = 0;
    for (size_t k = 0; k < calls.size(); ++k) {
      ToolCall tc;
      tc.id = "call_" + Hex(Fnv(seed, std::to_string(k)));
      tc.name = calls[k].tool;
      tc.args = std::move(calls[k].args);
      out_chars += tc.name.size() + ApproxJsonChars(tc.args);
      resp.tool_calls.push_back(std::move(tc));
    }
    resp.finish_reason = "tool-calls";
    resp.usage.output_tokens = int64_t(out_chars / 4 + 1);
    return resp;
  };

  // The turn: the last user message and what happened after it.
  size_t user = msgs.size();
  for (size_t k = msgs.size(); k-- > 0;) {
    if (msgs[k].role == "user") {
      user = k;
      break;
    }
  }
  if (user == msgs.size()) return finish_text(HelpText());

  std::string text = msgs[user].content;
  // Two requests in one message: both run, in order, when each is one plain call; otherwise the
  // first runs and the answer says the second was not done.
  if (const std::vector<std::string> parts = SplitRequests(text); parts.size() == 2) {
    std::string second = parts[1];
    ParsedRequest first_parsed = ParseRequest(parts[0], today);
    ParsedRequest second_parsed = ParseRequest(second, today);
    if (second_parsed.customer_id.empty() && second_parsed.invoice_id.empty() &&
        second_parsed.payment_id.empty() && !first_parsed.customer_id.empty() &&
        RefersBack(second)) {
      second += " " + first_parsed.customer_id;  // "... and show me their balance"
      second_parsed = ParseRequest(second, today);
    }
    if (first_parsed.intent != Intent::kHelp && second_parsed.intent != Intent::kHelp) {
      PlannedAction a1 = DecideAction(first_parsed, today);
      PlannedAction a2 = DecideAction(second_parsed, today);
      auto plain = [](const PlannedAction& a) {
        return !a.calls.empty() && !a.customer_lookup && !a.customer_check && !a.invoice_lookup;
      };
      const bool any_done = msgs.size() > user + 1;
      if (plain(a1) && plain(a2)) {
        if (!any_done) {
          std::vector<PlannedCall> both = std::move(a1.calls);
          for (PlannedCall& c : a2.calls) both.push_back(std::move(c));
          return finish_calls(both);
        }
        // Both ran: the answer below describes every result, in order.
      } else {
        second_request = parts[1];
      }
      text = parts[0];
    }
  }
  ParsedRequest parsed = ParseRequest(text, today);
  if (parsed.intent == Intent::kHelp && !parsed.greeting && HasSlots(parsed)) {
    // A follow-up that only supplies details ("$500 due 2026-12-01"): read it together with
    // the previous user message.
    for (size_t k = user; k-- > 0;) {
      if (msgs[k].role != "user") continue;
      std::string combined = msgs[k].content + "\n" + text;
      ParsedRequest merged = ParseRequest(combined, today);
      if (merged.intent != Intent::kHelp) {
        parsed = std::move(merged);
        text = std::move(combined);
      }
      break;
    }
  }

  struct Done {
    const ChatMessage* msg;
    json args;
  };
  std::vector<Done> done;
  size_t steps = 0;
  for (size_t k = user + 1; k < msgs.size(); ++k) {
    const ChatMessage& m = msgs[k];
    if (m.role == "assistant" && !m.tool_calls.empty()) ++steps;
    if (m.role != "tool") continue;
    json args;
    for (size_t a = user + 1; a < k && args.is_null(); ++a) {
      for (const ToolCall& c : msgs[a].tool_calls) {
        if (c.id == m.tool_call_id) {
          args = c.args;
          break;
        }
      }
    }
    done.push_back(Done{&m, std::move(args)});
  }

  PlannedAction action = DecideAction(parsed, today);
  if (done.empty()) {
    if (action.calls.empty()) return finish_text(action.reply);
    return finish_calls(action.calls);
  }

  // Second step of a lookup by company name: match the name, then make the real call.
  if (action.customer_lookup && steps <= 1 && done.size() == 1 && steps < kMaxSteps) {
    const json& result = done[0].msg->tool_result;
    const json* customers = Field(result, "customers");
    if (customers && customers->is_array()) {
      std::vector<size_t> matches = MatchCompanies(*customers, text);
      if (matches.size() != 1)
        return finish_text(NoCustomerMatch(result, *customers, matches, parsed.intent));
      parsed.customer_id = Str((*customers)[matches[0]], "id");
      parsed.customer_checked = true;  // the lookup found it
      parsed.customer_name = Str((*customers)[matches[0]], "company");
      StripCompanyFromItems(parsed.customer_name, parsed.items);
      PlannedAction next = DecideAction(parsed, today);
      if (!next.calls.empty() && !next.customer_lookup) return finish_calls(next.calls);
      if (next.calls.empty()) return finish_text(next.reply);
    }
  }

  // Second step of a check that the named customer exists, before asking for what is missing.
  if (action.customer_check && done.size() == 1 && steps < kMaxSteps) {
    const json& result = done[0].msg->tool_result;
    if (True(result, "error") || !Field(result, "customer")) {
      return finish_text(DescribeToolResult(done[0].msg->tool_name, done[0].args, result) +
                         (parsed.intent == Intent::kCreateInvoice ? " Nothing was created."
                                                                  : " No payment was processed."));
    }
    parsed.customer_checked = true;
    parsed.customer_name = Str(Object(result, "customer"), "company");
    PlannedAction next = DecideAction(parsed, today);
    if (next.calls.empty()) return finish_text(next.reply);
    if (!next.customer_check) return finish_calls(next.calls);
  }

  // Second step of paying an invoice: its customer and, without an amount, what is still due.
  if (action.invoice_lookup && done.size() == 1 && steps < kMaxSteps) {
    const json& result = done[0].msg->tool_result;
    const json& inv = Object(result, "invoice");
    if (True(result, "error") || inv.empty()) {
      return finish_text(DescribeToolResult(done[0].msg->tool_name, done[0].args, result) +
                         " No payment was processed.");
    }
    parsed.customer_id = Str(inv, "customerId");
    if (parsed.amounts.empty()) {
      const int64_t due = Int(inv, "amountDueCents");
      if (due <= 0) {
        return finish_text("Invoice " + Str(inv, "id") + " has nothing left to pay (it is " +
                           StatusWithDays(inv) + "). No payment was processed.");
      }
      parsed.amounts.push_back(due);
    }
    PlannedAction next = DecideAction(parsed, today);
    if (next.calls.empty()) return finish_text(next.reply);
    if (!next.invoice_lookup) return finish_calls(next.calls);
  }

  // Final answer from the results of this turn (skipping a lookup or check when a real call
  // followed it).
  std::string answer;
  const bool preliminary = action.customer_lookup || action.customer_check || action.invoice_lookup;
  const size_t first = preliminary && done.size() > 1 ? 1 : 0;
  if (done.size() == first + 1) {
    const std::string lead = QuestionLead(parsed, done[first].msg->tool_result);
    if (!lead.empty()) answer = lead + "\n";
  }
  for (size_t k = first; k < done.size(); ++k) {
    const ChatMessage& m = *done[k].msg;
    if (k > first) answer += "\n\n";
    answer += DescribeToolResult(m.tool_name, done[k].args, m.tool_result);
  }
  return finish_text(std::move(answer));
}

}  // namespace billing
