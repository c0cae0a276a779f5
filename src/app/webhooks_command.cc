// `billing-agent webhooks ...`; see webhooks_command.h.
#include "app/webhooks_command.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "app/bill_command.h"
#include "app/data_keys.h"
#include "store/backend.h"

namespace billing {
namespace {

using nlohmann::json;

constexpr char kUsage[] =
    "usage: billing-agent webhooks create --url URL [--events a,b|*] [--description TEXT]\n"
    "       billing-agent webhooks list\n"
    "       billing-agent webhooks show|delete|rotate-secret|deliveries we_ID\n"
    "       billing-agent webhooks update we_ID [--url URL] [--events ...] [--description ...]\n"
    "                                          [--disabled true|false]\n"
    "       billing-agent webhooks resend whd_N\n"
    "every subcommand takes [--db PATH|URL]\n";

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

json EndpointJson(const WebhookEndpoint& e) {
  return {{"id", e.id},
          {"url", e.url},
          {"description", e.description},
          {"enabledEvents", EnabledEventTypes(e)},
          {"status", e.status},
          {"failingSince", e.failing_since},
          {"createdAt", e.created_at}};
}

json DeliveryJson(const WebhookDelivery& d) {
  return {{"id", "whd_" + std::to_string(d.seq)},
          {"eventId", d.event_id},
          {"eventType", d.event_type},
          {"status", d.status},
          {"attempts", d.attempts},
          {"lastStatus", d.last_status},
          {"lastError", d.last_error}};
}

}  // namespace

bool IsWebhooksCommand(int argc, char** argv) {
  return argc >= 2 && argv[1] != nullptr && std::string(argv[1]) == "webhooks";
}

int RunWebhooksCommand(int argc, char** argv) {
  std::string db_path = "./data/billing.db";
  if (const char* v = std::getenv("BILLING_DB"); v != nullptr && *v != '\0') db_path = v;
  std::vector<std::string> args;
  for (int i = 2; i < argc && i < 64; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  return RunWebhooksCommand(db_path, args, std::cout, std::cerr);
}

int RunWebhooksCommand(const std::string& db_path, const std::vector<std::string>& args,
                       std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& action = args[0];
  const bool by_id = action == "show" || action == "delete" || action == "rotate-secret" ||
                     action == "deliveries" || action == "update" || action == "resend";
  if (action != "create" && action != "list" && !by_id) {
    err << "webhooks: unknown subcommand '" << action.substr(0, 32) << "'\n" << kUsage;
    return 2;
  }
  std::string id;
  size_t i = 1;
  if (by_id) {
    if (args.size() < 2 || args[1].rfind("--", 0) == 0) {
      err << "webhooks " << action << ": give the id\n" << kUsage;
      return 2;
    }
    id = args[1];
    i = 2;
  }
  std::string db = db_path;
  std::optional<std::string> url, events, description, disabled;
  for (; i < args.size(); i += 2) {
    const std::string& flag = args[i];
    if (i + 1 >= args.size()) {
      err << "webhooks: " << flag << " needs a value\n" << kUsage;
      return 2;
    }
    const std::string& value = args[i + 1];
    const bool settable = action == "create" || action == "update";
    if (flag == "--db") {
      db = value;
    } else if (flag == "--url" && settable) {
      url = value;
    } else if (flag == "--events" && settable) {
      events = value;
    } else if (flag == "--description" && settable) {
      description = value;
    } else if (flag == "--disabled" && action == "update" &&
               (value == "true" || value == "false")) {
      disabled = value;
    } else {
      err << "webhooks " << action << ": unknown option " << flag.substr(0, 32) << "\n" << kUsage;
      return 2;
    }
  }
  if (action == "create" && !url) {
    err << "webhooks create: --url is required\n" << kUsage;
    return 2;
  }
  std::error_code ec;
  if (db.empty() || (!IsPostgresDb(db) && !std::filesystem::exists(db, ec))) {
    err << "webhooks: no database at '" << db << "'\n";
    return 2;
  }
  auto store = OpenStore(BackendOptions{db, 2});
  if (!store.ok()) {
    err << "webhooks: cannot open " << DescribeBackend(BackendOptions{db}) << ": "
        << store.error().message << "\n";
    return 2;
  }
  auto options = BillingOptionsFromEnv();
  if (!options.ok()) {
    err << "webhooks: " << options.error().message << "\n";
    return 2;
  }
  // The server's data keys: the secrets are sealed with them.
  auto cipher = LoadDataKeys(DataKeySourceFromEnv(DataKeyBase(db)));
  if (!cipher.ok()) {
    err << "webhooks: cannot load the data keys: " << cipher.error().message << "\n";
    return 2;
  }
  SystemClock clock;
  CsprngSource ids, processor;
  BillingService service(*store.value(), clock, ids, processor, *options);
  service.set_data_cipher(&cipher.value());
  const Actor actor("cli");

  Result<json> result = [&]() -> Result<json> {
    if (action == "create") {
      NewWebhookEndpoint req;
      req.url = *url;
      if (events) req.events = Split(*events);
      if (description) req.description = *description;
      req.actor = actor;
      BILLING_ASSIGN_OR_RETURN(WebhookEndpointSecret made, service.CreateWebhookEndpoint(req));
      json j = EndpointJson(made.endpoint);
      j["secret"] = made.secret;
      return j;
    }
    if (action == "list") {
      BILLING_ASSIGN_OR_RETURN(std::vector<WebhookEndpoint> all, service.ListWebhookEndpoints());
      json j = json::array();
      for (const WebhookEndpoint& e : all) j.push_back(EndpointJson(e));
      return j;
    }
    if (action == "show") {
      BILLING_ASSIGN_OR_RETURN(WebhookEndpoint e, service.GetWebhookEndpoint(id));
      return EndpointJson(e);
    }
    if (action == "update") {
      WebhookEndpointUpdate u;
      u.url = url;
      u.description = description;
      if (events) u.events = Split(*events);
      if (disabled) u.enabled = *disabled == "false";
      u.actor = actor;
      BILLING_ASSIGN_OR_RETURN(WebhookEndpoint e, service.UpdateWebhookEndpoint(id, u));
      return EndpointJson(e);
    }
    if (action == "delete") {
      BILLING_ASSIGN_OR_RETURN(WebhookEndpoint e, service.DeleteWebhookEndpoint(id, actor));
      json j = EndpointJson(e);
      j["deleted"] = true;
      return j;
    }
    if (action == "rotate-secret") {
      BILLING_ASSIGN_OR_RETURN(WebhookEndpointSecret made, service.RotateWebhookSecret(id, actor));
      json j = EndpointJson(made.endpoint);
      j["secret"] = made.secret;
      return j;
    }
    if (action == "deliveries") {
      BILLING_ASSIGN_OR_RETURN(std::vector<WebhookDelivery> rows,
                               service.WebhookDeliveries(id, 0, 100));
      json j = json::array();
      for (const WebhookDelivery& d : rows) j.push_back(DeliveryJson(d));
      return j;
    }
    // resend whd_N
    const int64_t seq = id.rfind("whd_", 0) == 0 ? std::atoll(id.c_str() + 4) : 0;
    if (seq <= 0) return Error::Invalid("deliveryId", "a delivery id is whd_<number>");
    BILLING_ASSIGN_OR_RETURN(WebhookDelivery d, service.ResendWebhookDelivery(seq));
    return DeliveryJson(d);
  }();
  if (!result.ok()) {
    err << "webhooks " << action << ": " << result.error().message << "\n";
    return 1;
  }
  out << result->dump(2) << "\n";
  return 0;
}

}  // namespace billing
