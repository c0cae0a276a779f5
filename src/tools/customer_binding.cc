// Customer-bound callers; see customer_binding.h.
#include "tools/customer_binding.h"

#include "billing/rules.h"

namespace billing {
namespace {

using nlohmann::json;

// The service's own words for an id that names nothing (service.cc RequireCustomer,
// ResolveInvoice, ...), so that another customer's record looks exactly absent.
Error Absent(OwnedKind kind, const std::string& raw_id) {
  const std::string id = CanonicalId(raw_id);
  switch (kind) {
    case OwnedKind::kCustomer:
      return Error::NotFound("Customer " + id + " not found", "customerId");
    case OwnedKind::kInvoice:
      if (auto n = DraftNumber(id)) {
        return Error::NotFound("Draft " + DraftId(*n) + " not found", "invoiceId");
      }
      return Error::NotFound("Invoice " + id + " not found", "invoiceId");
    case OwnedKind::kPayment:
      return Error::NotFound("Payment " + id + " not found", "paymentId");
    case OwnedKind::kSubscription:
      return Error::NotFound("Subscription " + id + " not found", "subscriptionId");
    case OwnedKind::kCreditNote:
      return Error::NotFound("Credit note " + id + " not found", "creditNoteId");
    case OwnedKind::kRefund:
      return Error::NotFound("Refund " + id + " not found", "refundId");
  }
  return Error::Internal("unknown record kind");
}

Result<std::string> OwnerOf(BillingService& service, OwnedKind kind, const std::string& id) {
  switch (kind) {
    case OwnedKind::kCustomer:
      return CanonicalId(id);
    case OwnedKind::kInvoice: {
      BILLING_ASSIGN_OR_RETURN(Invoice inv, service.GetInvoice(id));
      return inv.customer_id;
    }
    case OwnedKind::kPayment: {
      BILLING_ASSIGN_OR_RETURN(Payment p, service.GetPayment(id));
      return p.customer_id;
    }
    case OwnedKind::kSubscription: {
      BILLING_ASSIGN_OR_RETURN(SubscriptionView v, service.GetSubscription(id));
      return v.subscription.customer_id;
    }
    case OwnedKind::kCreditNote: {
      BILLING_ASSIGN_OR_RETURN(CreditNote cn, service.GetCreditNote(id));
      return cn.customer_id;
    }
    case OwnedKind::kRefund: {
      BILLING_ASSIGN_OR_RETURN(Refund r, service.GetRefund(id));
      BILLING_ASSIGN_OR_RETURN(Payment p, service.GetPayment(r.payment_id));
      return p.customer_id;
    }
  }
  return Error::Internal("unknown record kind");
}

Error SpansCustomers(const std::string& what) {
  return Error(ErrorCode::kPermissionDenied,
               "A customer-bound caller cannot " + what + ": it acts for one customer only");
}

// The field `name` of `args` when present: it must name `customer` or a record of it.
Status CheckField(BillingService& service, const json& args, const char* name, OwnedKind kind,
                  const std::string& customer) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_string() || it->get<std::string>().empty()) return OkStatus();
  return RequireOwned(service, kind, it->get<std::string>(), customer);
}

// The customerId of `args`: checked when given, else set to the caller's customer.
Status BindCustomerField(json& args, const std::string& customer) {
  auto it = args.find("customerId");
  if (it != args.end() && it->is_string() && !it->get<std::string>().empty()) {
    if (CanonicalId(it->get<std::string>()) != customer) {
      return Absent(OwnedKind::kCustomer, it->get<std::string>());
    }
    return OkStatus();
  }
  args["customerId"] = customer;
  return OkStatus();
}

}  // namespace

Status RequireOwned(BillingService& service, OwnedKind kind, const std::string& id,
                    const std::string& customer) {
  Result<std::string> owner = OwnerOf(service, kind, id);
  // A short id that matches several records would name them, other customers' among them.
  if (!owner.ok() && owner.error().code == ErrorCode::kAmbiguous) return Absent(kind, id);
  if (!owner.ok()) return owner.error();
  if (*owner != customer) return Absent(kind, id);
  return OkStatus();
}

Result<json> BindToolInput(BillingService& service, std::string_view tool_id, json args,
                           const std::string& customer) {
  const std::string action = args.value("action", std::string());
  if (tool_id == "get-customer") {
    // One customer's view; a list is the caller's own customer.
    BILLING_TRY(BindCustomerField(args, customer));
    return args;
  }
  if (tool_id == "manage-customers") {
    if (action == "create") return SpansCustomers("create customers");
    BILLING_TRY(BindCustomerField(args, customer));
    return args;
  }
  if (tool_id == "manage-invoices") {
    if (action == "create_coupon" || action == "archive_coupon") {
      return SpansCustomers("change coupons, which every customer uses");
    }
    if (action == "list_coupons") return args;
    if (action == "create" || action == "list") {
      BILLING_TRY(BindCustomerField(args, customer));
      return args;
    }
    BILLING_TRY(CheckField(service, args, "invoiceId", OwnedKind::kInvoice, customer));
    return args;
  }
  if (tool_id == "process-payment") {
    if (action == "refund") {
      BILLING_TRY(CheckField(service, args, "paymentId", OwnedKind::kPayment, customer));
      return args;
    }
    BILLING_TRY(BindCustomerField(args, customer));
    BILLING_TRY(CheckField(service, args, "invoiceId", OwnedKind::kInvoice, customer));
    return args;
  }
  if (tool_id == "manage-subscriptions") {
    if (action == "list_plans") return args;
    if (action == "create_plan") return SpansCustomers("create plans, which every customer uses");
    if (action == "renewals" || action == "dunning") {
      return SpansCustomers("list " + action + " across customers");
    }
    if (action == "create" || action == "list") {
      BILLING_TRY(BindCustomerField(args, customer));
      return args;
    }
    BILLING_TRY(CheckField(service, args, "subscriptionId", OwnedKind::kSubscription, customer));
    return args;
  }
  if (tool_id == "billing-reports") {
    // The aging and lifetime value of its own customer; the other reports are the company's.
    if (action == "aging" || action == "ltv") {
      BILLING_TRY(BindCustomerField(args, customer));
      return args;
    }
    return SpansCustomers("read the company's " + action + " report");
  }
  // A tool this file does not know reaches nothing for a bound caller.
  return SpansCustomers("use " + std::string(tool_id));
}

}  // namespace billing
