// BillingService's coupons (automated-billing.md "Discounts and coupons"; docs/coupons.md):
// create, list, archive, and the checks and counting of a redemption. The discount itself is
// rules.h DiscountCents, taken by IssueInvoice (invoice_service.cc) before tax. A redemption
// raises the coupon's count in the transaction of the invoice or subscription that redeems it,
// guarded by max_redemptions in the same statement (store.h RedeemCoupon), so of two
// redemptions of the last use exactly one commits.
#include <string>
#include <vector>

#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"

namespace billing {

using internal::Change;

namespace {

constexpr int kMaxCouponsListed = kMaxPageRows;
constexpr int64_t kMaxRepeatingPeriods = 120;

nlohmann::json CouponJson(const Coupon& c) {
  nlohmann::json j = {{"code", c.code},
                      {"name", c.name},
                      {"currency", c.currency},
                      {"duration", c.duration},
                      {"durationPeriods", c.duration_periods},
                      {"redeemBy", c.redeem_by},
                      {"maxRedemptions", c.max_redemptions},
                      {"timesRedeemed", c.times_redeemed},
                      {"archived", c.archived}};
  if (c.percent_off_bp) j["percentOffBp"] = *c.percent_off_bp;
  if (c.amount_off_cents) j["amountOffCents"] = *c.amount_off_cents;
  return j;
}

bool CodeChar(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

}  // namespace

Result<Coupon> BillingService::CreateCoupon(const NewCoupon& req) {
  Coupon c;
  c.code = CanonicalId(req.code);
  if (c.code.size() < 3 || c.code.size() > 32) {
    return Error::Invalid("code", "code must be 3 to 32 letters, digits, '-' or '_'");
  }
  for (char ch : c.code) {
    if (!CodeChar(ch)) return Error::Invalid("code", "code must be letters, digits, '-' or '_'");
  }
  if (req.name.size() > 200) return Error::Invalid("name", "name is longer than 200 characters");
  if (req.percent_off_bp.has_value() == req.amount_off_cents.has_value()) {
    return Error::Invalid("percentOff", "give either percentOff or amountOff, not both");
  }
  if (req.percent_off_bp && (*req.percent_off_bp < 1 || *req.percent_off_bp > 10'000)) {
    return Error::Invalid("percentOff", "percentOff must be more than 0 and at most 100");
  }
  if (req.amount_off_cents &&
      (*req.amount_off_cents <= 0 || *req.amount_off_cents > options_.max_amount_cents)) {
    return Error::Invalid("amountOff", "amountOff must be more than 0 and at most " +
                                           internal::Money(options_.max_amount_cents));
  }
  if (!IsOneOf(req.duration, kCouponDurations)) {
    return Error::Invalid("duration", "duration must be one of once, repeating, forever");
  }
  if (req.duration == "repeating" &&
      (req.duration_periods < 1 || req.duration_periods > kMaxRepeatingPeriods)) {
    return Error::Invalid("durationPeriods", "a repeating coupon needs durationPeriods from 1 to " +
                                                 std::to_string(kMaxRepeatingPeriods));
  }
  if (req.duration != "repeating" && req.duration_periods != 0) {
    return Error::Invalid("durationPeriods", "durationPeriods is only for repeating coupons");
  }
  if (req.max_redemptions < 0 || req.max_redemptions > 1'000'000'000) {
    return Error::Invalid("maxRedemptions", "maxRedemptions must be from 0 (no limit) to 1e9");
  }
  if (req.redeem_by && *req.redeem_by < Today()) {
    return Error::Invalid("redeemBy", "redeemBy " + req.redeem_by->ToString() + " is in the past");
  }
  c.name = req.name.empty() ? c.code : req.name;
  c.percent_off_bp = req.percent_off_bp;
  c.amount_off_cents = req.amount_off_cents;
  c.currency = req.currency.empty() ? "USD" : CanonicalId(req.currency);
  c.duration = req.duration;
  c.duration_periods = req.duration_periods;
  c.redeem_by = req.redeem_by ? req.redeem_by->ToString() : "";
  c.max_redemptions = req.max_redemptions;
  c.created_by = req.actor.principal;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(auto existing, tx.FindCoupon(c.code));
    if (existing) {
      return Error{ErrorCode::kConflict, "Coupon " + c.code + " already exists", "code"};
    }
    // A bound on coupons, so that one page lists every one of them (and the invariant check
    // sees them all): a list is never silently shorter than what exists.
    BILLING_ASSIGN_OR_RETURN(std::vector<Coupon> all, tx.ListCoupons(kMaxCouponsListed));
    if (all.size() >= size_t(kMaxCouponsListed)) {
      return Error::Precondition(
          "There are already " + std::to_string(kMaxCouponsListed) + " coupons, the limit", "code");
    }
    c.created_at = clock_.NowIso8601();
    BILLING_TRY(tx.InsertCoupon(c));
    return Audit(tx, Change(req.actor, req.request_id, "coupon.create", "coupon", c.code, nullptr,
                            CouponJson(c)));
  });
  if (!s.ok()) return s.error();
  return c;
}

Result<std::vector<Coupon>> BillingService::ListCoupons() {
  std::vector<Coupon> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.ListCoupons(kMaxCouponsListed));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Coupon> BillingService::ArchiveCoupon(const std::string& code, const Actor& actor,
                                             const std::string& request_id,
                                             const std::string& idempotency_key) {
  (void)idempotency_key;  // archiving emits no event: no delivery depends on it
  Coupon out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    const std::string id = CanonicalId(code);
    BILLING_ASSIGN_OR_RETURN(auto found, tx.FindCoupon(id));
    if (!found) return Error::NotFound("Coupon " + id + " not found", "couponCode");
    out = std::move(*found);
    if (out.archived) return OkStatus();
    const nlohmann::json before = CouponJson(out);
    out.archived = true;
    BILLING_TRY(tx.SetCouponArchived(out.code, true));
    return Audit(tx, Change(actor, request_id, "coupon.archive", "coupon", out.code, before,
                            CouponJson(out)));
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<Coupon> BillingService::RedeemableCoupon(StoreTx& tx, const std::string& raw_code,
                                                const Customer& customer,
                                                const std::string& field) {
  const std::string code = CanonicalId(raw_code);
  BILLING_ASSIGN_OR_RETURN(auto found, tx.FindCoupon(code));
  if (!found) return Error::NotFound("Coupon " + code + " not found", field);
  const Coupon& c = *found;
  if (c.archived) {
    return Error::Precondition("Coupon " + c.code + " is archived and can no longer be redeemed",
                               field);
  }
  if (!c.redeem_by.empty() && c.redeem_by < Today().ToString()) {
    return Error::Precondition("Coupon " + c.code + " expired on " + c.redeem_by, field);
  }
  if (c.max_redemptions > 0 && c.times_redeemed >= c.max_redemptions) {
    return Error::Precondition("Coupon " + c.code + " has been redeemed " +
                                   std::to_string(c.times_redeemed) + " times, its limit",
                               field);
  }
  if (c.amount_off_cents && c.currency != customer.currency) {
    return Error::Invalid(field, "Coupon " + c.code + " takes " + c.currency + " off, but " +
                                     customer.id + " is billed in " + customer.currency);
  }
  return c;
}

Status BillingService::Redeem(StoreTx& tx, const Coupon& coupon, const std::string& customer_id,
                              const std::string& invoice_id, const std::string& subscription_id,
                              const Actor& actor, const std::string& request_id,
                              const std::string& idempotency_key) {
  CouponRedemption r;
  r.coupon_code = coupon.code;
  r.customer_id = customer_id;
  r.invoice_id = invoice_id;
  r.subscription_id = subscription_id;
  r.created_at = clock_.NowIso8601();
  r.actor = actor.principal;
  Result<int64_t> number = tx.RedeemCoupon(r);
  if (!number.ok()) {
    if (number.error().code == ErrorCode::kConflict) {
      return Error::Precondition("Coupon " + coupon.code + " has no redemptions left",
                                 "couponCode");
    }
    return number.error();
  }
  nlohmann::json data = CouponJson(coupon);
  data["timesRedeemed"] = *number;
  data["redemption"] = {{"number", *number},
                        {"customerId", customer_id},
                        {"invoiceId", invoice_id},
                        {"subscriptionId", subscription_id}};
  return Emit(tx, "coupon.redeemed", "coupon", coupon.code, data, request_id, idempotency_key);
}

}  // namespace billing
