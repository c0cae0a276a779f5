// The REST API v1: matching, the list envelope, errors, and the tool adapter for writes; see
// rest_api.h. The routes themselves are in rest_ledger_routes.cc and rest_catalog_routes.cc.
#include "http/rest/rest_api.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string_view>

#include <spdlog/spdlog.h>

#include "http/json_body.h"
#include "http/json_writer.h"
#include "http/url.h"
#include "tools/schema.h"

namespace billing::http::rest {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

constexpr size_t kMaxPathSegments = 8;
constexpr size_t kMaxQueryParams = 16;
constexpr size_t kMaxQueryValueBytes = 64;
constexpr std::string_view kPrefix = "/api/v1";

// The decoded segments of the path after api/v1 ("" segments dropped, as the router does), or
// nullopt when there are more than kMaxPathSegments or the path is not under api/v1.
std::optional<std::vector<std::string>> PathSegments(std::string_view target) {
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::vector<std::string> out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) {
      if (out.size() == kMaxPathSegments + 2) return std::nullopt;
      out.push_back(PercentDecode(seg, /*plus_is_space=*/false));
    }
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (out.size() < 2 || out[0] != "api" || out[1] != "v1") return std::nullopt;
  out.erase(out.begin(), out.begin() + 2);
  return out;
}

// The route's segments after /api/v1, "{...}" marking a parameter.
std::vector<std::string_view> RouteSegments(std::string_view path) {
  path.remove_prefix(kPrefix.size());
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    if (slash != 0) out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool Matches(const RestRoute& route, const std::vector<std::string>& segments,
             std::vector<std::string>* params) {
  const std::vector<std::string_view> want = RouteSegments(route.path);
  if (want.size() != segments.size()) return false;
  params->clear();
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].front() == '{') {
      if (segments[i].empty()) return false;
      params->push_back(segments[i]);
    } else if (want[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

// The query's parameters as decoded (key, value) pairs, in order; nullopt when over the bound.
std::optional<std::vector<std::pair<std::string, std::string>>> QueryPairs(
    std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    if (!part.empty()) {
      if (out.size() == kMaxQueryParams) return std::nullopt;
      const size_t eq = part.find('=');
      out.emplace_back(
          PercentDecode(part.substr(0, eq), true),
          eq == std::string_view::npos ? std::string() : PercentDecode(part.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

HttpResponse BadParam(std::string_view code, const std::string& message, std::string_view param) {
  return RestError(bhttp::status::bad_request, "invalid_request_error", code, message, param);
}

// Validates the query against the route: limit and startingAfter on lists, the route's own
// parameters, nothing else. Fills call.query and call.page.
std::optional<HttpResponse> ReadQuery(const RestRoute& route, std::string_view target,
                                      RestCall& call) {
  auto pairs = QueryPairs(target);
  if (!pairs) {
    return BadParam("parameter_invalid",
                    "at most " + std::to_string(kMaxQueryParams) + " query parameters", "");
  }
  int limit = kDefaultListLimit;
  for (const auto& [key, value] : *pairs) {
    if (call.query.contains(key)) {
      return BadParam("parameter_invalid", key + " is given twice", key);
    }
    if (route.list && key == "limit") {
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || limit < 1 ||
          limit > kMaxListLimit) {
        return BadParam("parameter_invalid",
                        "limit must be an integer from 1 to " + std::to_string(kMaxListLimit),
                        "limit");
      }
      call.query[key] = limit;
      continue;
    }
    if (route.list && key == "startingAfter") {
      if (value.empty() || value.size() > kMaxQueryValueBytes) {
        return BadParam("parameter_invalid", "startingAfter must be an id of 1 to 64 bytes",
                        "startingAfter");
      }
      call.page.starting_after = value;
      call.query[key] = value;
      continue;
    }
    const std::string& name = key;  // a structured binding cannot be captured (C++20, Clang 14)
    auto param = std::find_if(route.query.begin(), route.query.end(),
                              [&](const QueryParam& p) { return p.name == name; });
    if (param == route.query.end()) {
      std::vector<std::string> known;
      if (route.list) known = {"limit", "startingAfter"};
      for (const QueryParam& p : route.query) known.push_back(p.name);
      return BadParam(
          "parameter_unknown",
          "unknown query parameter " + key +
              (known.empty() ? "; this route takes none" : "; this route takes " + Joined(known)),
          key);
    }
    if (value.empty() || value.size() > kMaxQueryValueBytes) {
      return BadParam("parameter_invalid", key + " must be 1 to 64 bytes", key);
    }
    if (!param->values.empty() &&
        std::find(param->values.begin(), param->values.end(), value) == param->values.end()) {
      return BadParam("parameter_invalid", key + " must be one of " + Joined(param->values), key);
    }
    call.query[key] = value;
  }
  call.page.limit = limit + 1;  // one more than asked: whether there is a next page
  return std::nullopt;
}

// The v1 status and type of a tool result's error code.
struct ErrorKind {
  bhttp::status status;
  const char* type;
};
ErrorKind KindOf(std::string_view code) {
  if (code == "INVALID_ARGUMENT" || code == "AMBIGUOUS") {
    return {bhttp::status::bad_request, "invalid_request_error"};
  }
  if (code == "FAILED_PRECONDITION") {
    return {bhttp::status::unprocessable_entity, "invalid_request_error"};
  }
  if (code == "NOT_FOUND") return {bhttp::status::not_found, "not_found"};
  if (code == "CONFLICT") return {bhttp::status::conflict, "conflict"};
  if (code == "PERMISSION_DENIED") return {bhttp::status::forbidden, "auth_error"};
  if (code == "UNAUTHENTICATED") return {bhttp::status::unauthorized, "auth_error"};
  if (code == "RATE_LIMITED") return {bhttp::status::too_many_requests, "rate_limit_error"};
  if (code == "DATABASE_UNAVAILABLE" || code == "UNAVAILABLE") {
    return {bhttp::status::service_unavailable, "api_error"};
  }
  return {bhttp::status::internal_server_error, "api_error"};
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// What a customer-bound caller may reach through `route`: the one table of it. A resource not in
// it is denied.
Binding BindingOf(const RestRoute& route) {
  using Mode = Binding::Mode;
  const std::vector<std::string_view> segments = RouteSegments(route.path);
  const std::string_view resource = segments.empty() ? std::string_view() : segments[0];
  const bool has_id = segments.size() > 1;
  struct Owned {
    std::string_view resource;
    OwnedKind kind;
  };
  static constexpr Owned kOwned[] = {{"customers", OwnedKind::kCustomer},
                                     {"invoices", OwnedKind::kInvoice},
                                     {"payments", OwnedKind::kPayment},
                                     {"subscriptions", OwnedKind::kSubscription},
                                     {"credit-notes", OwnedKind::kCreditNote}};
  if (resource == "plans" || resource == "coupons") return {Mode::kAnyone};
  // The tool billing-reports binds them: a bound caller's own aging; the rest is 403.
  if (resource == "reports") return {Mode::kAnyone};
  if (resource == "refunds") {
    // Creating one names the payment in the body (the tool checks it); the list must name it.
    if (route.write) return {Mode::kAnyone};
    if (has_id) return {Mode::kPathOwned, OwnedKind::kRefund};
    return {Mode::kFilterOwned, OwnedKind::kPayment, "payment"};
  }
  for (const Owned& o : kOwned) {
    if (resource != o.resource) continue;
    if (has_id) return {Mode::kPathOwned, o.kind};
    if (route.write) return {Mode::kAnyone};  // a create: its tool action binds the body
    if (o.kind == OwnedKind::kCreditNote)
      return {Mode::kFilterOwned, OwnedKind::kInvoice, "invoice"};
    return {Mode::kCustomerFilter};
  }
  return {Mode::kDenied};
}

void Tag(json& object, const std::string& kind) {
  if (object.is_object()) object["object"] = kind;
}

}  // namespace

HttpResponse RestError(bhttp::status status, std::string_view type, std::string_view code,
                       std::string_view message, std::string_view param) {
  json error = {{"type", type}, {"code", code}, {"message", message}};
  if (!param.empty()) error["param"] = param;
  return JsonResponse(status, Dump(json{{"error", std::move(error)}}));
}

HttpResponse RestErrorFor(const Error& error) {
  const std::string code = ErrorCodeName(error.code);
  const ErrorKind kind = KindOf(code);
  if (kind.status == bhttp::status::internal_server_error) {
    spdlog::error("/api/v1: {}", error.message);
    return RestError(kind.status, kind.type, "internal", "Internal Server Error", "");
  }
  if (error.code == ErrorCode::kDatabaseUnavailable) {
    return RestError(kind.status, kind.type, "database_unavailable", "database unavailable", "");
  }
  return RestError(kind.status, kind.type, Lower(code), error.message, error.field);
}

HttpResponse AsRestError(HttpResponse response) {
  const unsigned status = response.result_int();
  if (status < 400) return response;
  json body = json::parse(response.body(), nullptr, false);
  if (!body.is_object() || !body.contains("error") || !body["error"].is_string()) return response;
  const std::string message = body["error"].get<std::string>();
  const char* type = "invalid_request_error";
  const char* code = "invalid_request";
  if (status == 401) type = "auth_error", code = "unauthenticated";
  if (status == 403) type = "auth_error", code = "permission_denied";
  if (status == 404) type = "not_found", code = "not_found";
  if (status == 405) code = "method_not_allowed";
  if (status == 409) type = "conflict", code = "conflict";
  if (status == 413) code = "body_too_large";
  if (status == 422) code = "idempotency_key_reused";
  if (status == 429) type = "rate_limit_error", code = "rate_limited";
  if (status >= 500) type = "api_error", code = status == 503 ? "unavailable" : "internal";
  json error = {{"type", type}, {"code", code}, {"message", message}};
  if (body.contains("field") && body["field"].is_string()) error["param"] = body["field"];
  response.body() = Dump(json{{"error", std::move(error)}});
  response.prepare_payload();
  return response;
}

RestApi::RestApi(BillingService& service, const ToolRegistry& tools, int default_tax_rate_bp)
    : service_(service), tools_(tools), default_tax_rate_bp_(default_tax_rate_bp) {
  AddLedgerRoutes(routes_);
  AddCatalogRoutes(routes_);
  AddWebhookRoutes(routes_);
  AddReportRoutes(routes_);
  for (RestRoute& r : routes_) {
    r.binding = BindingOf(r);
    // A write names a registered tool, a read has a reader: a broken table fails at start.
    const bool wired = r.write    ? tools_.FindById(r.write->tool_id) != nullptr
                       : r.direct ? r.scope.has_value() && r.body_schema.is_object()
                                  : bool(r.read);
    if (!wired) {
      spdlog::critical("REST route {} {} is not wired", std::string(bhttp::to_string(r.method)),
                       r.path);
      std::abort();
    }
  }
}

bool RestApi::Handles(std::string_view target) {
  if (target.substr(0, kPrefix.size()) != kPrefix) return false;
  const std::string_view rest = target.substr(kPrefix.size());
  return rest.empty() || rest.front() == '/' || rest.front() == '?';
}

bool RestApi::Writes(const HttpRequest& request) {
  return request.method() != bhttp::verb::get && request.method() != bhttp::verb::head;
}

HttpResponse RestApi::Handle(const HttpRequest& request, const ToolContext& context) const {
  const std::string_view target = request.target();
  auto segments = PathSegments(target);
  if (!segments)
    return RestError(bhttp::status::not_found, "not_found", "route_not_found", "No such route", "");
  RestCall call{service_, tools_, context, {}, json::object(), {}, default_tax_rate_bp_};
  std::string allow;
  for (const RestRoute& route : routes_) {
    std::vector<std::string> params;
    if (!Matches(route, *segments, &params)) continue;
    // PATCH updates as POST does.
    const bool same_method =
        route.method == request.method() ||
        (route.method == bhttp::verb::post && request.method() == bhttp::verb::patch &&
         !params.empty() && RouteSegments(route.path).back().front() == '{');
    if (!same_method) {
      allow += (allow.empty() ? "" : ", ") + std::string(bhttp::to_string(route.method));
      continue;
    }
    call.path_params = std::move(params);
    if (auto bad = ReadQuery(route, target, call)) return std::move(*bad);
    return Run(route, call, request);
  }
  if (!allow.empty()) {
    HttpResponse r =
        RestError(bhttp::status::method_not_allowed, "invalid_request_error", "method_not_allowed",
                  "Method not allowed; this path takes " + allow, "");
    r.set(bhttp::field::allow, allow);
    return r;
  }
  return RestError(bhttp::status::not_found, "not_found", "route_not_found",
                   "No such route: " + std::string(target.substr(0, target.find('?'))), "");
}

std::optional<HttpResponse> RestApi::CheckBinding(const RestRoute& route, RestCall& call) const {
  const std::string& customer = call.context.bound_customer;
  using Mode = Binding::Mode;
  const Binding& b = route.binding;
  switch (b.mode) {
    case Mode::kAnyone:
      return std::nullopt;
    case Mode::kDenied:
      return RestError(bhttp::status::forbidden, "auth_error", "customer_bound",
                       "A customer-bound caller cannot use " + route.path + ": it spans customers",
                       "");
    case Mode::kPathOwned: {
      Status owned = RequireOwned(service_, b.kind, call.path_params.at(0), customer);
      if (!owned.ok()) return RestErrorFor(owned.error());
      return std::nullopt;
    }
    case Mode::kCustomerFilter: {
      if (route.path == "/api/v1/customers") return std::nullopt;  // its reader narrows it
      if (call.query.contains("customer")) {
        Status owned = RequireOwned(service_, OwnedKind::kCustomer,
                                    call.query["customer"].get<std::string>(), customer);
        if (!owned.ok()) return RestErrorFor(owned.error());
      }
      call.query["customer"] = customer;
      return std::nullopt;
    }
    case Mode::kFilterOwned: {
      if (!call.query.contains(b.param)) {
        return RestError(bhttp::status::forbidden, "auth_error", "customer_bound",
                         "A customer-bound caller must name the " + b.param + " to list these",
                         b.param);
      }
      Status owned =
          RequireOwned(service_, b.kind, call.query[b.param].get<std::string>(), customer);
      if (!owned.ok()) return RestErrorFor(owned.error());
      return std::nullopt;
    }
  }
  return RestError(bhttp::status::forbidden, "auth_error", "customer_bound", "Forbidden", "");
}

HttpResponse RestApi::Run(const RestRoute& route, RestCall& call,
                          const HttpRequest& request) const {
  if (!call.context.bound_customer.empty()) {
    if (auto refused = CheckBinding(route, call)) return std::move(*refused);
  }
  if (route.scope && !HasScope(call.context.scopes, *route.scope)) {
    return RestError(bhttp::status::forbidden, "auth_error", "permission_denied",
                     std::string("This caller lacks the '") + ScopeName(*route.scope) +
                         "' scope needed for " + route.path,
                     "");
  }
  if (route.write) return RunWrite(route, call, request);
  if (route.direct) return RunDirect(route, call, request);
  if (!request.body().empty()) {
    return BadParam("body_not_allowed", "a GET takes no body; filters go in the query", "");
  }
  Result<json> read = route.read(call);
  if (!read.ok()) return RestErrorFor(read.error());
  if (!route.csv_columns.empty() && call.query.value("format", std::string()) == "csv") {
    HttpResponse csv{bhttp::status::ok, 11};
    csv.set(bhttp::field::content_type, "text/csv; charset=utf-8");
    csv.set(bhttp::field::content_disposition,
            "attachment; filename=\"" + route.operation_id + ".csv\"");
    csv.body() = CsvOfRows((*read)["rows"], route.csv_columns);
    csv.prepare_payload();
    return csv;
  }
  if (!route.list) {
    Tag(*read, route.object);
    return JsonResponse(bhttp::status::ok, Dump(*read));
  }
  json& rows = *read;
  const size_t limit = size_t(call.page.limit - 1);
  const bool has_more = rows.size() > limit;
  json data = json::array();
  for (size_t i = 0; i < rows.size() && i < limit; ++i) {
    Tag(rows[i], route.object);
    data.push_back(std::move(rows[i]));
  }
  json next = nullptr;
  if (has_more && !data.empty()) {
    const json& last = data.back();
    next = last.contains("id") ? last["id"] : last.value("code", json());
  }
  json body = {{"object", "list"},
               {"data", std::move(data)},
               {"hasMore", has_more},
               {"nextCursor", std::move(next)},
               {"url", route.path}};
  return JsonResponse(bhttp::status::ok, Dump(body));
}

HttpResponse RestApi::RunDirect(const RestRoute& route, RestCall& call,
                                const HttpRequest& request) const {
  json body = json::object();
  if (!request.body().empty()) {
    auto parsed = ParseJsonBody(request.body());
    if (!parsed.ok()) return BadParam("invalid_json", parsed.error().message, "");
    body = StripNulls(*parsed);
  }
  if (!body.is_object()) return BadParam("invalid_json", "the body must be a JSON object", "");
  std::vector<SchemaIssue> issues = ValidateSchema(route.body_schema, body, 1);
  if (!issues.empty()) {
    const std::string param = issues[0].path.substr(0, issues[0].path.find_first_of(".["));
    return BadParam("parameter_invalid",
                    (issues[0].path.empty() ? "body" : issues[0].path) + ": " + issues[0].message,
                    param);
  }
  Result<json> out = route.direct(call, body);
  if (!out.ok()) return RestErrorFor(out.error());
  Tag(*out, route.object);
  return JsonResponse(bhttp::status::ok, Dump(*out));
}

HttpResponse RestApi::RunWrite(const RestRoute& route, RestCall& call,
                               const HttpRequest& request) const {
  const ToolAction& action = *route.write;
  json input = json::object();
  if (!request.body().empty()) {
    auto body = ParseJsonBody(request.body());
    if (!body.ok()) return BadParam("invalid_json", body.error().message, "");
    if (!body->is_object()) return BadParam("invalid_json", "the body must be a JSON object", "");
    input = std::move(*body);
  }
  for (const auto& [key, value] : input.items()) {
    if (std::find(action.body_fields.begin(), action.body_fields.end(), key) ==
        action.body_fields.end()) {
      return BadParam(
          "parameter_unknown",
          "unknown field " + key +
              (action.body_fields.empty() ? std::string("; this route takes no body")
                                          : "; this route takes " + Joined(action.body_fields)),
          key);
    }
  }
  input["action"] = action.action;
  if (!action.path_field.empty()) input[action.path_field] = call.path_params.at(0);
  if (action.prepare) {
    if (Status ready = action.prepare(call, input); !ready.ok()) return RestErrorFor(ready.error());
  }
  const Tool* tool = tools_.FindById(action.tool_id);
  json result = tool->Execute(input, call.context);
  if (result.value("declined", false)) {
    // A declined charge (Stripe's 402 card_error): the failed payment was recorded; it is given.
    json error = {{"type", "card_error"},
                  {"code", "card_declined"},
                  {"message", result.value("message", std::string("declined"))},
                  {"payment", result.value("payment", json())}};
    Tag(error["payment"], "payment");
    return JsonResponse(bhttp::status::payment_required, Dump(json{{"error", std::move(error)}}));
  }
  if (IsToolError(result) || !result.value("success", false)) {
    const std::string code = result.value("code", std::string("INTERNAL"));
    const ErrorKind kind = KindOf(code);
    if (kind.status == bhttp::status::internal_server_error) {
      spdlog::error("{} {}: {}", action.tool_id, action.action, result.dump());
      return RestError(kind.status, kind.type, "internal", "Internal Server Error", "");
    }
    HttpResponse r =
        RestError(kind.status, kind.type, Lower(code), result.value("message", std::string()),
                  result.value("field", std::string()));
    if (std::optional<int64_t> retry = RateLimitedRetryAfter(result)) {
      r.set(bhttp::field::retry_after, std::to_string(*retry));
    }
    return r;
  }
  json object = result.value(action.result_key, json());
  if (!object.is_object()) {
    spdlog::error("{} {}: the result has no {}", action.tool_id, action.action, action.result_key);
    return RestError(bhttp::status::internal_server_error, "api_error", "internal",
                     "Internal Server Error", "");
  }
  if (action.refetch) {
    Result<json> fresh = action.refetch(call, object);
    if (!fresh.ok()) return RestErrorFor(fresh.error());
    object = std::move(*fresh);
  }
  Tag(object, route.object);
  return JsonResponse(bhttp::status::ok, Dump(object));
}

}  // namespace billing::http::rest
