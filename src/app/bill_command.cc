#include "app/bill_command.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "app/config.h"
#include "app/email_config.h"
#include "billing/service.h"
#include "common/clock.h"
#include "store/backend.h"
#include "tools/billing_tool.h"

namespace billing {
namespace {

constexpr char kUsage[] = "usage: billing-agent bill [--db PATH|URL] [--as-of YYYY-MM-DD]\n";

}  // namespace

Result<BillingOptions> BillingOptionsFromEnv() {
  BillingOptions options;
  // The default tax rate (BILLING_TAX_RATE_BP, 0..10000 basis points).
  if (const char* v = std::getenv("BILLING_TAX_RATE_BP"); v != nullptr && *v != '\0') {
    const std::string text(v);
    int rate = -1;
    auto [ptr, errc] = std::from_chars(text.data(), text.data() + text.size(), rate);
    if (errc != std::errc() || ptr != text.data() + text.size() || rate < 0 || rate > 10000) {
      return Error::Invalid("BILLING_TAX_RATE_BP",
                            "BILLING_TAX_RATE_BP must be an integer between 0 and 10000");
    }
    options.default_tax_rate_bp = rate;
  }
  // The collection settings (README "Configuration").
  if (const char* v = std::getenv("BILLING_RETRY_DAYS"); v != nullptr && *v != '\0') {
    BILLING_ASSIGN_OR_RETURN(options.retry_days, ParseRetryDays(v));
  }
  if (const char* v = std::getenv("BILLING_DUNNING"); v != nullptr && *v != '\0') {
    BILLING_ASSIGN_OR_RETURN(options.dunning, ParseDunning(v));
  }
  if (const char* v = std::getenv("BILLING_DRAFT_HOURS"); v != nullptr && *v != '\0') {
    BILLING_ASSIGN_OR_RETURN(options.draft_hours, ParseDraftHours(v));
  }
  if (const char* v = std::getenv("BILLING_PAYMENT_MODE"); v != nullptr && *v != '\0') {
    const std::string mode(v);
    if (mode == "approve") {
      options.processor_mode = ProcessorMode::kAlwaysApprove;
    } else if (mode == "decline") {
      options.processor_mode = ProcessorMode::kAlwaysDecline;
    } else if (mode != "random") {
      return Error::Invalid("BILLING_PAYMENT_MODE",
                            "BILLING_PAYMENT_MODE must be random, approve or decline");
    }
  }
  // Hosts webhook endpoints may reach over http:// and on private addresses (docs/webhooks.md).
  if (const char* v = std::getenv("BILLING_WEBHOOK_ALLOW_HOSTS"); v != nullptr) {
    options.webhook_allow_hosts = ParseHostList(v);
  }
  // Email: a command's changes write their messages too, which a server's worker sends.
  BILLING_ASSIGN_OR_RETURN(SmtpSettings smtp, SmtpSettingsFromEnv());
  BILLING_TRY(ApplyEmailOptions(smtp, &options));
  return options;
}

bool IsBillCommand(int argc, char** argv) {
  return argc >= 2 && argv[1] != nullptr && std::string(argv[1]) == "bill";
}

int RunBillCommand(int argc, char** argv) {
  std::string db_path = "./data/billing.db";
  if (const char* v = std::getenv("BILLING_DB"); v != nullptr && *v != '\0') db_path = v;
  std::vector<std::string> args;
  for (int i = 2; i < argc && i < 64; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  return RunBillCommand(db_path, args, std::cout, std::cerr);
}

int RunBillCommand(const std::string& db_path, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err) {
  std::string db = db_path;
  std::string as_of_text;
  for (size_t i = 0; i < args.size(); i += 2) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) {
      err << "bill: " << flag << " needs a value\n" << kUsage;
      return 2;
    }
    if (flag == "--db") {
      db = args[i + 1];
    } else if (flag == "--as-of") {
      as_of_text = args[i + 1];
    } else {
      err << "bill: unknown option " << flag << "\n" << kUsage;
      return 2;
    }
  }
  // The clock as the server's: BILLING_TODAY pins today (demos, tests).
  std::unique_ptr<Clock> clock = std::make_unique<SystemClock>();
  if (const char* v = std::getenv("BILLING_TODAY"); v != nullptr && *v != '\0') {
    Date today;
    if (!Date::Parse(v, &today)) {
      err << "bill: BILLING_TODAY must be YYYY-MM-DD\n";
      return 2;
    }
    clock = std::make_unique<ShiftedClock>(today);
  }
  Date as_of = clock->TodayUtc();
  if (!as_of_text.empty() && !Date::Parse(as_of_text, &as_of)) {
    err << "bill: --as-of must be a date YYYY-MM-DD, got '" << as_of_text.substr(0, 32) << "'\n";
    return 2;
  }
  std::error_code ec;
  if (db.empty() || (!IsPostgresDb(db) && !std::filesystem::exists(db, ec))) {
    err << "bill: no database at '" << db << "'\n";
    return 2;
  }
  auto store = OpenStore(BackendOptions{db, 2});
  if (!store.ok()) {
    err << "bill: cannot open " << DescribeBackend(BackendOptions{db}) << ": "
        << store.error().message << "\n";
    return 2;
  }
  CsprngSource ids, processor;
  auto options = BillingOptionsFromEnv();
  if (!options.ok()) {
    err << "bill: " << options.error().message << "\n";
    return 2;
  }
  BillingService service(*store.value(), *clock, ids, processor, *options);
  auto report = service.RunBilling(as_of, Actor("billing-run"));
  if (!report.ok()) {
    err << "bill: the run stopped: " << report.error().message
        << " (what it committed stays; run it again)\n";
    return 1;
  }
  out << BillingRunJson(*report).dump(2) << "\n";
  return 0;
}

}  // namespace billing
