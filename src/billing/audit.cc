#include "billing/audit.h"

#include <openssl/evp.h>

#include <memory>

namespace billing {
namespace {

void AppendField(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out.append(value.data(), value.size());
  out += ';';
}

}  // namespace

Result<std::string> Sha256Hex(std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) return Error::Internal("sha256: EVP_MD_CTX_new failed");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up in its providers on every
  // EVP_DigestInit_ex, which cost as much as hashing the audit row itself.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (kSha256 == nullptr) return Error::Internal("sha256: EVP_MD_fetch failed");
  if (EVP_DigestInit_ex(ctx.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) {
    return Error::Internal("sha256: digest failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

std::string AuditCanonical(const AuditEntry& e) {
  std::string out = e.chain_version == 1   ? "billing-audit-v1"
                    : e.chain_version == 2 ? "billing-audit-v2"
                                           : "billing-audit-unknown-version";
  AppendField(out, e.prev_hash);
  AppendField(out, std::to_string(e.seq));
  AppendField(out, e.at);
  AppendField(out, e.actor);
  AppendField(out, e.action);
  AppendField(out, e.entity_type);
  AppendField(out, e.entity_id);
  AppendField(out, e.before_json);
  AppendField(out, e.after_json);
  AppendField(out, e.request_id);
  if (e.chain_version >= 2) AppendField(out, e.on_behalf_of);
  return out;
}

Result<std::string> AuditHash(const AuditEntry& e) { return Sha256Hex(AuditCanonical(e)); }

Status ChainAuditEntry(const std::optional<AuditEntry>& last, AuditEntry& e) {
  e.chain_version = kAuditChainVersion;
  e.seq = last ? last->seq + 1 : 1;
  e.prev_hash = last ? last->hash : std::string(kAuditGenesisHash);
  BILLING_ASSIGN_OR_RETURN(e.hash, AuditHash(e));
  return OkStatus();
}

bool ChainVerifier::Check(const AuditEntry& e, std::string* why) {
  std::string reason;
  if (e.seq != last_seq_ + 1) {
    reason = "seq " + std::to_string(e.seq) + " follows seq " + std::to_string(last_seq_) +
             " (rows missing or reordered)";
  } else if (e.prev_hash != last_hash_) {
    reason = last_seq_ == 0 ? "prev_hash is not the genesis hash (64 zeros)"
                            : "prev_hash does not match the hash of row " + std::to_string(last_seq_);
  } else if (e.chain_version < 1 || e.chain_version > kAuditChainVersion) {
    reason = "unknown chain version " + std::to_string(e.chain_version);
  } else if (e.chain_version < last_version_) {
    reason = "chain version " + std::to_string(e.chain_version) + " follows version " +
             std::to_string(last_version_) + " (versions never go down)";
  } else if (e.chain_version == 1 && !e.on_behalf_of.empty()) {
    reason = "onBehalfOf on a version 1 row, whose hash does not cover it";
  } else {
    auto h = AuditHash(e);
    if (!h.ok()) {
      reason = "cannot hash the row: " + h.error().message;
    } else if (*h != e.hash) {
      reason = "hash does not match the row's contents";
    }
  }
  if (!reason.empty()) {
    if (why) *why = std::move(reason);
    return false;
  }
  ++rows_checked_;
  last_seq_ = e.seq;
  last_version_ = e.chain_version;
  last_hash_ = e.hash;
  return true;
}

nlohmann::json InvoiceAuditJson(const Invoice& inv) {
  nlohmann::json items = nlohmann::json::array();
  for (const LineItem& li : inv.items) {
    items.push_back({{"description", li.description},
                     {"quantityMilli", li.quantity_milli},
                     {"unitPriceCents", li.unit_price_cents},
                     {"amountCents", li.amount_cents}});
  }
  nlohmann::json j = {{"id", inv.id},
          {"customerId", inv.customer_id},
          {"currency", inv.currency},
          {"items", std::move(items)},
          {"subtotalCents", inv.subtotal_cents},
          {"taxRateBp", inv.tax_rate_bp},
          {"taxCents", inv.tax_cents},
          {"totalCents", inv.total_cents},
          {"paidCents", inv.paid_cents},
          {"status", inv.status},
          {"issueDate", inv.issue_date.ToString()},
          {"dueDate", inv.due_date.ToString()},
          {"notes", inv.notes},
          {"paidDate", inv.paid_date},
          {"paymentMethod", inv.payment_method},
          {"createdBy", inv.created_by},
          {"updatedBy", inv.updated_by}};
  // Claimed end users appear only when there is one, so rows without stay as they were.
  if (!inv.created_on_behalf_of.empty()) j["createdOnBehalfOf"] = inv.created_on_behalf_of;
  if (!inv.updated_on_behalf_of.empty()) j["updatedOnBehalfOf"] = inv.updated_on_behalf_of;
  if (inv.credited_cents != 0) j["creditedCents"] = inv.credited_cents;
  if (!inv.coupon_code.empty()) {
    j["couponCode"] = inv.coupon_code;
    j["discountCents"] = inv.discount_cents;
  }
  return j;
}

nlohmann::json CreditNoteAuditJson(const CreditNote& cn) {
  nlohmann::json lines = nlohmann::json::array();
  for (const CreditNoteLine& l : cn.lines) {
    lines.push_back({{"position", l.position},
                     {"description", l.description},
                     {"quantityMilli", l.quantity_milli},
                     {"amountCents", l.amount_cents}});
  }
  nlohmann::json j = {{"id", cn.id},
                      {"invoiceId", cn.invoice_id},
                      {"customerId", cn.customer_id},
                      {"currency", cn.currency},
                      {"subtotalCents", cn.subtotal_cents},
                      {"taxCents", cn.tax_cents},
                      {"totalCents", cn.total_cents},
                      {"dueReducedCents", cn.due_reduced_cents},
                      {"refundedCents", cn.refunded_cents},
                      {"creditCents", cn.credit_cents},
                      {"lines", std::move(lines)},
                      {"refundIds", cn.refund_ids},
                      {"reason", cn.reason},
                      {"createdBy", cn.created_by}};
  if (!cn.on_behalf_of.empty()) j["onBehalfOf"] = cn.on_behalf_of;
  return j;
}

nlohmann::json PaymentAuditJson(const Payment& p) {
  nlohmann::json allocs = nlohmann::json::array();
  for (const Allocation& a : p.allocations) {
    allocs.push_back({{"invoiceId", a.invoice_id},
                      {"amountCents", a.amount_cents},
                      {"refundedCents", a.refunded_cents}});
  }
  nlohmann::json j = {{"id", p.id},
          {"customerId", p.customer_id},
          {"currency", p.currency},
          {"invoiceId", p.invoice_id},
          {"amountCents", p.amount_cents},
          {"refundedCents", p.refunded_cents},
          {"method", p.method},
          {"status", p.status},
          {"transactionId", p.transaction_id},
          {"failureReason", p.failure_reason},
          {"actor", p.actor},
          {"createdAt", p.created_at},
          {"allocations", std::move(allocs)}};
  // A card payment names the stored card (brand and last four digits only).
  if (!p.payment_method_id.empty()) {
    j["card"] = {{"id", p.payment_method_id}, {"brand", p.card_brand}, {"last4", p.card_last4}};
  }
  if (!p.on_behalf_of.empty()) j["onBehalfOf"] = p.on_behalf_of;
  return j;
}

nlohmann::json RefundAuditJson(const Refund& r) {
  nlohmann::json j = {{"id", r.id},
                      {"paymentId", r.payment_id},
                      {"amountCents", r.amount_cents},
                      {"reason", r.reason},
                      {"transactionId", r.transaction_id},
                      {"actor", r.actor},
                      {"createdAt", r.created_at}};
  if (!r.on_behalf_of.empty()) j["onBehalfOf"] = r.on_behalf_of;
  return j;
}

std::string AuditDump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json AuditEntryJson(const AuditEntry& e) {
  auto parse = [](const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    return j.is_discarded() ? nlohmann::json(text) : j;
  };
  return {{"seq", e.seq},
          {"at", e.at},
          {"actor", e.actor},
          {"onBehalfOf", OnBehalfOfJson(e.on_behalf_of)},
          {"action", e.action},
          {"entityType", e.entity_type},
          {"entityId", e.entity_id},
          {"before", parse(e.before_json)},
          {"after", parse(e.after_json)},
          {"requestId", e.request_id},
          {"prevHash", e.prev_hash},
          {"hash", e.hash},
          {"chainVersion", e.chain_version}};
}

nlohmann::json OnBehalfOfJson(const std::string& on_behalf_of) {
  if (on_behalf_of.empty()) return nullptr;
  return {{"id", on_behalf_of}, {"claim", true}};
}

nlohmann::json CustomerAuditJson(const Customer& c) {
  return {{"id", c.id},
          {"company", c.company},
          {"contactName", c.contact_name},
          {"email", c.email},
          {"billingCycle", c.billing_cycle},
          {"paymentMethod", c.payment_method},
          {"status", c.status},
          {"currency", c.currency},
          {"locale", c.locale},
          {"taxRateBp", c.tax_rate_bp ? nlohmann::json(*c.tax_rate_bp) : nlohmann::json(nullptr)},
          {"paymentTermsDays", c.payment_terms_days}};
}

nlohmann::json SubscriptionAuditJson(const Subscription& s) {
  nlohmann::json j = {{"id", s.id},
                      {"customerId", s.customer_id},
                      {"planId", s.plan_id},
                      {"quantity", s.quantity},
                      {"status", s.status},
                      {"startDate", s.start_date.ToString()},
                      {"collection", s.collection},
                      {"paymentTermsDays", s.payment_terms_days},
                      {"cancelAtPeriodEnd", s.cancel_at_period_end},
                      {"periodsBilled", s.periods_billed}};
  if (s.periods_billed > 0) {
    j["currentPeriodStart"] = s.current_period_start.ToString();
    j["currentPeriodEnd"] = s.current_period_end.ToString();
  }
  j["nextBillDate"] =
      s.next_bill_date.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.next_bill_date);
  if (!s.canceled_at.empty()) j["canceledAt"] = s.canceled_at;
  if (!s.pending_plan_id.empty()) {
    j["pendingPlanId"] = s.pending_plan_id;
    j["pendingQuantity"] = s.pending_quantity;
  }
  if (!s.coupon_code.empty()) {
    j["couponCode"] = s.coupon_code;
    j["couponPeriodsUsed"] = s.coupon_periods_used;
  }
  return j;
}

}  // namespace billing
