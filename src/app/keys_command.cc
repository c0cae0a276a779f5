#include "app/keys_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "auth/authenticator.h"
#include "auth/key_store.h"
#include "billing/rules.h"
#include "store/backend.h"
#include "common/clock.h"

namespace billing {

bool IsKeysCommand(int argc, char** argv) { return argc >= 2 && std::string(argv[1]) == "keys"; }

int RunKeysCommand(int argc, char** argv) {
  std::string db_path = "./data/billing.db";
  if (const char* v = std::getenv("BILLING_DB"); v != nullptr && *v != '\0') db_path = v;
  std::string scopes_text, name, prefix, customer;

  CLI::App app{"billing-agent keys: manage API keys (only their hashes are stored)"};
  app.add_option("--db", db_path, "SQLite database file or postgres:// URL (env BILLING_DB)");
  app.require_subcommand(1);
  app.fallthrough();
  CLI::App* create = app.add_subcommand("create", "Create a key; it is printed once");
  create->add_option("--scopes", scopes_text, "read,invoice,payment,refund,act_on_behalf,admin")->required();
  create->add_option("--name", name, "A label for the key (≤ 200 bytes)");
  create->add_option("--customer", customer,
                     "Bind the key to one customer (CUST-001): it sees and changes that "
                     "customer's records only");
  CLI::App* list = app.add_subcommand("list", "List keys (prefix, name, scopes, created, revoked)");
  CLI::App* revoke = app.add_subcommand("revoke", "Revoke a key by its prefix (bk_1a2b3c4d)");
  revoke->add_option("prefix", prefix, "The key's prefix, as keys list shows it")->required();
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto store = OpenApiKeyStore(BackendOptions{db_path, 2});
  if (!store.ok()) {
    std::cerr << "cannot open database " << DescribeBackend(BackendOptions{db_path}) << ": "
              << store.error().message << "\n";
    return 1;
  }
  SystemClock clock;
  if (create->parsed()) {
    Result<ScopeSet> scopes = ParseScopeList(scopes_text, /*strict=*/true);
    if (!scopes.ok()) {
      std::cerr << scopes.error().message << "\n";
      return 2;
    }
    if (!customer.empty()) {
      // The customer must exist: a key bound to no one would see nothing, silently.
      auto ledger = OpenStore(BackendOptions{db_path, 2});
      if (!ledger.ok()) {
        std::cerr << "cannot open the ledger: " << ledger.error().message << "\n";
        return 1;
      }
      customer = CanonicalId(customer);
      bool exists = false;
      Status read = ledger.value()->Read([&](StoreTx& tx) -> Status {
        BILLING_ASSIGN_OR_RETURN(std::optional<Customer> c, tx.FindCustomer(customer));
        exists = c.has_value();
        return OkStatus();
      });
      if (!read.ok()) {
        std::cerr << "cannot read customers: " << read.error().message << "\n";
        return 1;
      }
      if (!exists) {
        std::cerr << "--customer: no customer " << customer << "\n";
        return 2;
      }
    }
    Result<CreatedApiKey> created =
        CreateApiKey(*store.value(), name, *scopes, clock.NowIso8601(), customer);
    if (!created.ok()) {
      std::cerr << "cannot create the key: " << created.error().message << "\n";
      return 1;
    }
    std::cout << created->key << std::endl;
    std::cerr << "created API key " << created->record.prefix << " (scopes "
              << FormatScopes(created->record.scopes)
              << (customer.empty() ? std::string() : ", bound to " + customer) << ") in " << DescribeBackend(BackendOptions{db_path})
              << "; store it now: it is not shown again\n";
    return 0;
  }
  if (list->parsed()) {
    Result<std::vector<StoredApiKey>> keys = store.value()->List();
    if (!keys.ok()) {
      std::cerr << "cannot list keys: " << keys.error().message << "\n";
      return 1;
    }
    std::printf("%-13s %-24s %-32s %-10s %-26s %s\n", "PREFIX", "NAME", "SCOPES", "CUSTOMER",
                "CREATED", "REVOKED");
    for (const StoredApiKey& k : *keys) {
      std::printf("%-13s %-24s %-32s %-10s %-26s %s\n", k.prefix.c_str(), k.name.c_str(),
                  FormatScopes(k.scopes).c_str(), k.customer_id.empty() ? "-" : k.customer_id.c_str(),
                  k.created_at.c_str(), k.revoked_at.empty() ? "-" : k.revoked_at.c_str());
    }
    return 0;
  }
  if (revoke->parsed()) {
    Status s = store.value()->Revoke(prefix, clock.NowIso8601());
    if (!s.ok()) {
      std::cerr << "cannot revoke " << prefix << ": " << s.error().message << "\n";
      return 1;
    }
    std::cerr << "revoked API key " << prefix << "\n";
    return 0;
  }
  return 2;
}

}  // namespace billing
