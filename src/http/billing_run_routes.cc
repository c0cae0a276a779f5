// POST /api/billing-runs; see billing_run_routes.h.
#include "http/billing_run_routes.h"

#include <spdlog/spdlog.h>

#include "billing/audit.h"
#include "http/json_body.h"
#include "tools/billing_tool.h"

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;

HttpResponse BadField(const std::string& field, const std::string& message) {
  return JsonResponse(bhttp::status::bad_request,
                      AuditDump({{"error", message}, {"field", field}}));
}

}  // namespace

HttpResponse BillingRunResponse(BillingService& service, const HttpRequest& request,
                                const Actor& actor, const std::string& request_id) {
  if (request.method() != bhttp::verb::post) {
    HttpResponse r = JsonError(bhttp::status::method_not_allowed, "Method not allowed");
    r.set(bhttp::field::allow, "POST");
    return r;
  }
  Date as_of = service.Today();
  if (!request.body().empty()) {
    auto body = ParseJsonBody(request.body());
    if (!body.ok()) return BadField("body", body.error().message);
    if (!body->is_object()) return BadField("body", "the body must be a JSON object");
    for (const auto& [key, value] : body->items()) {
      if (key != "asOf") return BadField(key, "unknown field " + key + "; the body takes asOf");
    }
    if (body->contains("asOf")) {
      const nlohmann::json& v = (*body)["asOf"];
      if (!v.is_string() || !Date::Parse(v.get<std::string>(), &as_of)) {
        return BadField("asOf", "asOf must be a date YYYY-MM-DD");
      }
    }
  }
  auto report = service.RunBilling(as_of, actor, request_id);
  if (!report.ok()) {
    if (report.error().code == ErrorCode::kInvalidArgument) {
      return BadField(report.error().field, report.error().message);
    }
    if (report.error().code == ErrorCode::kDatabaseUnavailable) {
      return JsonError(bhttp::status::service_unavailable, "database unavailable");
    }
    spdlog::error("billing run as of {} failed: {}", as_of.ToString(), report.error().message);
    return JsonError(bhttp::status::internal_server_error, "billing run failed; run it again");
  }
  return JsonResponse(bhttp::status::ok, AuditDump(BillingRunJson(*report)));
}

}  // namespace billing::http
