// BillingService's customer management (issue #13; docs/customers.md): CreateCustomer,
// UpdateCustomer and SetCustomerSuspended. Every field's rule has its one home here; the tool,
// the CLI and the REST layer only carry values to it.
#include <algorithm>
#include <string>
#include <vector>

#include "billing/audit.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"
#include "money/money.h"

namespace billing {

using internal::Change;
using internal::Fingerprint;

namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxEmailBytes = 254;  // RFC 5321's path limit
constexpr int64_t kMaxCustomerSkips = 10'000;

bool HasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u < 0x20 || u == 0x7f;
  });
}

std::string Trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

Result<std::string> CheckName(const std::string& raw, const char* field, bool required) {
  std::string v = Trimmed(raw);
  if (required && v.empty()) return Error::Invalid(field, std::string(field) + " is required");
  if (v.size() > kMaxNameBytes) {
    return Error::Invalid(field, std::string(field) + " is longer than 200 characters");
  }
  if (HasControl(v)) {
    return Error::Invalid(field, std::string(field) + " must not hold control characters");
  }
  return v;
}

// A practical address check, not RFC 5322: one '@', something before it, a dot inside the
// domain, no spaces or control characters, at most 254 bytes. Stored lower case.
Result<std::string> CheckEmail(const std::string& raw) {
  std::string v = Trimmed(raw);
  if (v.empty()) return Error::Invalid("email", "email is required");
  const size_t at = v.find('@');
  const bool shaped = at != std::string::npos && at > 0 &&
                      v.find('@', at + 1) == std::string::npos && v.size() <= kMaxEmailBytes &&
                      v.find(' ') == std::string::npos && !HasControl(v);
  const std::string domain = shaped ? v.substr(at + 1) : "";
  const size_t dot = domain.find('.');
  if (!shaped || dot == std::string::npos || dot == 0 || domain.back() == '.') {
    return Error::Invalid("email", "email must be an address like billing@example.com, got '" +
                                       raw.substr(0, 80) + "'");
  }
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return v;
}

Result<std::string> CheckOneOf(const std::string& raw, const char* field,
                               std::span<const std::string_view> allowed) {
  std::string v = Trimmed(raw);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::tolower(ch); });
  for (std::string_view a : allowed) {
    if (v == a) return v;
  }
  std::string list;
  for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  return Error::Invalid(field, std::string(field) + " must be one of " + list);
}

Result<std::string> CheckCurrency(const std::string& raw) {
  std::string v = Trimmed(raw);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::toupper(ch); });
  if (!FindCurrency(v)) {
    return Error::Invalid("currency",
                          "currency must be a supported ISO 4217 code (USD, EUR, ...), got '" +
                              raw.substr(0, 16) + "'");
  }
  return v;
}

Status CheckTaxRate(const std::optional<int>& bp) {
  if (bp && (*bp < 0 || *bp > 10'000)) {
    return Error::Invalid("taxRate", "taxRate must be between 0% and 100%");
  }
  return OkStatus();
}

Status CheckTerms(int days) {
  if (days < 1 || days > 365) {
    return Error::Invalid("paymentTermsDays", "paymentTermsDays must be between 1 and 365");
  }
  return OkStatus();
}

std::string CustomerIdOf(int64_t n) {
  std::string digits = std::to_string(n);
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  std::string id = "CUST-";
  id += digits;
  return id;
}

}  // namespace

Result<CustomerChange> BillingService::CreateCustomer(const NewCustomer& request) {
  Customer c;
  BILLING_ASSIGN_OR_RETURN(c.company, CheckName(request.company, "company", true));
  BILLING_ASSIGN_OR_RETURN(c.email, CheckEmail(request.email));
  BILLING_ASSIGN_OR_RETURN(c.contact_name, CheckName(request.contact_name, "contactName", false));
  BILLING_ASSIGN_OR_RETURN(c.billing_cycle,
                           CheckOneOf(request.billing_cycle, "billingCycle", kBillingCycles));
  BILLING_ASSIGN_OR_RETURN(c.payment_method,
                           CheckOneOf(request.payment_method, "paymentMethod", kPaymentMethods));
  BILLING_ASSIGN_OR_RETURN(c.currency, CheckCurrency(request.currency));
  BILLING_ASSIGN_OR_RETURN(c.locale, CheckOneOf(request.locale, "locale", kLocales));
  BILLING_TRY(CheckTaxRate(request.tax_rate_bp));
  BILLING_TRY(CheckTerms(request.payment_terms_days));
  c.tax_rate_bp = request.tax_rate_bp;
  c.payment_terms_days = request.payment_terms_days;
  c.status = "active";
  std::string fingerprint;
  if (!request.operation_key.empty()) {
    BILLING_ASSIGN_OR_RETURN(
        fingerprint,
        Fingerprint({c.company, c.email, c.contact_name, c.billing_cycle, c.payment_method,
                     c.currency, c.locale, c.tax_rate_bp ? std::to_string(*c.tax_rate_bp) : "-",
                     std::to_string(c.payment_terms_days)}));
  }
  CustomerChange out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = CustomerChange{};  // a re-run (store.h) starts from nothing
    if (!request.operation_key.empty()) {
      BILLING_ASSIGN_OR_RETURN(auto prior,
                               PriorOperation(tx, request.operation_key, "customer", fingerprint));
      if (prior) {
        BILLING_ASSIGN_OR_RETURN(out.customer, RequireCustomer(tx, prior->entity_id, "customerId"));
        out.replayed = true;
        return OkStatus();
      }
    }
    Customer created = c;
    // The next number not in use: customers loaded by other means (an import, a test) may hold
    // some; skipped, never reused.
    for (int64_t skips = 0;; ++skips) {
      if (skips == kMaxCustomerSkips) {
        return Error::Internal("no free customer number after " +
                               std::to_string(kMaxCustomerSkips) + " tries");
      }
      BILLING_ASSIGN_OR_RETURN(int64_t n, tx.NextCustomerNumber());
      created.id = CustomerIdOf(n);
      BILLING_ASSIGN_OR_RETURN(std::optional<Customer> taken, tx.FindCustomer(created.id));
      if (!taken) break;
    }
    created.created_at = clock_.NowIso8601();
    BILLING_TRY(tx.InsertCustomer(created));
    const nlohmann::json after = CustomerAuditJson(created);
    BILLING_TRY(Emit(tx, "customer.created", "customer", created.id, after, request.request_id,
                     request.idempotency_key));
    BILLING_TRY(Audit(tx, Change(request.actor, request.request_id, "customer.create", "customer",
                                 created.id, nullptr, after)));
    if (!request.operation_key.empty()) {
      BILLING_TRY(RecordOperation(tx, request.operation_key, "customer", fingerprint, created.id));
    }
    out.customer = std::move(created);
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<CustomerChange> BillingService::UpdateCustomer(const CustomerUpdate& update) {
  // Every value is checked before the transaction: a bad one changes nothing.
  std::optional<std::string> company, email, contact, cycle, method, currency, locale;
  if (update.company) {
    BILLING_ASSIGN_OR_RETURN(company, CheckName(*update.company, "company", true));
  }
  if (update.email) {
    BILLING_ASSIGN_OR_RETURN(email, CheckEmail(*update.email));
  }
  if (update.contact_name) {
    BILLING_ASSIGN_OR_RETURN(contact, CheckName(*update.contact_name, "contactName", false));
  }
  if (update.billing_cycle) {
    BILLING_ASSIGN_OR_RETURN(cycle,
                             CheckOneOf(*update.billing_cycle, "billingCycle", kBillingCycles));
  }
  if (update.payment_method) {
    BILLING_ASSIGN_OR_RETURN(method,
                             CheckOneOf(*update.payment_method, "paymentMethod", kPaymentMethods));
  }
  if (update.currency) {
    BILLING_ASSIGN_OR_RETURN(currency, CheckCurrency(*update.currency));
  }
  if (update.locale) {
    BILLING_ASSIGN_OR_RETURN(locale, CheckOneOf(*update.locale, "locale", kLocales));
  }
  if (update.tax_rate_bp) BILLING_TRY(CheckTaxRate(*update.tax_rate_bp));
  if (update.payment_terms_days) BILLING_TRY(CheckTerms(*update.payment_terms_days));
  const bool any = company || email || contact || cycle || method || currency || locale ||
                   update.tax_rate_bp || update.payment_terms_days;
  if (!any) {
    return Error::Invalid("fields",
                          "nothing to update: give at least one of company, email, contactName, "
                          "billingCycle, paymentMethod, currency, locale, taxRate, "
                          "paymentTermsDays");
  }
  CustomerChange out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = CustomerChange{};
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, update.customer_id, "customerId"));
    const Customer before = c;
    auto set = [&](auto& field, const auto& value, const char* name) {
      if (value && field != *value) {
        field = *value;
        out.changed.push_back(name);
      }
    };
    set(c.company, company, "company");
    set(c.email, email, "email");
    set(c.contact_name, contact, "contactName");
    set(c.billing_cycle, cycle, "billingCycle");
    set(c.payment_method, method, "paymentMethod");
    set(c.currency, currency, "currency");
    set(c.locale, locale, "locale");
    set(c.tax_rate_bp, update.tax_rate_bp, "taxRate");
    set(c.payment_terms_days, update.payment_terms_days, "paymentTermsDays");
    out.customer = c;
    if (out.changed.empty()) return OkStatus();
    if (c.currency != before.currency) {
      BILLING_ASSIGN_OR_RETURN(bool has_records, tx.CustomerHasRecords(c.id));
      if (has_records) {
        return Error::Precondition("Customer " + c.id + " already has invoices, payments or " +
                                       "subscriptions in " + before.currency +
                                       "; its currency can no longer change",
                                   "currency");
      }
    }
    BILLING_TRY(tx.UpdateCustomer(c));
    const nlohmann::json before_json = CustomerAuditJson(before);
    nlohmann::json after = CustomerAuditJson(c);
    nlohmann::json previous = nlohmann::json::object();
    for (const std::string& name : out.changed) {
      const std::string key = name == "taxRate" ? "taxRateBp" : name;
      previous[key] = before_json[key];
    }
    nlohmann::json data = after;
    data["previousAttributes"] = previous;
    BILLING_TRY(Emit(tx, "customer.updated", "customer", c.id, data, update.request_id,
                     update.idempotency_key));
    BILLING_TRY(Audit(tx, Change(update.actor, update.request_id, "customer.update", "customer",
                                 c.id, before_json, after)));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<CustomerChange> BillingService::SetCustomerSuspended(const std::string& customer_id,
                                                            bool suspended, const Actor& actor,
                                                            const std::string& request_id,
                                                            const std::string& idempotency_key) {
  const std::string status = suspended ? "suspended" : "active";
  CustomerChange out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    out = CustomerChange{};
    BILLING_ASSIGN_OR_RETURN(Customer c, RequireCustomer(tx, customer_id, "customerId"));
    if (c.status == status) {
      return Error::Precondition("Customer " + c.id + " (" + c.company + ") is already " +
                                     (suspended ? "suspended" : "active"),
                                 "customerId");
    }
    const nlohmann::json before = CustomerAuditJson(c);
    BILLING_TRY(tx.SetCustomerStatus(c.id, status));
    c.status = status;
    // By hand either way: dunning no longer owns the state (a suspension by hand stays until
    // lifted by hand; one lifted by hand is not lifted again when the debt is paid).
    BILLING_ASSIGN_OR_RETURN(std::optional<DunningCase> dcase, tx.FindDunningCase(c.id));
    if (dcase && dcase->suspended_by_dunning) {
      dcase->suspended_by_dunning = false;
      BILLING_TRY(tx.PutDunningCase(*dcase));
    }
    nlohmann::json after = CustomerAuditJson(c);
    after["reason"] = "manual";
    BILLING_TRY(Emit(tx, suspended ? "customer.suspended" : "customer.reinstated", "customer", c.id,
                     after, request_id, idempotency_key));
    BILLING_TRY(
        Audit(tx, Change(actor, request_id, suspended ? "customer.suspend" : "customer.reinstate",
                         "customer", c.id, before, after)));
    out.customer = std::move(c);
    out.changed = {"status"};
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace billing
