// Fuzzes the JSON tool input path (src/tools/schema.h, tools/billing_tool.h): the input is the
// JSON a model or an HTTP caller sends as a tool's arguments; it is validated against each of the
// three tools' input schemas and executed by each tool over a real SQLite ledger (seeded with the
// sample data, in /dev/shm, recreated every kInputsPerLedger inputs so that it stays small).
//
// Invariants, for every tool:
//   - ValidateSchema is deterministic in its verdict (max_issues 1 agrees with 20) and bounded;
//   - input the schema rejects (nulls stripped) gets Mastra's validation failure and changes
//     nothing; input it accepts is never reported as a validation failure;
//   - a read-only caller changes nothing, whatever the input (the scope check holds);
//   - an error result (error:true) changes nothing; a success or a declined payment appends at
//     most one audit row; no result is INTERNAL (that would be a bug or a thrown exception);
//   - every result is an object with a message, and serialises as valid UTF-8 (no throw);
//   - every "<name>Cents" integer next to a "<name>" string agrees with FormatMoney, and amounts
//     other than balances and credits are never negative;
//   - the ledger invariants of billing-rules.md (BillingService::CheckInvariants) hold after
//     every input.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "billing/service.h"
#include "common/clock.h"
#include "fuzz_support.h"
#include "money/money.h"
#include "store/store.h"
#include "tools/billing_tool.h"
#include "tools/schema.h"
#include "tools/tool.h"

namespace {

using namespace billing;
using nlohmann::json;

constexpr int kInputsPerLedger = 500;

struct Ledger {
  Ledger() : path(fuzz::NewTempDbPath("tools")) {
    auto opened = OpenSqliteStore({path, 2, 5000});
    FUZZ_CHECK(opened.ok(), "cannot open %s: %s", path.c_str(), opened.error().message.c_str());
    store = std::move(opened.value());
    BillingOptions options;  // random processor (seeded): approvals and declines
    service = std::make_unique<BillingService>(*store, clock, ids, processor, options);
    FUZZ_CHECK(service->SeedIfEmpty().ok(), "cannot seed");
    RegisterBillingTools(registry, *service);
    last_seq = LastAuditSeq();
  }
  ~Ledger() {
    registry = ToolRegistry();
    service.reset();
    store.reset();
    fuzz::RemoveDbFiles(path);
  }

  // The seq of the newest audit row: every successful change appends exactly one.
  int64_t LastAuditSeq() {
    int64_t seq = last_seq;
    for (;;) {
      auto rows = service->ListAudit(AuditQuery{seq}, 1000);
      FUZZ_CHECK(rows.ok(), "cannot read the audit log");
      if (rows->empty()) return seq;
      seq = rows->back().seq;
    }
  }

  std::string path;
  FixedClock clock{1795608000000};  // 2026-11-25T12:00:00Z, as the unit tests
  SeededRandom ids{1};
  SeededRandom processor{2};
  std::unique_ptr<Store> store;
  std::unique_ptr<BillingService> service;
  ToolRegistry registry;
  int64_t last_seq = 0;
  int inputs = 0;
};

std::string Show(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Walks a result: "<name>Cents" / "<name>" pairs agree in the currency of the object that holds
// them ("currency", or a list's "totalsCurrency"; else the enclosing object's, USD at the top),
// and amounts are not negative.
void CheckAmounts(const json& value, const std::string& where, std::string currency = "USD") {
  if (value.is_array()) {
    for (const json& e : value) CheckAmounts(e, where, currency);
    return;
  }
  if (!value.is_object()) return;
  for (const char* key : {"currency", "totalsCurrency"}) {
    auto c = value.find(key);
    if (c != value.end() && c->is_string()) currency = c->get<std::string>();
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    if (EndsWith(key, "Cents") && it->is_number_integer()) {
      const int64_t cents = it->get<int64_t>();
      // Balances and credits go below zero, and so does a month's net revenue when its refunds
      // exceed what it collected (billing-reports revenue).
      const bool may_be_negative = key.find("alance") != std::string::npos ||
                                   key.find("redit") != std::string::npos || key == "netCents";
      FUZZ_CHECK(cents >= 0 || may_be_negative, "%s: %s = %lld", where.c_str(), key.c_str(),
                 (long long)cents);
      auto display = value.find(key.substr(0, key.size() - 5));
      if (display != value.end() && display->is_string()) {
        FUZZ_CHECK(display->get<std::string>() == FormatMoney(cents, currency),
                   "%s: %s = %lld but the display is '%s' (currency %s)", where.c_str(),
                   key.c_str(), (long long)cents, display->get<std::string>().c_str(),
                   currency.c_str());
      }
    }
    CheckAmounts(*it, where, currency);
  }
}

bool IsValidationFailure(const json& result) {
  return IsToolError(result) && result.value("code", "") == "INVALID_ARGUMENT" &&
         result.value("message", "").rfind("Tool validation failed for ", 0) == 0;
}

void CheckResult(const Tool& tool, const json& result, const char* caller) {
  const std::string where = tool.id() + " (" + caller + ")";
  FUZZ_CHECK(result.is_object(), "%s: result is not an object", where.c_str());
  FUZZ_CHECK(result.contains("message") && result["message"].is_string(),
             "%s: result without a message: %s", where.c_str(), Show(result).c_str());
  FUZZ_CHECK(result.value("code", "") != "INTERNAL", "%s: internal error: %s", where.c_str(),
             Show(result).c_str());
  try {
    (void)result.dump();  // strict: throws on invalid UTF-8
  } catch (const json::exception& e) {
    FUZZ_CHECK(false, "%s: result is not valid UTF-8: %s", where.c_str(), e.what());
  }
  CheckAmounts(result, where);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Tool errors are logged; at one log line per input the log would be most of the work.
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const json input = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return -1;  // not JSON: keep it out of the corpus

  static Ledger* ledger = nullptr;  // leaked at exit on purpose (see fuzz_support.h)
  if (ledger == nullptr || ledger->inputs >= kInputsPerLedger) {
    delete ledger;
    ledger = new Ledger();
  }
  ++ledger->inputs;

  const json stripped = StripNulls(input.is_null() ? json::object() : input);
  for (const auto& tool : ledger->registry.all()) {
    std::vector<SchemaIssue> issues;
    if (stripped.is_object()) {
      issues = ValidateSchema(tool->input_schema(), stripped);
      FUZZ_CHECK(issues.size() <= 20, "%zu issues", issues.size());
      FUZZ_CHECK(ValidateSchema(tool->input_schema(), stripped, 1).empty() == issues.empty(),
                 "%s: verdict depends on max_issues", tool->id().c_str());
      (void)ValidationFailureResult(tool->id(), input, issues).dump();
    }
    const bool schema_valid = stripped.is_object() && issues.empty();

    ToolContext read_only;
    read_only.actor = "fuzz-reader";
    read_only.scopes = ScopeBit(Scope::kRead);
    const json as_reader = tool->Execute(input, read_only);
    CheckResult(*tool, as_reader, "read scope");
    FUZZ_CHECK(schema_valid != IsValidationFailure(as_reader), "%s: schema says %s, tool says %s",
               tool->id().c_str(), schema_valid ? "valid" : "invalid",
               as_reader.value("message", "").c_str());
    int64_t seq = ledger->LastAuditSeq();
    FUZZ_CHECK(seq == ledger->last_seq, "%s: a read-only caller changed the ledger",
               tool->id().c_str());

    ToolContext admin;
    admin.actor = "fuzz-admin";
    const json as_admin = tool->Execute(input, admin);
    CheckResult(*tool, as_admin, "all scopes");
    FUZZ_CHECK(schema_valid != IsValidationFailure(as_admin), "%s: schema and tool disagree",
               tool->id().c_str());
    seq = ledger->LastAuditSeq();
    if (IsToolError(as_admin)) {
      FUZZ_CHECK(seq == ledger->last_seq, "%s: an error result changed the ledger: %s",
                 tool->id().c_str(), as_admin.value("message", "").c_str());
    } else {
      FUZZ_CHECK(seq - ledger->last_seq <= 1, "%s: one call appended %lld audit rows",
                 tool->id().c_str(), (long long)(seq - ledger->last_seq));
    }
    ledger->last_seq = seq;
  }
  Status invariants = ledger->service->CheckInvariants();
  FUZZ_CHECK(invariants.ok(), "ledger invariant broken: %s", invariants.error().message.c_str());
  return 0;
}
