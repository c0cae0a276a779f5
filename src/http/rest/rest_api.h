// RestApi: the REST API v1 under /api/v1/ (spec integration.md "REST API v1", docs/rest.md):
// customers, invoices, credit notes, payments, refunds, plans, subscriptions, coupons and events,
// with Stripe's conventions: create with POST on the collection, retrieve with GET on /:id, update
// with POST or PATCH on /:id, actions as POST sub-paths, cursor lists
// {"object":"list","data":[...],"hasMore":bool,"nextCursor":id|null} (limit 1-100, default 10;
// startingAfter=<id>), and errors {"error":{"type","code","message","param"}}.
//
// No rule lives here. Every write runs a tool action (tools/*.cc) with the caller's ToolContext,
// so it is validated against the tool's JSON Schema and its scope, rate limit, operation key,
// audit row and events are those of the tool; every read calls a BillingService read and renders
// the record with the tools' views (tools/billing_tool.h), so an object has the same fields
// whichever way it was fetched. The route table (routes()) is also what the OpenAPI document is
// made from.
//
// Thread-safety: immutable after construction; Handle() is safe from many threads (the service and
// the tools are). Handle() blocks on the database: call it on a pool thread, never an I/O thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "billing/service.h"
#include "http/server.h"
#include "tools/customer_binding.h"
#include "tools/tool.h"

namespace billing::http::rest {

inline constexpr int kDefaultListLimit = 10;
inline constexpr int kMaxListLimit = 100;

// A query parameter a route takes besides limit and startingAfter (lists take both).
struct QueryParam {
  std::string name;
  std::string description;
  std::vector<std::string> values;  // the allowed values; empty = any string of at most 64 bytes
};

// One request on a matched route.
struct RestCall {
  BillingService& service;
  const ToolRegistry& tools;
  const ToolContext& context;
  std::vector<std::string> path_params;             // decoded {id} values, in path order
  nlohmann::json query = nlohmann::json::object();  // the route's params that were given
  CursorPage page;                                  // lists: limit + 1 rows after startingAfter
  int default_tax_rate_bp = 0;
};

// A write that runs a tool action: body fields are passed through as the tool's input, with the
// action and the path's id added.
struct ToolAction {
  std::string tool_id;                   // "manage-invoices"
  std::string action;                    // "create"
  std::string path_field;                // the input field {id} fills ("invoiceId"); "" = none
  std::vector<std::string> body_fields;  // what the body may hold: fields of the tool's input
  std::string result_key;                // the result field holding the object ("invoice")
  // Fills what the input needs from the ledger before the tool runs (POST /invoices/{id}/pay
  // names the invoice's customer and amount due); may reject the call. Optional.
  std::function<Status(RestCall&, nlohmann::json& input)> prepare = {};
  // Reads the object again after the change when the tool's result holds less than a retrieve
  // does (a customer's balance). Optional.
  std::function<Result<nlohmann::json>(RestCall&, const nlohmann::json& object)> refetch = {};
};

// What a customer-bound caller (ToolContext::bound_customer; tools/customer_binding.h) may reach
// through a route, derived from the route's resource by RestApi (BindingOf), never per route.
struct Binding {
  enum class Mode {
    kDenied,          // the route spans customers (events): 403
    kAnyone,          // the catalog (plans, coupons), or a create its tool action checks
    kPathOwned,       // the {id} must name a record of the caller's customer, else 404
    kCustomerFilter,  // a list: its `customer` filter is set to the caller's customer
    kFilterOwned,     // a list: its `param` filter is required and must name an owned record
  };
  Mode mode = Mode::kDenied;
  OwnedKind kind = OwnedKind::kCustomer;  // what the {id} or the filter names
  std::string param = {};                 // kFilterOwned
};

struct RestRoute {
  boost::beast::http::verb method;
  std::string path;          // "/api/v1/invoices/{id}/finalize"
  std::string operation_id;  // "finalizeInvoice"
  std::string summary;
  std::string tag;     // "Invoices"
  std::string object;  // what the answer holds (each item of a list): "invoice"
  bool list = false;
  std::vector<QueryParam> query = {};
  std::optional<ToolAction> write = {};
  // Reads: the object, or for a list an array of up to page.limit objects (page.limit is the
  // caller's limit + 1, so a longer answer means hasMore).
  std::function<Result<nlohmann::json>(RestCall&)> read = {};
  Binding binding = {};  // set by RestApi from the resource
  // Writes with no tool (webhook endpoints): the body, validated against body_schema (which the
  // OpenAPI document shows), goes to `direct`, which calls the service; the caller needs `scope`
  // (reads of such a resource too).
  std::function<Result<nlohmann::json>(RestCall&, const nlohmann::json& body)> direct = {};
  nlohmann::json body_schema = nullptr;
  std::optional<Scope> scope = {};
  // Reports: with `format=csv`, the answer's `rows` as CSV with these columns, in this order.
  std::vector<std::string> csv_columns = {};
};

// RFC 4180 CSV of `rows` (JSON objects): a header of `columns`, then one line per row; a text
// cell a spreadsheet would run as a formula is prefixed with "'" (rest_report_routes.cc).
std::string CsvOfRows(const nlohmann::json& rows, const std::vector<std::string>& columns);

// {"error":{"type":...,"code":...,"message":...,"param":...}} with `status`; `param` "" = none.
HttpResponse RestError(boost::beast::http::status status, std::string_view type,
                       std::string_view code, std::string_view message, std::string_view param);
// The v1 answer for a service error: 400 invalid_request_error (kInvalidArgument, kAmbiguous),
// 422 invalid_request_error (kFailedPrecondition: the object's state forbids it), 404 not_found,
// 409 conflict, 403 auth_error, 503 / 500 api_error (the detail of a 500 is logged only).
HttpResponse RestErrorFor(const Error& error);
// Rewrites an answer of the Mastra error shape {"error":"text"} (401, 403, 404, 409, 429 and 5xx
// from the routes shared with Mastra: authentication, rate limits, Idempotency-Key) into the v1
// error object; any other answer is returned as it was.
HttpResponse AsRestError(HttpResponse response);

class RestApi {
 public:
  RestApi(BillingService& service, const ToolRegistry& tools, int default_tax_rate_bp);

  // True for a target under /api/v1/ (or /api/v1 itself).
  static bool Handles(std::string_view target);
  // True when the request may change the ledger (any method but GET and HEAD): run it on the
  // write pool.
  static bool Writes(const HttpRequest& request);

  // Serves one /api/v1 request as the caller `context` (scopes, actor, request id, Idempotency-
  // Key, rate limit). Unknown path: 404; known path, other method: 405 with Allow.
  HttpResponse Handle(const HttpRequest& request, const ToolContext& context) const;

  const std::vector<RestRoute>& routes() const { return routes_; }

 private:
  HttpResponse Run(const RestRoute& route, RestCall& call, const HttpRequest& request) const;
  HttpResponse RunWrite(const RestRoute& route, RestCall& call, const HttpRequest& request) const;
  HttpResponse RunDirect(const RestRoute& route, RestCall& call, const HttpRequest& request) const;
  // nullopt when a customer-bound caller may use `route` as called; else the 403 or 404.
  std::optional<HttpResponse> CheckBinding(const RestRoute& route, RestCall& call) const;

  BillingService& service_;
  const ToolRegistry& tools_;
  const int default_tax_rate_bp_;
  std::vector<RestRoute> routes_;
};

// The route groups (rest_ledger_routes.cc, rest_catalog_routes.cc, rest_webhook_routes.cc,
// rest_report_routes.cc), in
// the order served.
void AddLedgerRoutes(std::vector<RestRoute>& routes);
void AddCatalogRoutes(std::vector<RestRoute>& routes);
void AddWebhookRoutes(std::vector<RestRoute>& routes);
void AddReportRoutes(std::vector<RestRoute>& routes);

}  // namespace billing::http::rest
