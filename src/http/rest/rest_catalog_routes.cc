// REST v1 routes of the catalog and the record of changes: plans, coupons, subscriptions and
// events (see rest_api.h).
#include "billing/rules.h"
#include "http/events_routes.h"
#include "http/rest/rest_api.h"
#include "tools/billing_tool.h"

namespace billing::http::rest {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

std::string Param(const RestCall& call, const char* name) {
  return call.query.value(name, std::string());
}

// A page of a short list read whole (plans, coupons: at most kMaxPageRows each), after the row
// whose `key` is the cursor.
Result<json> PageInMemory(const json& all, const std::string& key, const CursorPage& page,
                          const char* what) {
  json out = json::array();
  bool after = page.starting_after.empty();
  for (const json& row : all) {
    if (after && int(out.size()) < page.limit) out.push_back(row);
    if (!after && row.value(key, std::string()) == CanonicalId(page.starting_after)) after = true;
  }
  if (!after) {
    return Error::Invalid(
        "startingAfter", "startingAfter names no " + std::string(what) + " " + page.starting_after);
  }
  return out;
}

Result<json> AllPlans(RestCall& call) {
  BILLING_ASSIGN_OR_RETURN(std::vector<Plan> plans, call.service.ListPlans());
  json out = json::array();
  for (const Plan& p : plans) out.push_back(PlanJson(p));
  return out;
}

Result<json> AllCoupons(RestCall& call) {
  BILLING_ASSIGN_OR_RETURN(std::vector<Coupon> coupons, call.service.ListCoupons());
  json out = json::array();
  for (const Coupon& c : coupons) out.push_back(CouponJson(c));
  return out;
}

// The one row of `all` whose `key` is `id` (any case), else kNotFound naming `field`.
Result<json> OneOf(const json& all, const std::string& key, const std::string& id, const char* what,
                   const char* field) {
  for (const json& row : all) {
    if (row.value(key, std::string()) == CanonicalId(id)) return row;
  }
  return Error::NotFound(std::string(what) + " " + id + " not found", field);
}

void AddPlanAndCouponRoutes(std::vector<RestRoute>& routes) {
  routes.push_back({bhttp::verb::post,
                    "/api/v1/plans",
                    "createPlan",
                    "Create a plan (name, price, currency, interval)",
                    "Plans",
                    "plan",
                    false,
                    {},
                    ToolAction{"manage-subscriptions",
                               "create_plan",
                               "",
                               {"planId", "name", "price", "currency", "interval"},
                               "plan"}});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/plans",
                    "listPlans",
                    "List plans by id",
                    "Plans",
                    "plan",
                    true,
                    {},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      BILLING_ASSIGN_OR_RETURN(json all, AllPlans(call));
                      return PageInMemory(all, "id", call.page, "plan");
                    }});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/plans/{id}",
                    "retrievePlan",
                    "Retrieve a plan",
                    "Plans",
                    "plan",
                    false,
                    {},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      BILLING_ASSIGN_OR_RETURN(json all, AllPlans(call));
                      return OneOf(all, "id", call.path_params[0], "Plan", "planId");
                    }});
  routes.push_back({bhttp::verb::post,
                    "/api/v1/coupons",
                    "createCoupon",
                    "Create a coupon (percentOff or amountOff; once, repeating or forever)",
                    "Coupons",
                    "coupon",
                    false,
                    {},
                    ToolAction{"manage-invoices",
                               "create_coupon",
                               "",
                               {"couponCode", "name", "percentOff", "amountOff", "currency",
                                "duration", "durationPeriods", "redeemBy", "maxRedemptions"},
                               "coupon"}});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/coupons/{code}",
                    "retrieveCoupon",
                    "Retrieve a coupon by its code",
                    "Coupons",
                    "coupon",
                    false,
                    {},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      BILLING_ASSIGN_OR_RETURN(json all, AllCoupons(call));
                      return OneOf(all, "code", call.path_params[0], "Coupon", "couponCode");
                    }});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/coupons",
                    "listCoupons",
                    "List coupons by code",
                    "Coupons",
                    "coupon",
                    true,
                    {},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      BILLING_ASSIGN_OR_RETURN(json all, AllCoupons(call));
                      return PageInMemory(all, "code", call.page, "coupon");
                    }});
  routes.push_back({bhttp::verb::post,
                    "/api/v1/coupons/{code}/archive",
                    "archiveCoupon",
                    "Archive a coupon: no new redemptions (those made keep their discount)",
                    "Coupons",
                    "coupon",
                    false,
                    {},
                    ToolAction{"manage-invoices", "archive_coupon", "couponCode", {}, "coupon"}});
}

void AddSubscriptionRoutes(std::vector<RestRoute>& routes) {
  routes.push_back({bhttp::verb::post,
                    "/api/v1/subscriptions",
                    "createSubscription",
                    "Subscribe a customer to a plan (SUB-<n>); its periods are billed by the "
                    "billing run",
                    "Subscriptions",
                    "subscription",
                    false,
                    {},
                    ToolAction{"manage-subscriptions",
                               "create",
                               "",
                               {"customerId", "planId", "quantity", "startDate", "paymentTermsDays",
                                "collection", "couponCode"},
                               "subscription"}});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/subscriptions/{id}",
                    "retrieveSubscription",
                    "Retrieve a subscription",
                    "Subscriptions",
                    "subscription",
                    false,
                    {},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      BILLING_ASSIGN_OR_RETURN(SubscriptionView v,
                                               call.service.GetSubscription(call.path_params[0]));
                      return SubscriptionJson(v);
                    }});
  routes.push_back({bhttp::verb::post,
                    "/api/v1/subscriptions/{id}",
                    "updateSubscription",
                    "Change a subscription's plan or quantity (an upgrade at once, prorated; "
                    "anything else at the next period); POST or PATCH",
                    "Subscriptions",
                    "subscription",
                    false,
                    {},
                    ToolAction{"manage-subscriptions",
                               "change",
                               "subscriptionId",
                               {"planId", "quantity"},
                               "subscription"}});
  routes.push_back(
      {bhttp::verb::get,
       "/api/v1/subscriptions",
       "listSubscriptions",
       "List subscriptions by number",
       "Subscriptions",
       "subscription",
       true,
       {{"customer", "Only this customer's subscriptions", {}},
        {"status", "Only subscriptions in this status", {"active", "past_due", "canceled"}}},
       std::nullopt,
       [](RestCall& call) -> Result<json> {
         BILLING_ASSIGN_OR_RETURN(std::vector<SubscriptionView> rows,
                                  call.service.SubscriptionPage(Param(call, "customer"),
                                                                Param(call, "status"), call.page));
         json out = json::array();
         for (const SubscriptionView& v : rows) out.push_back(SubscriptionJson(v));
         return out;
       }});
  routes.push_back(
      {bhttp::verb::post,
       "/api/v1/subscriptions/{id}/cancel",
       "cancelSubscription",
       "Cancel a subscription today, or at the period end with atPeriodEnd: true",
       "Subscriptions",
       "subscription",
       false,
       {},
       ToolAction{
           "manage-subscriptions", "cancel", "subscriptionId", {"atPeriodEnd"}, "subscription"}});
}

void AddEventRoutes(std::vector<RestRoute>& routes) {
  std::vector<std::string> types;
  for (std::string_view t : kEventTypes) types.emplace_back(t);
  routes.push_back({bhttp::verb::get,
                    "/api/v1/events",
                    "listEvents",
                    "List events, oldest first (what webhooks deliver)",
                    "Events",
                    "event",
                    true,
                    {{"type", "Only events of this type", types}},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      auto rows = call.service.ListEvents(call.page.starting_after,
                                                          Param(call, "type"), call.page.limit);
                      if (!rows.ok()) {
                        Error e = rows.error();
                        // The cursor names no event: the caller's mistake, as on every list.
                        if (e.field == "after") e = Error::Invalid("startingAfter", e.message);
                        return e;
                      }
                      json out = json::array();
                      for (const Event& e : *rows) out.push_back(EventJson(e));
                      return out;
                    }});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/events/{id}",
                    "retrieveEvent",
                    "Retrieve an event",
                    "Events",
                    "event",
                    false,
                    {},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      BILLING_ASSIGN_OR_RETURN(Event e, call.service.GetEvent(call.path_params[0]));
                      return EventJson(e);
                    }});
  // The event stream needs the events scope (integration.md "Access").
  for (RestRoute& r : routes) {
    if (r.tag == "Events") r.scope = Scope::kEvents;
  }
}

}  // namespace

void AddCatalogRoutes(std::vector<RestRoute>& routes) {
  AddPlanAndCouponRoutes(routes);
  AddSubscriptionRoutes(routes);
  AddEventRoutes(routes);
}

}  // namespace billing::http::rest
