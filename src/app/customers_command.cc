// `billing-agent customers ...`; see customers_command.h.
#include "app/customers_command.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "app/bill_command.h"
#include "store/backend.h"
#include "tools/billing_tool.h"
#include "tools/tool.h"

namespace billing {
namespace {

constexpr char kUsage[] =
    "usage: billing-agent customers create --company NAME --email ADDRESS [fields] [--db "
    "PATH|URL]\n"
    "       billing-agent customers update CUST-ID [fields] [--db PATH|URL]\n"
    "       billing-agent customers suspend|reinstate|show CUST-ID [--db PATH|URL]\n"
    "fields: --company --email --contact --billing-cycle --payment-method --currency --locale\n"
    "        --tax-rate --payment-terms-days\n";

// Command-line flag -> the tool's field.
struct Flag {
  const char* flag;
  const char* field;
};
constexpr Flag kFlags[] = {{"--company", "company"},
                           {"--email", "email"},
                           {"--contact", "contactName"},
                           {"--billing-cycle", "billingCycle"},
                           {"--payment-method", "paymentMethod"},
                           {"--currency", "currency"},
                           {"--locale", "locale"},
                           {"--tax-rate", "taxRate"},
                           {"--payment-terms-days", "paymentTermsDays"}};

// `text` as valid UTF-8: bytes that are not become U+FFFD (a shell passes bytes, JSON holds text).
std::string AsUtf8(const std::string& text) {
  const std::string quoted =
      nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

}  // namespace

bool IsCustomersCommand(int argc, char** argv) {
  return argc >= 2 && argv[1] != nullptr && std::string(argv[1]) == "customers";
}

int RunCustomersCommand(int argc, char** argv) {
  std::string db_path = "./data/billing.db";
  if (const char* v = std::getenv("BILLING_DB"); v != nullptr && *v != '\0') db_path = v;
  std::vector<std::string> args;
  for (int i = 2; i < argc && i < 64; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  return RunCustomersCommand(db_path, args, std::cout, std::cerr);
}

int RunCustomersCommand(const std::string& db_path, const std::vector<std::string>& args,
                        std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& action = args[0];
  const bool by_id =
      action == "update" || action == "suspend" || action == "reinstate" || action == "show";
  if (action != "create" && !by_id) {
    err << "customers: unknown subcommand '" << action.substr(0, 32) << "'\n" << kUsage;
    return 2;
  }
  nlohmann::json input = {{"action", action}};
  size_t i = 1;
  if (by_id) {
    if (args.size() < 2 || args[1].rfind("--", 0) == 0) {
      err << "customers " << action << ": give the customer id (e.g. CUST-007)\n" << kUsage;
      return 2;
    }
    input["customerId"] = AsUtf8(args[1]);
    i = 2;
  }
  std::string db = db_path;
  for (; i < args.size(); i += 2) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) {
      err << "customers: " << flag << " needs a value\n" << kUsage;
      return 2;
    }
    const std::string& value = args[i + 1];
    if (flag == "--db") {
      db = value;
      continue;
    }
    const Flag* known = nullptr;
    for (const Flag& f : kFlags) {
      if (flag == f.flag) known = &f;
    }
    if (known == nullptr || action == "suspend" || action == "reinstate" || action == "show") {
      err << "customers " << action << ": unknown option " << flag.substr(0, 32) << "\n" << kUsage;
      return 2;
    }
    if (std::string(known->field) == "paymentTermsDays") {
      char* end = nullptr;
      const long days = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || days < 1 || days > 365) {
        err << "customers: --payment-terms-days must be a whole number of days from 1 to 365\n";
        return 2;
      }
      input[known->field] = days;
    } else {
      input[known->field] = AsUtf8(value);
    }
  }
  std::error_code ec;
  if (db.empty() || (!IsPostgresDb(db) && !std::filesystem::exists(db, ec))) {
    err << "customers: no database at '" << db << "'\n";
    return 2;
  }
  auto store = OpenStore(BackendOptions{db, 2});
  if (!store.ok()) {
    err << "customers: cannot open " << DescribeBackend(BackendOptions{db}) << ": "
        << store.error().message << "\n";
    return 2;
  }
  auto options = BillingOptionsFromEnv();
  if (!options.ok()) {
    err << "customers: " << options.error().message << "\n";
    return 2;
  }
  SystemClock clock;
  CsprngSource ids, processor;
  BillingService service(*store.value(), clock, ids, processor, *options);
  ToolRegistry registry;
  RegisterBillingTools(registry, service);
  const Tool* tool = registry.FindById(action == "show" ? "get-customer" : "manage-customers");
  if (action == "show") input = {{"customerId", input["customerId"]}};
  ToolContext context;
  context.actor = Actor("cli");
  context.principal = "cli";
  const nlohmann::json result = tool->Execute(input, context);
  out << result.dump(2) << "\n";
  return IsToolError(result) ? 1 : 0;
}

}  // namespace billing
