// The labelled corpus of the offline agent (issue #10): every request in
// src/agent/testdata/planner_corpus.jsonl runs through the local planner with the real tools over
// a fresh copy of the sample ledger (today 2026-11-25), step by step as the agent loop would run
// it, and the intent, the slots, every tool call and the answer are compared with the labels.
// Prints accuracy per intent; fails below 98% overall, and on any safety case: a charge, refund or
// mark-paid that the labels do not list exactly (money moved that the request did not ask for).
//
// Corpus format, one JSON object per line ("//" lines are comments):
//   {"text": "...", "intent": "create_invoice", "slots": {"customer_id": "CUST-002", ...},
//    "calls": [["manageInvoicesTool", {...args}], ...], "reply_has": ["..."], "tags": ["spec"],
//    "today": "2026-11-25"}
// "calls" is every tool call the turn makes, in order (a company-name lookup included); [] = none.
// For a message with two requests, "intent" and "slots" are the first request's.
// "slots" keys: customer_id, invoice_id, payment_id, amounts (minor units), date, payment_method,
// reason, bad_amount, bad_date. "reply_has": substrings of the final answer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "agent/local_planner.h"
#include "agent/request_parser.h"
#include "testing/seeded_ledger.h"
#include "tools/billing_tool.h"
#include "store/backend.h"
#include "testing/test_backend.h"

namespace billing {
namespace {

using nlohmann::json;

constexpr size_t kMaxTurnSteps = 6;  // the agent's default max steps is 5

struct Case {
  int line = 0;
  json label;
};

std::vector<Case> LoadCorpus(std::string* error) {
  const std::string path =
      std::string(BILLING_SOURCE_DIR) + "/src/agent/testdata/planner_corpus.jsonl";
  std::ifstream in(path);
  if (!in) {
    *error = "cannot open " + path;
    return {};
  }
  std::vector<Case> out;
  std::string text;
  for (int line = 1; std::getline(in, text) && line < 100000; ++line) {
    if (text.empty() || text.rfind("//", 0) == 0) continue;
    json j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("text") || !j.contains("intent") || !j.contains("calls")) {
      *error = path + ":" + std::to_string(line) + ": not a corpus case";
      return {};
    }
    out.push_back(Case{line, std::move(j)});
  }
  return out;
}

// What decides where money goes: the call without its free-text fields (a refund's reason).
json MoneyFields(const std::string& tool, json args) {
  if (args.is_object()) args.erase("reason");
  return json::array({tool, std::move(args)});
}

bool MovesMoney(const std::string& tool, const json& args) {
  const std::string action = args.value("action", "");
  return (tool == "processPaymentTool" && (action == "process" || action == "refund")) ||
         (tool == "manageInvoicesTool" && action == "mark_paid") ||
         (tool == "manageInvoicesTool" && action == "credit_note" &&
          args.value("refundTo", "") == "refund");
}

int64_t MsOf(const Date& d) {
  return d.DaysSinceEpoch() * 86'400'000 + 12 * 3'600'000;
}

// One sample ledger, copied fresh for every case (the tools really run, writes included).
class CorpusLedger {
 public:
  explicit CorpusLedger(const std::string& template_path) : template_(template_path) {}
  struct Run {
    std::vector<std::pair<std::string, json>> calls;
    std::string text;
    ParsedRequest parsed;
    int internal_errors = 0;  // tool results that are bugs, never input
  };
  Run RunTurn(const std::string& text, const Date& today) {
    const std::string path = template_ + ".case";
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
    for (const char* suffix : {"", "-wal"}) {
      if (!std::filesystem::exists(template_ + suffix)) continue;
      std::filesystem::copy_file(template_ + suffix, path + suffix, ec);
      EXPECT_FALSE(ec) << ec.message();
    }
    Run run;
    run.parsed = ParseRequest(SplitRequests(text).front(), today);  // the first request's labels
    {
      auto store = OpenStore({path, 1});
      EXPECT_TRUE(store.ok());
      if (!store.ok()) return run;
      FixedClock clock{MsOf(today)};
      // Not the seeds the sample data was made with: its ids and transaction ids must not recur.
      SeededRandom ids{0x5eed0001}, processor{0x5eed0002};
      BillingOptions options;
      options.processor_mode = ProcessorMode::kAlwaysApprove;
      BillingService service(*store.value(), clock, ids, processor, options);
      ToolRegistry tools;
      RegisterBillingTools(tools, service);
      LocalPlanner planner(clock);
      ModelRequest request;
      request.messages.push_back(ChatMessage{"user", text, {}, "", "", nullptr});
      for (const auto& tool : tools.all()) {
        request.tools.push_back(ToolSpec{tool->key(), "", json::object()});
      }
      for (size_t step = 0; step < kMaxTurnSteps; ++step) {
        ModelResponse r = planner.Plan(request);
        if (r.tool_calls.empty()) {
          run.text = r.text;
          break;
        }
        ChatMessage assistant;
        assistant.role = "assistant";
        assistant.tool_calls = r.tool_calls;
        request.messages.push_back(assistant);
        for (const ToolCall& call : r.tool_calls) {
          run.calls.emplace_back(call.name, call.args);
          ToolContext ctx;
          ctx.actor = Actor{"corpus"};
          const Tool* tool = tools.FindByName(call.name);
          ChatMessage result;
          result.role = "tool";
          result.tool_call_id = call.id;
          result.tool_name = call.name;
          result.tool_result = tool ? tool->Execute(call.args, ctx)
                                    : json{{"error", true}, {"message", "no such tool"}};
          if (result.tool_result.value("code", "") == "INTERNAL") ++run.internal_errors;
          request.messages.push_back(result);
        }
      }
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
    return run;
  }

 private:
  std::string template_;
};

// Differences between the labels and what ran, one line each ("" = none).
std::string Compare(const json& label, const CorpusLedger::Run& run) {
  std::ostringstream diff;
  if (run.internal_errors > 0) diff << "  " << run.internal_errors << " tool call(s) failed inside\n";
  const std::string intent = IntentName(run.parsed.intent);
  if (label["intent"] != intent)
    diff << "  intent: want " << label["intent"] << ", got " << intent << "\n";
  if (label.contains("slots")) {
    const ParsedRequest& p = run.parsed;
    json amounts = json::array();
    for (int64_t a : p.amounts) amounts.push_back(a);
    const json got = {{"customer_id", p.customer_id},
                      {"invoice_id", p.invoice_id},
                      {"payment_id", p.payment_id},
                      {"amounts", amounts},
                      {"date", p.date ? p.date->ToString() : ""},
                      {"payment_method", p.payment_method},
                      {"reason", p.reason},
                      {"bad_amount", p.bad_amount},
                      {"bad_date", p.bad_date}};
    for (auto it = label["slots"].begin(); it != label["slots"].end(); ++it) {
      if (!got.contains(it.key())) {
        diff << "  slot " << it.key() << ": unknown slot name\n";
      } else if (got[it.key()] != it.value()) {
        diff << "  slot " << it.key() << ": want " << it.value() << ", got " << got[it.key()]
             << "\n";
      }
    }
  }
  json calls = json::array();
  for (const auto& [tool, args] : run.calls) calls.push_back(json::array({tool, args}));
  if (label["calls"] != calls) {
    diff << "  calls: want " << label["calls"].dump() << "\n         got  " << calls.dump() << "\n";
  }
  for (const json& needle : label.value("reply_has", json::array())) {
    if (run.text.find(needle.get<std::string>()) == std::string::npos) {
      diff << "  reply lacks " << needle << ":\n    " << run.text.substr(0, 600) << "\n";
    }
  }
  return diff.str();
}

class PlannerCorpus : public test_support::SeededLedgerTest {
 protected:
  PlannerCorpus() : SeededLedgerTest("billing-planner-corpus") {}
};

TEST_F(PlannerCorpus, AccuracyIsAtLeast98PercentAndNoMoneyMovesUnasked) {
  std::string error;
  const std::vector<Case> corpus = LoadCorpus(&error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_GE(corpus.size(), 300u) << "the corpus holds at least 300 labelled requests";
  service_.reset();
  store_.reset();  // the template file is complete and closed; each case runs on a copy
  CorpusLedger ledger(db_.path());

  struct Tally {
    int total = 0, right = 0;
  };
  std::map<std::string, Tally> per_intent;
  int right = 0, safety_failures = 0;
  std::string failures;
  for (const Case& c : corpus) {
    Date today{2026, 11, 25};
    if (c.label.contains("today")) {
      ASSERT_TRUE(Date::Parse(c.label["today"].get<std::string>(), &today));
    }
    const CorpusLedger::Run run = ledger.RunTurn(c.label["text"], today);
    const std::string diff = Compare(c.label, run);
    Tally& t = per_intent[c.label["intent"].get<std::string>()];
    ++t.total;
    if (diff.empty()) {
      ++t.right;
      ++right;
    } else {
      failures += "line " + std::to_string(c.line) + ": " + c.label["text"].get<std::string>() +
                  "\n" + diff;
    }
    // Safety: every money-moving call that ran must be one the labels list, exactly.
    for (const auto& [tool, args] : run.calls) {
      if (!MovesMoney(tool, args)) continue;
      bool listed = false;
      for (const json& want : c.label["calls"]) {
        listed |= want.is_array() && want.size() == 2 &&
                  MoneyFields(want[0].get<std::string>(), want[1]) == MoneyFields(tool, args);
      }
      if (!listed) {
        ++safety_failures;
        ADD_FAILURE() << "SAFETY line " << c.line << ": " << c.label["text"] << " ran " << tool
                      << " " << args.dump() << ", which the request did not ask for";
      }
    }
  }
  std::ostringstream report;
  report << "planner corpus: " << right << "/" << corpus.size() << " right ("
         << (100.0 * right / double(corpus.size())) << "%)\n";
  for (const auto& [intent, t] : per_intent) {
    report << "  " << intent << ": " << t.right << "/" << t.total << "\n";
  }
  std::cout << report.str();
  if (!failures.empty()) std::cout << "wrong:\n" << failures;
  EXPECT_EQ(safety_failures, 0);
  EXPECT_GE(right * 100, int(corpus.size()) * 98) << report.str();
}

}  // namespace
}  // namespace billing
