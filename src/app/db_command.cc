#include "app/db_command.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "billing/service.h"
#include "common/clock.h"
#include "store/backend.h"
#include "store/db_copy.h"
#include "store/store.h"

namespace billing {
namespace {

constexpr char kUsage[] =
    "usage: billing-agent db copy --from PATH --to URL\n"
    "  Copies every store of the SQLite database PATH into the empty PostgreSQL database URL\n"
    "  (postgres://user:pass@host:5432/dbname), then checks the invariants and the audit chain\n"
    "  on the copy. Stop the server on PATH first.\n";

// A regular file that starts with SQLite's header ("SQLite format 3" and a NUL).
bool IsSqliteFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  return in.gcount() == sizeof header && std::memcmp(header, "SQLite format 3", 16) == 0;
}

// An argument as messages show it: a URL never with its password.
std::string Named(const std::string& arg) {
  return RedactedDb(arg);
}

// Opens the copy as the server would, checks every invariant and the whole audit chain.
// `audit_rows`: the audit rows copied, which the chain must have exactly.
int CheckCopy(const std::string& to, const std::string& target, int64_t audit_rows,
              std::ostream& out, std::ostream& err) {
  const char* committed = "; the copy is committed: drop that database before copying again\n";
  auto store = OpenStore(BackendOptions{to, 2, 30000});
  if (!store.ok()) {
    err << "db copy: cannot open the copy in " << target << ": " << store.error().message
        << committed;
    return 1;
  }
  // Nothing is written: the clock and random sources are never used for a change.
  SystemClock clock;
  CsprngSource ids, processor;
  BillingService service(*store.value(), clock, ids, processor, BillingOptions{});
  if (Status s = service.CheckInvariants(); !s.ok()) {
    err << "db copy: an invariant does not hold on the copy in " << target << ": "
        << s.error().message << committed;
    return 1;
  }
  out << "invariants OK\n";
  int64_t rows = 0, broken = 0;
  std::string why;
  if (Status s = service.VerifyAudit(&rows, &broken, &why); !s.ok()) {
    err << "db copy: cannot read the audit log of the copy in " << target << ": "
        << s.error().message << committed;
    return 1;
  }
  if (broken != 0 || rows != audit_rows) {
    err << "db copy: the audit chain of the copy in " << target << " does not verify: ";
    if (broken != 0) {
      err << "broken at row " << broken << ": " << why;
    } else {
      err << rows << " rows verify, " << audit_rows << " were copied";
    }
    err << " (audit verify --db on the source tells whether it was already)" << committed;
    return 1;
  }
  out << "audit chain OK (" << rows << " rows)\n";
  return 0;
}

int RunCopy(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string from, to;
  CLI::App app{"Copies a SQLite database into an empty PostgreSQL database",
               "billing-agent db copy"};
  app.add_option("--from", from, "The SQLite database file to copy (stop its server first)");
  app.add_option("--to", to, "The empty PostgreSQL database: postgres://user:pass@host/dbname");
  // CLI11 takes the arguments in reverse order, without the subcommand.
  std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    out << kUsage;
    return 0;
  } catch (const CLI::ParseError& e) {
    // CLI11 quotes unexpected arguments: a mistyped flag must not print a URL's password.
    std::string message = e.what();
    for (const std::string& arg : args) {
      const std::string named = Named(arg);
      for (size_t at = arg == named ? std::string::npos : message.find(arg);
           at != std::string::npos; at = message.find(arg, at + named.size())) {
        message.replace(at, arg.size(), named);
      }
    }
    err << "db copy: " << message << "\n" << kUsage;
    return 2;
  }
  if (from.empty()) {
    err << "db copy: --from is required: the SQLite database file to copy "
           "(e.g. --from ./data/billing.db)\n";
    return 1;
  }
  if (to.empty()) {
    err << "db copy: --to is required: the empty PostgreSQL database to copy into "
           "(e.g. --to postgres://user:pass@host:5432/billing)\n";
    return 1;
  }
  if (!IsPostgresDb(to)) {
    err << "db copy: --to must be a postgres:// or postgresql:// URL of an empty PostgreSQL "
           "database, got '"
        << Named(to) << "'\n";
    return 1;
  }
  if (IsPostgresDb(from) || !IsSqliteFile(from)) {
    std::error_code ec;
    const bool exists = !IsPostgresDb(from) && std::filesystem::exists(from, ec);
    err << "db copy: --from must be an existing SQLite database file, got '" << Named(from)
        << (exists ? "' (not a SQLite database)\n" : "' (no such file)\n");
    return 1;
  }
  const std::string source = DescribeBackend(BackendOptions{from});
  const std::string target = DescribeBackend(BackendOptions{to});
  Result<CopyReport> copied = CopySqliteToPostgres(from, to);
  if (!copied.ok()) {
    const Error& e = copied.error();
    if (e.code == ErrorCode::kFailedPrecondition) {
      err << "db copy: refusing --to " << target << ": " << e.message
          << "; it was left unchanged (name a new, empty database)\n";
    } else {
      err << "db copy: copying " << source << " to " << target
          << " failed; nothing was copied: " << e.message << "\n";
    }
    return 1;
  }
  out << "copied " << source << " to " << target << "\n";
  for (const auto& [table, rows] : copied->rows) {
    out << "  " << std::left << std::setw(20) << table << std::right << std::setw(12) << rows
        << "\n";
  }
  out << "  " << std::left << std::setw(20) << "total" << std::right << std::setw(12)
      << copied->total_rows << "\n";
  const auto audit = copied->rows.find("audit_log");
  return CheckCopy(to, target, audit == copied->rows.end() ? 0 : audit->second, out, err);
}

}  // namespace

bool IsDbCommand(int argc, char** argv) {
  return argc >= 2 && argv[1] != nullptr && std::string(argv[1]) == "db";
}

int RunDbCommand(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 2; i < argc && i < 64; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  return RunDbCommand(args, std::cout, std::cerr);
}

int RunDbCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    out << kUsage;
    return 0;
  }
  if (args.empty() || args[0] != "copy") {
    if (!args.empty()) err << "db: unknown subcommand '" << Named(args[0]).substr(0, 64) << "'\n";
    err << kUsage;
    return 2;
  }
  return RunCopy(args, out, err);
}

}  // namespace billing
