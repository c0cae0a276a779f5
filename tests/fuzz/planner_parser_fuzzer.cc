// Fuzzes the local planner's text parsing (src/agent/request_parser.h, agent/local_planner.h):
// the input is a chat message as a user types it ("Create an invoice for CUST-001 for $500 due
// 2026-12-31"). A line "---" separates earlier user messages from the last one, so follow-ups
// ("$500 due 2026-12-31" after "Create an invoice for CUST-001") are fuzzed too.
//
// Invariants:
//   - ParseRequest is deterministic; ids are normalised (CUST-/PAY- plus at least 3 digits,
//     INV- plus [digits-] and at least 3 digits); amounts are positive and at most $1,000,000.00;
//     line items have a positive price and a quantity the tools accept; a date is a real calendar
//     date (round-trips through YYYY-MM-DD); filters are one of the values the tools accept;
//   - DecideAction either calls tools or replies, never neither; every planned call names one of
//     the three tools and its arguments pass that tool's input schema (the planner never makes
//     a call that the tool would reject as malformed);
//   - LocalPlanner::Plan answers "tool-calls" exactly when it makes calls, with unique call ids
//     and schema-valid arguments, and otherwise a non-empty text; after a lookup by company name
//     (fed the sample customers) the second step holds to the same rules;
//   - NormalizeCustomerId gives "" or CUST-<digits> and is idempotent; MatchCompanies returns
//     indexes into the list it was given.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "agent/local_planner.h"
#include "agent/model.h"
#include "agent/request_parser.h"
#include "billing/service.h"
#include "common/clock.h"
#include "fuzz_support.h"
#include "money/money.h"
#include "store/store.h"
#include "tools/billing_tool.h"
#include "tools/schema.h"

namespace {

using namespace billing;
using nlohmann::json;

std::string Show(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsSeqId(const std::string& id, std::string_view prefix) {
  if (id.rfind(prefix, 0) != 0) return false;
  const std::string_view rest = std::string_view(id).substr(prefix.size());
  return rest.size() >= 3 && AllDigits(rest);
}

// INV-001 (resolved by the tool) or INV-2025-001; the year part is passed on as written (the
// tool answers "not found" for a year that has no such invoice).
bool IsInvoiceId(const std::string& id) {
  // A draft: draft_<n>, n from 1 without leading zeros (drafts have no number).
  if (id.rfind("draft_", 0) == 0) {
    const std::string_view n = std::string_view(id).substr(6);
    return !n.empty() && n.size() <= 9 && n[0] != '0' && AllDigits(n);
  }
  if (id.rfind("INV-", 0) != 0) return false;
  std::string_view rest = std::string_view(id).substr(4);
  const size_t dash = rest.find('-');
  if (dash != std::string_view::npos) {
    if (!AllDigits(rest.substr(0, dash))) return false;
    rest = rest.substr(dash + 1);
  }
  return rest.size() >= 3 && AllDigits(rest);
}

bool OneOf(const std::string& value, std::initializer_list<const char*> allowed) {
  if (value.empty()) return true;
  for (const char* a : allowed) {
    if (value == a) return true;
  }
  return false;
}

// The tools (for their schemas) and the sample customers (for lookups by company name).
struct World {
  World() : path(fuzz::NewTempDbPath("planner")) {
    auto opened = OpenSqliteStore({path, 2, 5000});
    FUZZ_CHECK(opened.ok(), "cannot open %s", path.c_str());
    store = std::move(opened.value());
    service = std::make_unique<BillingService>(*store, clock, ids, ids, BillingOptions{});
    FUZZ_CHECK(service->SeedIfEmpty().ok(), "cannot seed");
    RegisterBillingTools(registry, *service);
    customer_list = registry.FindByKey("getCustomerTool")->Execute(json::object(), ToolContext{});
    FUZZ_CHECK(customer_list.contains("customers"), "no customers: %s",
               Show(customer_list).c_str());
    for (const auto& tool : registry.all()) {
      tool_specs.push_back({tool->key(), tool->description(), tool->input_schema()});
    }
  }

  std::string path;
  FixedClock clock{1795608000000};  // 2026-11-25T12:00:00Z
  SeededRandom ids{1};
  std::unique_ptr<Store> store;
  std::unique_ptr<BillingService> service;
  ToolRegistry registry;
  json customer_list;
  std::vector<ToolSpec> tool_specs;
};

void CheckCall(const World& world, const std::string& tool_key, const json& args,
               std::string_view text) {
  const Tool* tool = world.registry.FindByKey(tool_key);
  FUZZ_CHECK(tool != nullptr, "planned call to unknown tool '%s'", tool_key.c_str());
  FUZZ_CHECK(args.is_object(), "%s: arguments are not an object", tool_key.c_str());
  const std::vector<SchemaIssue> issues = ValidateSchema(tool->input_schema(), StripNulls(args));
  FUZZ_CHECK(issues.empty(), "%s(%s) fails its schema: %s: %s\ntext: %.*s", tool_key.c_str(),
             Show(args).c_str(), issues.empty() ? "" : issues[0].path.c_str(),
             issues.empty() ? "" : issues[0].message.c_str(), int(text.size()), text.data());
}

void CheckParsed(const ParsedRequest& p, std::string_view text) {
  const int t = int(text.size());
  FUZZ_CHECK(p.customer_id.empty() || IsSeqId(p.customer_id, "CUST-"), "customer id '%s' from %.*s",
             p.customer_id.c_str(), t, text.data());
  FUZZ_CHECK(p.payment_id.empty() || IsSeqId(p.payment_id, "PAY-"), "payment id '%s' from %.*s",
             p.payment_id.c_str(), t, text.data());
  FUZZ_CHECK(p.invoice_id.empty() || IsInvoiceId(p.invoice_id), "invoice id '%s' from %.*s",
             p.invoice_id.c_str(), t, text.data());
  for (int64_t a : p.amounts) {
    FUZZ_CHECK(a > 0 && a <= 100'000'000, "amount %lld from %.*s", (long long)a, t, text.data());
  }
  for (const ParsedLineItem& item : p.items) {
    FUZZ_CHECK(item.unit_price_minor > 0 && item.unit_price_minor <= 100'000'000,
               "item price %lld from %.*s", (long long)item.unit_price_minor, t, text.data());
    FUZZ_CHECK(ParseQuantityMilli(json(item.quantity), "quantity").ok(),
               "item quantity '%s' from %.*s", item.quantity.c_str(), t, text.data());
  }
  if (p.date) {
    Date back;
    FUZZ_CHECK(Date::Parse(p.date->ToString(), &back) && back == *p.date,
               "date %s is not a calendar date (from %.*s)", p.date->ToString().c_str(), t,
               text.data());
  }
  FUZZ_CHECK(OneOf(p.payment_method, {"credit_card", "bank_transfer", "paypal", "crypto"}),
             "payment method '%s'", p.payment_method.c_str());
  FUZZ_CHECK(OneOf(p.customer_status, {"active", "suspended"}), "status '%s'",
             p.customer_status.c_str());
  FUZZ_CHECK(OneOf(p.billing_cycle, {"monthly", "quarterly", "annual"}), "cycle '%s'",
             p.billing_cycle.c_str());
  FUZZ_CHECK(OneOf(p.invoice_status, {"pending", "paid", "overdue", "cancelled", "draft"}),
             "invoice status '%s'", p.invoice_status.c_str());
  FUZZ_CHECK(OneOf(p.refund_to, {"refund", "credit"}), "refundTo '%s'", p.refund_to.c_str());
  // A coupon code: 3-32 upper-case letters, digits, '-' or '_'.
  FUZZ_CHECK(p.coupon_code.empty() ||
                 (p.coupon_code.size() >= 3 && p.coupon_code.size() <= 32 &&
                  p.coupon_code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
                      std::string::npos),
             "coupon code '%s' from %.*s", p.coupon_code.c_str(), t, text.data());
  if (p.min_balance_minor) {
    FUZZ_CHECK(*p.min_balance_minor >= 0, "min balance %lld", (long long)*p.min_balance_minor);
  }
}

// One planner step: "tool-calls" with valid calls, or a text answer.
void CheckResponse(const World& world, const ModelResponse& r, std::string_view text) {
  if (r.tool_calls.empty()) {
    FUZZ_CHECK(r.finish_reason == "stop" && !r.text.empty(), "finish '%s' with text '%s'",
               r.finish_reason.c_str(), r.text.c_str());
    return;
  }
  FUZZ_CHECK(r.finish_reason == "tool-calls", "calls with finish '%s'", r.finish_reason.c_str());
  std::set<std::string> ids;
  for (const ToolCall& c : r.tool_calls) {
    FUZZ_CHECK(!c.id.empty() && ids.insert(c.id).second, "call id '%s' empty or repeated",
               c.id.c_str());
    CheckCall(world, c.name, c.args, text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();  // leaked at exit on purpose (see fuzz_support.h)
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Date today = world->clock.TodayUtc();

  // Earlier user messages, then the last one.
  std::vector<std::string> turns;
  for (size_t start = 0;;) {
    const size_t sep = input.find("\n---\n", start);
    turns.emplace_back(input.substr(start, sep == std::string_view::npos ? sep : sep - start));
    if (sep == std::string_view::npos) break;
    start = sep + 5;
  }
  const std::string& text = turns.back();

  const ParsedRequest parsed = ParseRequest(text, today);
  CheckParsed(parsed, text);
  const ParsedRequest again = ParseRequest(text, today);
  FUZZ_CHECK(again.intent == parsed.intent && again.customer_id == parsed.customer_id &&
                 again.invoice_id == parsed.invoice_id && again.payment_id == parsed.payment_id &&
                 again.amounts == parsed.amounts && again.date == parsed.date,
             "ParseRequest is not deterministic");

  const PlannedAction action = DecideAction(parsed, today);
  FUZZ_CHECK(!action.calls.empty() || !action.reply.empty(), "neither calls nor a reply (%s)",
             IntentName(parsed.intent));
  for (const PlannedCall& call : action.calls) CheckCall(*world, call.tool, call.args, text);

  const std::string id = NormalizeCustomerId(text);
  if (!id.empty()) {
    FUZZ_CHECK(IsSeqId(id, "CUST-"), "NormalizeCustomerId gave '%s'", id.c_str());
    FUZZ_CHECK(NormalizeCustomerId(id) == id, "NormalizeCustomerId is not idempotent on %s",
               id.c_str());
  }
  const json& customers = world->customer_list["customers"];
  for (size_t k : MatchCompanies(customers, text)) {
    FUZZ_CHECK(k < customers.size(), "MatchCompanies index %zu of %zu", k, customers.size());
  }

  // The planner as the agent drives it.
  LocalPlanner planner(world->clock);
  ModelRequest request;
  request.tools = ToolSpecList(std::make_shared<const std::vector<ToolSpec>>(world->tool_specs));
  for (const std::string& turn : turns) {
    ChatMessage user;
    user.role = "user";
    user.content = turn;
    request.messages.push_back(std::move(user));
  }
  const ModelResponse first = planner.Plan(request);
  CheckResponse(*world, first, text);
  if (action.customer_lookup && first.tool_calls.size() == 1) {
    // Second step: the customer list comes back; the planner matches the company name.
    ChatMessage call;
    call.role = "assistant";
    call.tool_calls = first.tool_calls;
    ChatMessage result;
    result.role = "tool";
    result.tool_call_id = first.tool_calls[0].id;
    result.tool_name = first.tool_calls[0].name;
    result.tool_result = world->customer_list;
    request.messages.push_back(std::move(call));
    request.messages.push_back(std::move(result));
    CheckResponse(*world, planner.Plan(request), text);
  }
  return 0;
}
