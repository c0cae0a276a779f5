#include "agent/local_planner.h"

#include "agent/markdown.h"

#include <algorithm>
#include <cstdio>

#include "agent/parse/vocabulary.h"
#include "agent/planner_answers.h"
#include "agent/request_parser.h"
#include "money/money.h"

namespace billing {
namespace {

using nlohmann::json;
using planner::Field, planner::Int, planner::kMaxListed, planner::MoreRows, planner::Object,
    planner::QuestionLead, planner::StatusWithDays, planner::Str, planner::True;

constexpr size_t kMaxSteps = 4;  // tool steps per user turn before we always answer

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
    const size_t space = lower.find(' ', at);
    if (space != std::string::npos && lower.compare(space, 4, " of ") == 0 &&
        parse::IsTimeUnit(std::string_view(lower).substr(at, space - at))) {
      at = space + 4;
    }
    if (at < item.description.size()) item.description = item.description.substr(at);
  }
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
    // Clients render answers as Markdown: it must render as it reads (agent/markdown.h).
    resp.text = PlannerMarkdown(text);
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
