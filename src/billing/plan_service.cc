// The plan catalog's writes (automated-billing.md "Plans and subscriptions";
// docs/subscriptions.md): creating a plan. Reads and the subscriptions that use plans are
// subscription_service.cc.
#include <algorithm>
#include <cctype>

#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"
#include "money/money.h"

namespace billing {
namespace {

using internal::kMaxPlans;
using internal::Lower;

constexpr size_t kMaxPlanNameBytes = 100;
constexpr size_t kMaxPlanIdBytes = 64;

bool IdChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// "Team Pro (EUR)" -> "PLAN-TEAM-PRO-EUR".
std::string IdFromName(const std::string& name) {
  std::string out = "PLAN";
  bool dash = true;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (dash) out += '-';
      out += char(std::toupper(static_cast<unsigned char>(c)));
      dash = false;
    } else {
      dash = true;
    }
  }
  return out.substr(0, kMaxPlanIdBytes);
}

nlohmann::json PlanAuditJson(const Plan& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"priceCents", p.price_cents},
          {"currency", p.currency},
          {"interval", p.interval},
          {"active", p.active}};
}

}  // namespace

Result<Plan> BillingService::CreatePlan(const NewPlan& req) {
  Plan p;
  p.name = req.name;
  while (!p.name.empty() && p.name.back() == ' ') p.name.pop_back();
  while (!p.name.empty() && p.name.front() == ' ') p.name.erase(p.name.begin());
  if (p.name.empty() || p.name.size() > kMaxPlanNameBytes) {
    return Error::Invalid("name", "name is required, at most 100 characters");
  }
  if (std::any_of(p.name.begin(), p.name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return Error::Invalid("name", "name must not hold control characters");
  }
  p.id = req.id.empty() ? IdFromName(p.name) : CanonicalId(req.id);
  if (p.id.size() < 3 || p.id.size() > kMaxPlanIdBytes ||
      !std::all_of(p.id.begin(), p.id.end(), IdChar)) {
    return Error::Invalid("planId", "planId must be 3 to 64 letters, digits, '-' or '_'");
  }
  const std::optional<Currency> currency = FindCurrency(CanonicalId(req.currency));
  if (!currency) return Error::Invalid("currency", "currency must be a known ISO 4217 code");
  p.currency = std::string(currency->code);
  if (!IsOneOf(req.interval, kBillingCycles)) {
    return Error::Invalid("interval", "interval must be one of monthly, quarterly, annual");
  }
  p.interval = req.interval;
  if (req.price_cents <= 0 || req.price_cents > options_.max_amount_cents) {
    return Error::Invalid("price", "price must be more than 0 and at most " +
                                       FormatMoney(options_.max_amount_cents, *currency));
  }
  p.price_cents = req.price_cents;
  p.active = true;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<Plan> same_id, tx.FindPlan(p.id));
    if (same_id) return Error{ErrorCode::kConflict, "Plan " + p.id + " already exists", "planId"};
    BILLING_ASSIGN_OR_RETURN(std::vector<Plan> all, tx.ListPlans(kMaxPlans));
    // Plans are named by name too ("the Premium Plan"): two of one name would make it ambiguous.
    for (const Plan& other : all) {
      if (Lower(other.name) == Lower(p.name)) {
        return Error{ErrorCode::kConflict, "Plan " + other.id + " is already named " + other.name,
                     "name"};
      }
    }
    if (all.size() >= size_t(kMaxPlans)) {
      return Error::Precondition("There are already 1,000 plans, the limit", "planId");
    }
    p.created_at = clock_.NowIso8601();
    BILLING_TRY(tx.InsertPlan(p));
    return Audit(tx, internal::Change(req.actor, req.request_id, "plan.create", "plan", p.id,
                                      nullptr, PlanAuditJson(p)));
  });
  if (!s.ok()) return s.error();
  return p;
}

}  // namespace billing
