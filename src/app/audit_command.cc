#include "app/audit_command.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>

#include "billing/audit.h"
#include "billing/service.h"
#include "common/clock.h"
#include "store/backend.h"
#include "store/store.h"

namespace billing {
namespace {

constexpr char kUsage[] =
    "usage: billing-agent audit verify [--db PATH]\n"
    "       billing-agent audit list [--db PATH] [--after N] [--limit N] [--actor ID]\n"
    "                                [--on-behalf-of ID]\n";
constexpr int64_t kMaxListRows = 100'000;
constexpr int kListBatch = 1000;

std::optional<int64_t> ParseInt(const std::string& s, int64_t min, int64_t max) {
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || ptr != end || v < min || v > max) return std::nullopt;
  return v;
}

}  // namespace

bool IsAuditCommand(int argc, char** argv) {
  return argc >= 2 && argv[1] != nullptr && std::string(argv[1]) == "audit";
}

int RunAuditCommand(int argc, char** argv) {
  std::string db_path = "./data/billing.db";
  if (const char* v = std::getenv("BILLING_DB"); v != nullptr && *v != '\0') db_path = v;
  std::vector<std::string> args;
  for (int i = 2; i < argc && i < 64; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  return RunAuditCommand(db_path, args);
}

int RunAuditCommand(const std::string& db_path, const std::vector<std::string>& args) {
  return RunAuditCommand(db_path, args, std::cout, std::cerr);
}

int RunAuditCommand(const std::string& db_path, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err) {
  if (args.empty() || (args[0] != "verify" && args[0] != "list")) {
    err << kUsage;
    return 2;
  }
  const bool verify = args[0] == "verify";
  std::string db = db_path;
  int64_t limit = 100;
  AuditQuery query;
  for (size_t i = 1; i < args.size(); i += 2) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) {
      err << "audit: " << flag << " needs a value\n" << kUsage;
      return 2;
    }
    const std::string& value = args[i + 1];
    if (flag == "--db") {
      db = value;
    } else if (!verify && flag == "--after") {
      auto v = ParseInt(value, 0, INT64_MAX);
      if (!v) {
        err << "audit: --after must be a non-negative integer\n";
        return 2;
      }
      query.after_seq = *v;
    } else if (!verify && (flag == "--actor" || flag == "--on-behalf-of")) {
      // Exact ids as recorded: --actor key:bk_1a2b3c4d, --on-behalf-of cometchat:user123.
      if (value.empty() || value.size() > 256) {
        err << "audit: " << flag << " must be an id of 1 to 256 characters\n";
        return 2;
      }
      (flag == "--actor" ? query.actor : query.on_behalf_of) = value;
    } else if (!verify && flag == "--limit") {
      auto v = ParseInt(value, 1, kMaxListRows);
      if (!v) {
        err << "audit: --limit must be an integer between 1 and " << kMaxListRows << "\n";
        return 2;
      }
      limit = *v;
    } else {
      err << "audit: unknown option " << flag << "\n" << kUsage;
      return 2;
    }
  }
  std::error_code ec;
  if (db.empty() || (!IsPostgresDb(db) && !std::filesystem::exists(db, ec))) {
    err << "audit: no database at '" << db << "'\n";
    return 2;
  }
  auto store = OpenStore(BackendOptions{db, 2});
  if (!store.ok()) {
    err << "audit: cannot open " << DescribeBackend(BackendOptions{db}) << ": "
        << store.error().message << "\n";
    return 2;
  }
  SystemClock clock;
  CsprngSource ids, processor;
  BillingService service(*store.value(), clock, ids, processor, BillingOptions{});

  if (verify) {
    int64_t rows = 0, broken = 0;
    std::string why;
    Status s = service.VerifyAudit(&rows, &broken, &why);
    if (!s.ok()) {
      err << "audit: cannot read the audit log: " << s.error().message << "\n";
      return 2;
    }
    if (broken != 0) {
      out << "audit chain broken at row " << broken << ": " << why << "\n";
      return 1;
    }
    out << "audit chain OK: " << rows << " rows\n";
    return 0;
  }

  int64_t printed = 0;
  for (int64_t batch = 0; batch <= kMaxListRows / kListBatch && printed < limit; ++batch) {
    const int want = int(std::min<int64_t>(kListBatch, limit - printed));
    auto rows = service.ListAudit(query, want);
    if (!rows.ok()) {
      err << "audit: cannot read the audit log: " << rows.error().message << "\n";
      return 2;
    }
    for (const AuditEntry& e : *rows) {
      out << AuditDump(AuditEntryJson(e)) << "\n";
      query.after_seq = e.seq;
      ++printed;
    }
    if (rows->size() < size_t(want)) break;
  }
  return 0;
}

}  // namespace billing
