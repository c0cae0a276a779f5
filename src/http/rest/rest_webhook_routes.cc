// REST v1 routes of webhooks (docs/webhooks.md): endpoints (create, retrieve, update, delete,
// list, rotate-secret), their deliveries and attempts, and re-sending one; and the email outbox
// (docs/email.md): list, retrieve, re-send. No tool runs these:
// they call BillingService directly, with their body schema and the `webhooks` scope in the
// route (rest_api.h).
#include "http/rest/rest_api.h"

namespace billing::http::rest {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

json OrNull(const std::string& s) {
  return s.empty() ? json() : json(s);
}

json EndpointJson(const WebhookEndpoint& e) {
  return {{"id", e.id},
          {"url", e.url},
          {"description", e.description},
          {"enabledEvents", EnabledEventTypes(e)},
          {"status", e.status},
          {"failingSince", OrNull(e.failing_since)},
          {"previousSecretUntil", OrNull(e.previous_secret_until)},
          {"createdAt", e.created_at},
          {"updatedAt", e.updated_at}};
}

json DeliveryJson(const WebhookDelivery& d) {
  return {{"id", "whd_" + std::to_string(d.seq)},
          {"eventId", d.event_id},
          {"eventType", d.event_type},
          {"endpointId", d.endpoint_id},
          {"status", d.status},
          {"attempts", d.attempts},
          {"nextAttemptAt", d.status == "pending" ? json(d.next_attempt_at) : json()},
          {"createdAt", d.created_at},
          {"deliveredAt", OrNull(d.delivered_at)},
          {"lastStatus", d.last_status == 0 ? json() : json(d.last_status)},
          {"lastError", OrNull(d.last_error)}};
}

// ("whd_12", "whd_") -> 12; 0 when `id` is not `prefix` and a number below 10^18.
int64_t SeqOf(const std::string& id, std::string_view prefix) {
  if (id.rfind(prefix, 0) != 0 || id.size() <= prefix.size() || id.size() > prefix.size() + 18)
    return 0;
  int64_t n = 0;
  for (size_t i = prefix.size(); i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return 0;
    n = n * 10 + (id[i] - '0');
  }
  return n;
}

int64_t DeliverySeq(const std::string& id) {
  return SeqOf(id, "whd_");
}

Result<int64_t> RequireDeliverySeq(const std::string& id) {
  const int64_t seq = DeliverySeq(id);
  if (seq <= 0) return Error::NotFound("Webhook delivery " + id + " not found", "deliveryId");
  return seq;
}

std::vector<std::string> Events(const json& body) {
  std::vector<std::string> out;
  for (const json& t : body["enabledEvents"]) out.push_back(t.get<std::string>());
  return out;
}

Actor ActorOf(const RestCall& call) {
  return call.context.actor;
}

const char* kEndpointBody = R"json({
  "type": "object",
  "properties": {
    "url": {"type": "string", "minLength": 1, "maxLength": 2048, "description": "https:// (http:// only to a host in BILLING_WEBHOOK_ALLOW_HOSTS)"},
    "description": {"type": "string", "maxLength": 500},
    "enabledEvents": {"type": "array", "minItems": 1, "maxItems": 64, "items": {"type": "string", "maxLength": 64}, "description": "[\"*\"] or event types (docs/events.md)"},
    "disabled": {"type": "boolean", "description": "update: stop (true) or resume (false) deliveries"}
  },
  "additionalProperties": false
})json";

const char* kEmptyBody = R"({"type": "object", "properties": {}, "additionalProperties": false})";

void AddEndpointRoutes(std::vector<RestRoute>& routes) {
  const json endpoint_body = json::parse(kEndpointBody);
  const json empty_body = json::parse(kEmptyBody);
  RestRoute create{bhttp::verb::post,
                   "/api/v1/webhook-endpoints",
                   "createWebhookEndpoint",
                   "Create a webhook endpoint; its signing secret (whsec_...) is shown once",
                   "Webhooks",
                   "webhook_endpoint"};
  create.direct = [](RestCall& call, const json& body) -> Result<json> {
    if (!body.contains("url")) return Error::Invalid("url", "url is required");
    if (body.contains("disabled")) {
      return Error::Invalid("disabled", "a new endpoint is enabled; disable it with an update");
    }
    NewWebhookEndpoint req;
    req.url = body["url"];
    req.description = body.value("description", "");
    if (body.contains("enabledEvents")) req.events = Events(body);
    req.actor = ActorOf(call);
    req.request_id = call.context.request_id;
    BILLING_ASSIGN_OR_RETURN(WebhookEndpointSecret made, call.service.CreateWebhookEndpoint(req));
    json out = EndpointJson(made.endpoint);
    out["secret"] = made.secret;
    return out;
  };
  create.body_schema = endpoint_body;
  create.scope = Scope::kWebhooks;
  routes.push_back(std::move(create));

  RestRoute retrieve{bhttp::verb::get,
                     "/api/v1/webhook-endpoints/{id}",
                     "retrieveWebhookEndpoint",
                     "Retrieve a webhook endpoint (never its secret)",
                     "Webhooks",
                     "webhook_endpoint"};
  retrieve.read = [](RestCall& call) -> Result<json> {
    BILLING_ASSIGN_OR_RETURN(WebhookEndpoint e,
                             call.service.GetWebhookEndpoint(call.path_params[0]));
    return EndpointJson(e);
  };
  retrieve.scope = Scope::kWebhooks;
  routes.push_back(std::move(retrieve));

  RestRoute update{bhttp::verb::post,
                   "/api/v1/webhook-endpoints/{id}",
                   "updateWebhookEndpoint",
                   "Change an endpoint's URL, description or events, or disable or resume it "
                   "(POST or PATCH)",
                   "Webhooks",
                   "webhook_endpoint"};
  update.direct = [](RestCall& call, const json& body) -> Result<json> {
    WebhookEndpointUpdate u;
    if (body.contains("url")) u.url = body["url"].get<std::string>();
    if (body.contains("description")) u.description = body["description"].get<std::string>();
    if (body.contains("enabledEvents")) u.events = Events(body);
    if (body.contains("disabled")) u.enabled = !body["disabled"].get<bool>();
    u.actor = ActorOf(call);
    u.request_id = call.context.request_id;
    BILLING_ASSIGN_OR_RETURN(WebhookEndpoint e,
                             call.service.UpdateWebhookEndpoint(call.path_params[0], u));
    return EndpointJson(e);
  };
  update.body_schema = endpoint_body;
  update.scope = Scope::kWebhooks;
  routes.push_back(std::move(update));

  RestRoute remove{bhttp::verb::delete_,
                   "/api/v1/webhook-endpoints/{id}",
                   "deleteWebhookEndpoint",
                   "Delete an endpoint; its pending deliveries are failed",
                   "Webhooks",
                   "webhook_endpoint"};
  remove.direct = [](RestCall& call, const json&) -> Result<json> {
    BILLING_ASSIGN_OR_RETURN(WebhookEndpoint e,
                             call.service.DeleteWebhookEndpoint(call.path_params[0], ActorOf(call),
                                                                call.context.request_id));
    json out = EndpointJson(e);
    out["deleted"] = true;
    return out;
  };
  remove.body_schema = empty_body;
  remove.scope = Scope::kWebhooks;
  routes.push_back(std::move(remove));

  RestRoute list{bhttp::verb::get,
                 "/api/v1/webhook-endpoints",
                 "listWebhookEndpoints",
                 "List webhook endpoints (at most 16)",
                 "Webhooks",
                 "webhook_endpoint",
                 true};
  list.read = [](RestCall& call) -> Result<json> {
    BILLING_ASSIGN_OR_RETURN(std::vector<WebhookEndpoint> all, call.service.ListWebhookEndpoints());
    json out = json::array();
    bool after = call.page.starting_after.empty();
    for (const WebhookEndpoint& e : all) {
      if (after && int(out.size()) < call.page.limit) out.push_back(EndpointJson(e));
      if (e.id == call.page.starting_after) after = true;
    }
    if (!after) return Error::Invalid("startingAfter", "startingAfter names no webhook endpoint");
    return out;
  };
  list.scope = Scope::kWebhooks;
  routes.push_back(std::move(list));

  RestRoute rotate{bhttp::verb::post,
                   "/api/v1/webhook-endpoints/{id}/rotate-secret",
                   "rotateWebhookSecret",
                   "A new signing secret (shown once); the old one also signs for 24 hours",
                   "Webhooks",
                   "webhook_endpoint"};
  rotate.direct = [](RestCall& call, const json&) -> Result<json> {
    BILLING_ASSIGN_OR_RETURN(WebhookEndpointSecret made,
                             call.service.RotateWebhookSecret(call.path_params[0], ActorOf(call),
                                                              call.context.request_id));
    json out = EndpointJson(made.endpoint);
    out["secret"] = made.secret;
    return out;
  };
  rotate.body_schema = empty_body;
  rotate.scope = Scope::kWebhooks;
  routes.push_back(std::move(rotate));
}

void AddDeliveryRoutes(std::vector<RestRoute>& routes) {
  RestRoute list{bhttp::verb::get,
                 "/api/v1/webhook-endpoints/{id}/deliveries",
                 "listWebhookDeliveries",
                 "An endpoint's deliveries, newest first",
                 "Webhooks",
                 "webhook_delivery",
                 true};
  list.read = [](RestCall& call) -> Result<json> {
    int64_t before = 0;
    if (!call.page.starting_after.empty()) {
      before = DeliverySeq(call.page.starting_after);
      if (before <= 0) return Error::Invalid("startingAfter", "startingAfter must be a whd_ id");
    }
    BILLING_ASSIGN_OR_RETURN(
        std::vector<WebhookDelivery> rows,
        call.service.WebhookDeliveries(call.path_params[0], before, call.page.limit));
    json out = json::array();
    for (const WebhookDelivery& d : rows) out.push_back(DeliveryJson(d));
    return out;
  };
  list.scope = Scope::kWebhooks;
  routes.push_back(std::move(list));

  RestRoute retrieve{bhttp::verb::get,
                     "/api/v1/webhook-deliveries/{id}",
                     "retrieveWebhookDelivery",
                     "A delivery with every attempt (time, status, latency, error)",
                     "Webhooks",
                     "webhook_delivery"};
  retrieve.read = [](RestCall& call) -> Result<json> {
    BILLING_ASSIGN_OR_RETURN(int64_t seq, RequireDeliverySeq(call.path_params[0]));
    BILLING_ASSIGN_OR_RETURN(WebhookDelivery d, call.service.GetWebhookDelivery(seq));
    BILLING_ASSIGN_OR_RETURN(std::vector<WebhookAttempt> attempts,
                             call.service.WebhookAttempts(seq));
    json out = DeliveryJson(d);
    json list = json::array();
    for (const WebhookAttempt& a : attempts) {
      list.push_back({{"attempt", a.attempt},
                      {"at", a.at},
                      {"status", a.status == 0 ? json() : json(a.status)},
                      {"latencyMs", a.latency_ms},
                      {"error", OrNull(a.error)}});
    }
    out["attemptLog"] = std::move(list);
    return out;
  };
  retrieve.scope = Scope::kWebhooks;
  routes.push_back(std::move(retrieve));

  RestRoute resend{bhttp::verb::post,
                   "/api/v1/webhook-deliveries/{id}/resend",
                   "resendWebhookDelivery",
                   "Send a delivery again now (same event id)",
                   "Webhooks",
                   "webhook_delivery"};
  resend.direct = [](RestCall& call, const json&) -> Result<json> {
    BILLING_ASSIGN_OR_RETURN(int64_t seq, RequireDeliverySeq(call.path_params[0]));
    BILLING_ASSIGN_OR_RETURN(WebhookDelivery d, call.service.ResendWebhookDelivery(seq));
    return DeliveryJson(d);
  };
  resend.body_schema = json::parse(kEmptyBody);
  resend.scope = Scope::kWebhooks;
  routes.push_back(std::move(resend));
}

json EmailJson(const OutboxEmail& m, bool with_bodies) {
  json out = {{"id", "eml_" + std::to_string(m.seq)},
              {"eventId", m.event_id},
              {"kind", m.kind},
              {"customerId", m.customer_id},
              {"to", m.to_address},
              {"locale", m.locale},
              {"subject", m.subject},
              {"status", m.status},
              {"attempts", m.attempts},
              {"nextAttemptAt", m.status == "pending" ? json(m.next_attempt_at) : json()},
              {"createdAt", m.created_at},
              {"sentAt", OrNull(m.sent_at)},
              {"lastError", OrNull(m.last_error)}};
  if (with_bodies) {
    out["text"] = m.text_body;
    out["html"] = m.html_body;
  }
  return out;
}

int64_t EmailSeq(const std::string& id) {
  return SeqOf(id, "eml_");
}

Result<int64_t> RequireEmailSeq(const std::string& id) {
  const int64_t seq = EmailSeq(id);
  if (seq <= 0) return Error::NotFound("Email " + id + " not found", "emailId");
  return seq;
}

// The email outbox (docs/email.md): what was written to whom, and its sending.
void AddEmailRoutes(std::vector<RestRoute>& routes) {
  RestRoute list{
      bhttp::verb::get, "/api/v1/emails", "listEmails", "Emails of the outbox, newest first",
      "Email",          "email",          true};
  list.query = {{"customer", "Only this customer's (CUST-001)", {}}};
  list.read = [](RestCall& call) -> Result<json> {
    int64_t before = 0;
    if (!call.page.starting_after.empty()) {
      before = EmailSeq(call.page.starting_after);
      if (before <= 0) return Error::Invalid("startingAfter", "startingAfter must be an eml_ id");
    }
    BILLING_ASSIGN_OR_RETURN(std::vector<OutboxEmail> rows,
                             call.service.ListEmails(call.query.value("customer", std::string()),
                                                     before, call.page.limit));
    json out = json::array();
    for (const OutboxEmail& m : rows) out.push_back(EmailJson(m, false));
    return out;
  };
  list.scope = Scope::kWebhooks;
  routes.push_back(std::move(list));

  RestRoute retrieve{bhttp::verb::get, "/api/v1/emails/{id}",
                     "retrieveEmail",  "An email with its text and HTML bodies",
                     "Email",          "email"};
  retrieve.read = [](RestCall& call) -> Result<json> {
    BILLING_ASSIGN_OR_RETURN(int64_t seq, RequireEmailSeq(call.path_params[0]));
    BILLING_ASSIGN_OR_RETURN(OutboxEmail m, call.service.GetEmail(seq));
    return EmailJson(m, true);
  };
  retrieve.scope = Scope::kWebhooks;
  routes.push_back(std::move(retrieve));

  RestRoute resend{bhttp::verb::post, "/api/v1/emails/{id}/resend",
                   "resendEmail",     "Send an email again now (same Message-ID)",
                   "Email",           "email"};
  resend.direct = [](RestCall& call, const json&) -> Result<json> {
    BILLING_ASSIGN_OR_RETURN(int64_t seq, RequireEmailSeq(call.path_params[0]));
    BILLING_ASSIGN_OR_RETURN(OutboxEmail m, call.service.ResendEmail(seq));
    return EmailJson(m, false);
  };
  resend.body_schema = json::parse(kEmptyBody);
  resend.scope = Scope::kWebhooks;
  routes.push_back(std::move(resend));
}

}  // namespace

void AddWebhookRoutes(std::vector<RestRoute>& routes) {
  AddEndpointRoutes(routes);
  AddDeliveryRoutes(routes);
  AddEmailRoutes(routes);
}

}  // namespace billing::http::rest
