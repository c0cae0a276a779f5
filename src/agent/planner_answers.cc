#include "agent/planner_answers.h"

#include "agent/markdown.h"
#include "agent/model.h"

#include <algorithm>
#include <string>
#include <vector>

#include "money/money.h"

namespace billing {
namespace planner {

using nlohmann::json;

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

std::string Plural(int64_t n, const char* word) {
  return FormatCount(n) + " " + word + (n == 1 ? "" : "s");
}

// A money total of a list result (tools' PutTotals): the one currency's ("$1,620.00"), or each
// currency's in turn ("$1,620.00, EUR 300.00 and JPY 5,000") when the list spans several: money
// is never added across currencies. "" when the result has no such total.
std::string TotalOf(const json& r, const char* key) {
  if (Field(r, key)) return Str(r, key);
  std::vector<std::string> parts;
  for (const json& t : Array(r, "totalsByCurrency")) {
    if (!Str(t, key).empty()) parts.push_back(Str(t, key));
  }
  std::string out;
  for (size_t k = 0; k < parts.size(); ++k) {
    out += (k == 0 ? "" : k + 1 == parts.size() ? " and " : ", ") + parts[k];
  }
  return out;
}
bool HasTotal(const json& r, const char* key) {
  return Field(r, key) || !Array(r, "totalsByCurrency").empty();
}

// "and 12 more" trailer for long lists.
void MoreRows(std::string& out, size_t total) {
  if (total > kMaxListed) out += "\n- … and " + std::to_string(total - kMaxListed) + " more";
}

std::string StatusWithDays(const json& inv) {
  std::string s = Str(inv, "status");
  const int64_t days = Int(inv, "daysOverdue");
  if (days > 0) s += " (" + Plural(days, "day") + " overdue)";
  return s;
}

// The answer to a question asked of a list (ParsedRequest::question), from the tool's exact
// count and totals; the rows follow it. "" when the request asked none.
std::string QuestionLead(const ParsedRequest& p, const json& r) {
  if (!r.is_object() || True(r, "error")) return {};
  if (p.intent == Intent::kPaymentsInPeriod && !HasTotal(r, "totalCollected") &&
      Field(r, "count") && Int(r, "count") == 0) {
    // No payment in the period: no currency has a total, and the answer is still an answer.
    const std::string who = p.customer_id.empty() ? std::string() : " from " + p.customer_id;
    return "Collected" + who + " from " + Str(r, "from") + " to " + Str(r, "to") +
           ": nothing (0 payments in the period).";
  }
  if (p.intent == Intent::kPaymentsInPeriod && HasTotal(r, "totalCollected")) {
    const std::string who = p.customer_id.empty() ? std::string() : " from " + p.customer_id;
    return "Collected" + who + " from " + Str(r, "from") + " to " + Str(r, "to") + ": " +
           TotalOf(r, "totalCollected") + " (" + TotalOf(r, "totalPaid") + " paid, " +
           TotalOf(r, "totalRefunded") + " of it refunded; " + Plural(Int(r, "count"), "payment") +
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
        return "Total outstanding: " + TotalOf(r, "totalOutstanding") + " across " +
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
        return is_are + noun + who + " (" + TotalOf(r, "amountDue") + " still due).";
      case Question::kYesNo:
        return count > 0 ? "Yes: " + noun + who + " (" + TotalOf(r, "amountDue") + " still due)."
                         : "No: there are no " + status + "invoices" + who + ".";
      default:
        return {};
    }
  }
  if (const json* payments = Field(r, "payments"); payments && payments->is_array()) {
    const bool failed = HasTotal(r, "totalFailed") && !HasTotal(r, "totalCollected");
    const std::string noun = Plural(count, failed ? "failed payment" : "payment");
    const std::string total = failed ? TotalOf(r, "totalFailed") : TotalOf(r, "totalPaid");
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

}  // namespace planner

namespace {

using namespace planner;  // NOLINT: this file is the planner's answers
using nlohmann::json;

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

bool Contains(const std::string& hay, const std::string& needle) {
  return !needle.empty() && hay.find(needle) != std::string::npos;
}

std::string DatePart(const std::string& iso) {
  return iso.size() >= 10 ? iso.substr(0, 10) : iso;
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
                        action == "cancel" || action == "process" || action == "refund" ||
                        action == "finalize" || action == "delete" || action == "credit_note" ||
                        action == "create_coupon" || action == "archive_coupon";
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
  } else if (field == "refundTo") {
    out += " Say \"... and refund it\" to send the money back, or \"... and keep it as credit\" for "
           "the customer's next invoices.";
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
    const std::string name = Str(c, "contactName"), email = Str(c, "email");
    out += "\nContact: " + name + (!name.empty() && !email.empty() ? ", " : "") + email;
  }
  out += "\nOutstanding balance: " + Str(c, "outstandingBalance");
  if (Int(c, "openInvoiceCount") > 0) {
    out += " across " + Plural(Int(c, "openInvoiceCount"), "open invoice");
    if (Int(c, "overdueInvoiceCount") > 0)
      out += " (" + FormatCount(Int(c, "overdueInvoiceCount")) + " overdue)";
  }
  out += ".";
  if (Int(c, "openingBalanceCents") > 0) {
    out += "\nOf which an opening balance (on no invoice): " + Str(c, "openingBalance") + ".";
  }
  if (Int(c, "creditCents") > 0) out += "\nCredit on account: " + Str(c, "credit") + ".";
  if (Int(c, "creditHeldCents") > 0 && Int(c, "creditHeldCents") != Int(c, "creditCents")) {
    out += "\nPaid and not yet applied: " + Str(c, "creditHeld") +
           " (the customer's next invoices use it first).";
  }
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

std::string CustomerListAnswer(const json& args, const json& r) {
  const json& list = Array(r, "customers");
  const size_t listed = std::min(list.size(), kMaxListed);
  const bool ranking = Str(args, "orderBy") == "balance";
  std::string out = Headline(r);
  out += Field(r, "count") ? ShownLine(r, listed, {"customers", "first",
                                                   ranking ? "highest balance first" : "by id"})
                           : std::string();
  if (ranking && listed > 0) {
    // A ranking reads best as a table, the rank first.
    out += "\n" + MarkdownTableRow({"#", "Customer", "Outstanding", "Status"}) + "\n" +
           MarkdownTableRule({true, false, true, false});
    for (size_t k = 0; k < listed; ++k) {
      const json& c = list[k];
      out += "\n" + MarkdownTableRow({std::to_string(Int(r, "offset") + int64_t(k) + 1),
                                      MarkdownCell(Str(c, "id") + " " + Str(c, "company")),
                                      MarkdownCell(Str(c, "outstandingBalance")),
                                      MarkdownCell(Str(c, "status"))});
    }
  }
  for (size_t k = 0; k < listed && !ranking; ++k) {
    const json& c = list[k];
    out += "\n- " + Str(c, "id") + " " + Str(c, "company") + ": outstanding " +
           Str(c, "outstandingBalance") + " · " + Str(c, "billingCycle") + " · " +
           MethodName(Str(c, "paymentMethod")) + " · " + Str(c, "status");
  }
  if (!Field(r, "count")) MoreRows(out, list.size());
  if (!list.empty() && !TotalOf(r, "totalOutstanding").empty()) {
    out += "\nTotal outstanding: " + TotalOf(r, "totalOutstanding") + OverAll(r, listed, "customers") +
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
      out += "\nTotal: " + TotalOf(r, "total");
      if (!TotalOf(r, "amountDue").empty()) out += "; still due: " + TotalOf(r, "amountDue");
      out += OverAll(r, listed, "invoices") + ".";
    }
    return out;
  }
  if (const json* coupons = Field(r, "coupons"); coupons && coupons->is_array()) {
    for (size_t k = 0; k < coupons->size() && k < kMaxListed; ++k) {
      const json& c = (*coupons)[k];
      std::string off = !Str(c, "percentOff").empty() ? Str(c, "percentOff") : Str(c, "amountOff");
      std::string duration = Str(c, "duration");
      if (duration == "repeating") duration = "for " + std::to_string(Int(c, "durationPeriods")) + " invoices";
      if (duration == "once") duration = "on one invoice";
      out += "\n- " + Str(c, "code") + ": " + off + " off " + duration + ", redeemed " +
             std::to_string(Int(c, "timesRedeemed")) +
             (Int(c, "maxRedemptions") > 0 ? " of " + std::to_string(Int(c, "maxRedemptions")) : std::string()) +
             " time(s)" + (True(c, "archived") ? " (archived)" : "") +
             (!Str(c, "redeemBy").empty() ? ", redeem by " + Str(c, "redeemBy") : std::string());
    }
    MoreRows(out, coupons->size());
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
  if (action == "credit_note") {
    out += "\nInvoice total " + Str(inv, "total") + ", credited " + Str(inv, "credited") +
           ", paid " + Str(inv, "paid") + ".";
    if (!Str(r, "newBalance").empty())
      out += "\nThe customer's balance is now " + Str(r, "newBalance") + ".";
    return out;
  }
  if (action == "finalize") {
    out += "\nLine items:" + InvoiceItems(inv);
    out += "\nStatus: " + StatusWithDays(inv) + "; amount due " + Str(inv, "amountDue") + ".";
    return out;
  }
  if (action == "update" || action == "cancel" || action == "delete") {
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
        action == "list_failed" || (HasTotal(r, "totalFailed") && !HasTotal(r, "totalCollected"));
    const size_t listed = std::min(list->size(), kMaxListed);
    const char* noun = failed ? "failed payments" : "payments";
    out = Headline(r) + ShownLine(r, listed, {noun, "newest", ""});
    for (size_t k = 0; k < listed; ++k) out += "\n" + PaymentLine((*list)[k], failed);
    if (!Field(r, "count")) MoreRows(out, list->size());
    if (failed) {
      if (!list->empty() && !TotalOf(r, "totalFailed").empty())
        out += "\nTotal failed: " + TotalOf(r, "totalFailed") + OverAll(r, listed, noun) + ".";
    } else if (!TotalOf(r, "totalPaid").empty()) {
      out += "\nTotal paid: " + TotalOf(r, "totalPaid");
      if (!TotalOf(r, "totalRefunded").empty())
        out += "; total refunded: " + TotalOf(r, "totalRefunded");
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

std::string SubscriptionLine(const json& sub) {
  const json& plan = Object(sub, "plan");
  std::string line =
      "- " + Str(sub, "id") + ": " + Str(sub, "customerId") + ", " + Str(plan, "name");
  if (Int(sub, "quantity") > 1) line += " x" + std::to_string(Int(sub, "quantity"));
  line += " (" + Str(sub, "amountPerPeriod") + " per period), " + Str(sub, "status");
  if (!Str(sub, "renewsOn").empty()) line += ", renews on " + Str(sub, "renewsOn");
  if (!Str(sub, "endsOn").empty()) line += ", ends on " + Str(sub, "endsOn");
  if (!Str(sub, "canceledAt").empty()) line += ", canceled " + Str(sub, "canceledAt");
  return line;
}

// manage-subscriptions: the tool's message, then the rows (plans, subscriptions, invoices).
std::string SubscriptionAnswer(const json& r) {
  std::string out = Sentence(Str(r, "message"));
  if (const json* plans = Field(r, "plans"); plans && plans->is_array()) {
    out = "Plans:";
    for (size_t k = 0; k < plans->size() && k < kMaxListed; ++k) {
      const json& p = (*plans)[k];
      out += "\n- " + Str(p, "name") + " (" + Str(p, "id") + "): " + Str(p, "priceText");
    }
    MoreRows(out, plans->size());
    return out;
  }
  if (const json* subs = Field(r, "subscriptions"); subs && subs->is_array()) {
    for (size_t k = 0; k < subs->size() && k < kMaxListed; ++k) {
      out += "\n" + SubscriptionLine((*subs)[k]);
    }
    MoreRows(out, subs->size());
    return out;
  }
  const json& sub = Object(r, "subscription");
  if (!sub.empty() && Field(sub, "pendingChange")) {
    const json& change = Object(sub, "pendingChange");
    out += " Pending: " + Str(Object(change, "plan"), "name") + " from " +
           Str(change, "effectiveOn") + ".";
  }
  return out;
}

// billing-reports: the report's own summary, then its lines (aging: a customer each, revenue:
// the months with activity, ltv: a customer each); every figure is the tool's.
// A report's rows as a table (aging buckets, revenue months, lifetime values): figures in
// columns read better than in sentences. Empty rows of the revenue report are left out.
std::string ReportAnswer(const json& r) {
  std::string out = Sentence(Str(r, "message"));
  const std::string report = Str(r, "report");
  const json& rows = Array(r, "rows");
  std::vector<std::string> lines;
  for (const json& row : rows) {
    if (report == "aging") {
      lines.push_back(MarkdownTableRow(
          {MarkdownCell(Str(row, "customerId") + " " + Str(row, "company")),
           MarkdownCell(Str(row, "total")), MarkdownCell(Str(row, "overdue")),
           MarkdownCell(Str(row, "over90"))}));
    } else if (report == "revenue") {
      if (Int(row, "invoicedCents") == 0 && Int(row, "collectedCents") == 0 &&
          Int(row, "refundedCents") == 0 && Int(row, "creditedCents") == 0) {
        continue;
      }
      lines.push_back(MarkdownTableRow(
          {MarkdownCell(Str(row, "month") + " " + Str(row, "currency")),
           MarkdownCell(Str(row, "invoiced")), MarkdownCell(Str(row, "collected")),
           MarkdownCell(Str(row, "refunded")), MarkdownCell(Str(row, "credited")),
           MarkdownCell(Str(row, "net"))}));
    } else if (report == "ltv" && rows.size() > 5) {
      lines.push_back(MarkdownTableRow(
          {MarkdownCell(Str(row, "customerId") + " " + Str(row, "company")),
           MarkdownCell(Str(row, "collected")),
           MarkdownCell(Plural(Int(row, "tenureMonths"), "month")),
           MarkdownCell(Str(row, "averageMonthly"))}));
    }
  }
  if (lines.empty()) return out;
  if (report == "aging") {
    out += "\n" + MarkdownTableRow({"Customer", "Due", "Overdue", "Over 90 days"}) + "\n" +
           MarkdownTableRule({false, true, true, true});
  } else if (report == "revenue") {
    out += "\n" +
           MarkdownTableRow({"Month", "Invoiced", "Collected", "Refunded", "Credited", "Net"}) +
           "\n" + MarkdownTableRule({false, true, true, true, true, true});
  } else {
    out += "\n" + MarkdownTableRow({"Customer", "Collected", "Tenure", "A month"}) + "\n" +
           MarkdownTableRule({false, true, true, true});
  }
  for (size_t k = 0; k < lines.size() && k < kMaxListed; ++k) out += "\n" + lines[k];
  if (lines.size() > kMaxListed) {
    out += "\n\n… and " + std::to_string(lines.size() - kMaxListed) + " more rows.";
  }
  return out;
}

}  // namespace

std::string DescribeToolResult(const std::string& tool, const json& args, const json& result) {
  std::string out;
  if (result.is_string() && result.get_ref<const std::string&>() == kToolCallNotApproved) {
    out = "Not done: the " + tool + " call was not approved, so it did not run and nothing was changed.";
  } else if (!result.is_object()) {
    // fall through to the raw dump
  } else if (True(result, "error")) {
    out = ErrorAnswer(tool, args, result);
  } else if (tool == "manageSubscriptionsTool" || tool == "manage-subscriptions") {
    out = SubscriptionAnswer(result);
  } else if (tool == "billingReportsTool" || tool == "billing-reports") {
    out = ReportAnswer(result);
  } else if (tool == "manageCustomersTool" || tool == "manage-customers") {
    out = Sentence(Str(result, "message"));
  } else if (Field(result, "customer")) {
    out = CustomerAnswer(result);
  } else if (Field(result, "customers")) {
    out = CustomerListAnswer(args, result);
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

}  // namespace billing
