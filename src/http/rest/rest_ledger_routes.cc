// REST v1 routes of the ledger: customers, invoices, credit notes, payments and refunds (see
// rest_api.h). Writes name a tool action; reads call a BillingService read and render it with
// the tools' views.
#include "billing/rules.h"
#include "http/rest/rest_api.h"
#include "money/money.h"
#include "tools/billing_tool.h"

namespace billing::http::rest {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

const std::vector<std::string> kPaymentMethods = {"credit_card", "bank_transfer", "paypal",
                                                  "crypto"};

std::string Param(const RestCall& call, const char* name) {
  return call.query.value(name, std::string());
}

template <typename Rows, typename Render>
json RenderAll(const Rows& rows, const Render& render) {
  json out = json::array();
  for (const auto& row : rows) out.push_back(render(row));
  return out;
}

Result<json> ReadCustomer(RestCall& call, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(CustomerView v, call.service.GetCustomer(id));
  return CustomerJson(v, call.service.Today(), /*detail=*/true, call.default_tax_rate_bp);
}

Result<json> RefetchCustomer(RestCall& call, const json& object) {
  return ReadCustomer(call, object.value("id", std::string()));
}

const std::vector<std::string> kCustomerFields = {
    "company",  "email",  "contactName", "billingCycle",    "paymentMethod",
    "currency", "locale", "taxRate",     "paymentTermsDays"};

void AddCustomerRoutes(std::vector<RestRoute>& routes) {
  routes.push_back(
      {bhttp::verb::post,
       "/api/v1/customers",
       "createCustomer",
       "Create a customer (CUST-<n>)",
       "Customers",
       "customer",
       false,
       {},
       ToolAction{
           "manage-customers", "create", "", kCustomerFields, "customer", {}, RefetchCustomer}});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/customers/{id}",
                    "retrieveCustomer",
                    "Retrieve a customer with its balance, open invoices, recent payments and "
                    "stored cards",
                    "Customers",
                    "customer",
                    false,
                    {},
                    std::nullopt,
                    [](RestCall& call) { return ReadCustomer(call, call.path_params[0]); }});
  routes.push_back({bhttp::verb::post,
                    "/api/v1/customers/{id}",
                    "updateCustomer",
                    "Update a customer (POST or PATCH)",
                    "Customers",
                    "customer",
                    false,
                    {},
                    ToolAction{"manage-customers",
                               "update",
                               "customerId",
                               kCustomerFields,
                               "customer",
                               {},
                               RefetchCustomer}});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/customers",
                    "listCustomers",
                    "List customers by id",
                    "Customers",
                    "customer",
                    true,
                    {{"status", "Only customers in this status", {"active", "suspended"}},
                     {"billingCycle",
                      "Only customers on this billing cycle",
                      {"monthly", "quarterly", "annual"}},
                     {"paymentMethod", "Only customers paying this way", kPaymentMethods},
                     {"currency", "Only customers billed in this currency (ISO 4217)", {}}},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      const Date today = call.service.Today();
                      if (!call.context.bound_customer.empty()) {
                        // A customer-bound caller's list is its own customer
                        // (tools/customer_binding.h).
                        if (!call.page.starting_after.empty()) return json::array();
                        BILLING_ASSIGN_OR_RETURN(
                            CustomerView v, call.service.GetCustomer(call.context.bound_customer));
                        return json::array(
                            {CustomerJson(v, today, false, call.default_tax_rate_bp)});
                      }
                      CustomerQuery q;
                      q.status = Param(call, "status");
                      q.billing_cycle = Param(call, "billingCycle");
                      q.payment_method = Param(call, "paymentMethod");
                      q.currency = CanonicalId(Param(call, "currency"));
                      BILLING_ASSIGN_OR_RETURN(std::vector<CustomerView> rows,
                                               call.service.CustomerPage(q, call.page));
                      return RenderAll(rows, [&](const CustomerView& v) {
                        return CustomerJson(v, today, false, call.default_tax_rate_bp);
                      });
                    }});
  routes.push_back(
      {bhttp::verb::post,
       "/api/v1/customers/{id}/suspend",
       "suspendCustomer",
       "Suspend a customer: no new invoices or subscriptions, no renewals",
       "Customers",
       "customer",
       false,
       {},
       ToolAction{
           "manage-customers", "suspend", "customerId", {}, "customer", {}, RefetchCustomer}});
  routes.push_back(
      {bhttp::verb::post,
       "/api/v1/customers/{id}/reinstate",
       "reinstateCustomer",
       "Reinstate a suspended customer",
       "Customers",
       "customer",
       false,
       {},
       ToolAction{
           "manage-customers", "reinstate", "customerId", {}, "customer", {}, RefetchCustomer}});
}

Result<json> ReadInvoice(RestCall& call, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(Invoice inv, call.service.GetInvoice(id));
  return InvoiceJson(inv, call.service.Today());
}

// POST /invoices/{id}/pay: a payment of the invoice's customer for what it still owes (or the
// amount given), applied to that invoice.
Status PrepareInvoicePayment(RestCall& call, json& input) {
  BILLING_ASSIGN_OR_RETURN(Invoice inv, call.service.GetInvoice(input.value("invoiceId", "")));
  input["invoiceId"] = inv.id;
  input["customerId"] = inv.customer_id;
  if (!input.contains("amount")) {
    if (AmountDueCents(inv) <= 0) {
      return Error::Precondition("Invoice " + inv.id + " owes nothing (status " + inv.status + ")",
                                 "invoiceId");
    }
    input["amount"] = FormatDecimal(AmountDueCents(inv), CurrencyOrUsd(inv.currency).exponent);
  }
  return OkStatus();
}

void AddInvoiceRoutes(std::vector<RestRoute>& routes) {
  routes.push_back({bhttp::verb::post,
                    "/api/v1/invoices",
                    "createInvoice",
                    "Create an invoice (INV-<year>-<seq>, tax added), or a draft with draft: true",
                    "Invoices",
                    "invoice",
                    false,
                    {},
                    ToolAction{"manage-invoices",
                               "create",
                               "",
                               {"customerId", "items", "amount", "description", "draft",
                                "couponCode", "dueDate", "notes"},
                               "invoice"}});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/invoices/{id}",
                    "retrieveInvoice",
                    "Retrieve an invoice or a draft",
                    "Invoices",
                    "invoice",
                    false,
                    {},
                    std::nullopt,
                    [](RestCall& call) { return ReadInvoice(call, call.path_params[0]); }});
  routes.push_back({bhttp::verb::post,
                    "/api/v1/invoices/{id}",
                    "updateInvoice",
                    "Update an invoice's due date or notes, or a draft's lines and coupon (POST "
                    "or PATCH)",
                    "Invoices",
                    "invoice",
                    false,
                    {},
                    ToolAction{"manage-invoices",
                               "update",
                               "invoiceId",
                               {"items", "amount", "description", "dueDate", "notes", "couponCode"},
                               "invoice"}});
  routes.push_back(
      {bhttp::verb::get,
       "/api/v1/invoices",
       "listInvoices",
       "List invoices, oldest due first (status draft: drafts by number)",
       "Invoices",
       "invoice",
       true,
       {{"customer", "Only this customer's invoices (CUST-001)", {}},
        {"status",
         "Only invoices in this status (overdue: pending and past due)",
         {"pending", "paid", "overdue", "cancelled", "draft"}}},
       std::nullopt,
       [](RestCall& call) -> Result<json> {
         BILLING_ASSIGN_OR_RETURN(
             std::vector<Invoice> rows,
             call.service.InvoicePage(Param(call, "customer"), Param(call, "status"), call.page));
         const Date today = call.service.Today();
         return RenderAll(rows, [&](const Invoice& inv) { return InvoiceJson(inv, today); });
       }});
  routes.push_back({bhttp::verb::post,
                    "/api/v1/invoices/{id}/finalize",
                    "finalizeInvoice",
                    "Finalize a draft: it gets its number, date and tax",
                    "Invoices",
                    "invoice",
                    false,
                    {},
                    ToolAction{"manage-invoices", "finalize", "invoiceId", {}, "invoice"}});
  routes.push_back({bhttp::verb::post,
                    "/api/v1/invoices/{id}/cancel",
                    "cancelInvoice",
                    "Cancel an unpaid invoice",
                    "Invoices",
                    "invoice",
                    false,
                    {},
                    ToolAction{"manage-invoices", "cancel", "invoiceId", {}, "invoice"}});
  routes.push_back(
      {bhttp::verb::post,
       "/api/v1/invoices/{id}/mark-paid",
       "markInvoicePaid",
       "Record a payment received outside the system for what the invoice still "
       "owes",
       "Invoices",
       "invoice",
       false,
       {},
       ToolAction{"manage-invoices", "mark_paid", "invoiceId", {"paymentMethod"}, "invoice"}});
  routes.push_back({bhttp::verb::post,
                    "/api/v1/invoices/{id}/pay",
                    "payInvoice",
                    "Charge a payment for the invoice (by default what it still owes)",
                    "Invoices",
                    "payment",
                    false,
                    {},
                    ToolAction{"process-payment",
                               "process",
                               "invoiceId",
                               {"amount", "paymentMethod", "card", "paymentMethodId", "currency"},
                               "payment",
                               PrepareInvoicePayment}});
  routes.push_back({bhttp::verb::delete_,
                    "/api/v1/invoices/{id}",
                    "deleteDraft",
                    "Delete a draft (a finalized invoice is cancelled instead)",
                    "Invoices",
                    "invoice",
                    false,
                    {},
                    ToolAction{"manage-invoices", "delete", "invoiceId", {}, "invoice"}});

  routes.push_back({bhttp::verb::post,
                    "/api/v1/credit-notes",
                    "createCreditNote",
                    "Credit an amount or lines of a finalized invoice (CN-<year>-<seq>)",
                    "Credit notes",
                    "credit_note",
                    false,
                    {},
                    ToolAction{"manage-invoices",
                               "credit_note",
                               "",
                               {"invoiceId", "amount", "lines", "refundTo", "reason"},
                               "creditNote"}});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/credit-notes/{id}",
                    "retrieveCreditNote",
                    "Retrieve a credit note",
                    "Credit notes",
                    "credit_note",
                    false,
                    {},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      BILLING_ASSIGN_OR_RETURN(CreditNote cn,
                                               call.service.GetCreditNote(call.path_params[0]));
                      return CreditNoteJson(cn);
                    }});
  routes.push_back(
      {bhttp::verb::get,
       "/api/v1/credit-notes",
       "listCreditNotes",
       "List credit notes by number",
       "Credit notes",
       "credit_note",
       true,
       {{"invoice", "Only this invoice's credit notes", {}}},
       std::nullopt,
       [](RestCall& call) -> Result<json> {
         BILLING_ASSIGN_OR_RETURN(std::vector<CreditNote> rows,
                                  call.service.CreditNotePage(Param(call, "invoice"), call.page));
         return RenderAll(rows, [](const CreditNote& cn) { return CreditNoteJson(cn); });
       }});
}

void AddPaymentRoutes(std::vector<RestRoute>& routes) {
  routes.push_back({bhttp::verb::post,
                    "/api/v1/payments",
                    "createPayment",
                    "Charge a payment: applied to the invoice named, else to open invoices "
                    "oldest first; a decline answers 402 with the failed payment",
                    "Payments",
                    "payment",
                    false,
                    {},
                    ToolAction{"process-payment",
                               "process",
                               "",
                               {"customerId", "amount", "paymentMethod", "invoiceId", "card",
                                "paymentMethodId", "currency"},
                               "payment"}});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/payments/{id}",
                    "retrievePayment",
                    "Retrieve a payment with its allocations",
                    "Payments",
                    "payment",
                    false,
                    {},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      BILLING_ASSIGN_OR_RETURN(Payment p,
                                               call.service.GetPayment(call.path_params[0]));
                      return PaymentJson(p);
                    }});
  routes.push_back(
      {bhttp::verb::get,
       "/api/v1/payments",
       "listPayments",
       "List payments, newest first",
       "Payments",
       "payment",
       true,
       {{"customer", "Only this customer's payments", {}},
        {"status",
         "Only payments in this status",
         {"completed", "failed", "refunded", "partially_refunded"}}},
       std::nullopt,
       [](RestCall& call) -> Result<json> {
         BILLING_ASSIGN_OR_RETURN(
             std::vector<Payment> rows,
             call.service.PaymentPage(Param(call, "customer"), Param(call, "status"), call.page));
         return RenderAll(rows, [](const Payment& p) { return PaymentJson(p); });
       }});
  routes.push_back(
      {bhttp::verb::post,
       "/api/v1/refunds",
       "createRefund",
       "Refund a completed payment in full or in part",
       "Refunds",
       "refund",
       false,
       {},
       ToolAction{"process-payment", "refund", "", {"paymentId", "amount", "reason"}, "refund"}});
  routes.push_back(
      {bhttp::verb::get,
       "/api/v1/refunds",
       "listRefunds",
       "List the refunds of a payment, oldest first",
       "Refunds",
       "refund",
       true,
       {{"payment", "The payment (required)", {}}},
       std::nullopt,
       [](RestCall& call) -> Result<json> {
         const std::string payment = Param(call, "payment");
         if (payment.empty()) {
           return Error::Invalid("payment",
                                 "payment is required: the refunds of "
                                 "which payment (PAY-001)");
         }
         BILLING_ASSIGN_OR_RETURN(std::vector<Refund> rows, call.service.RefundsOfPayment(payment));
         BILLING_ASSIGN_OR_RETURN(Payment paid, call.service.GetPayment(payment));
         // A payment's refunds are few (each takes back part of it): paged here.
         json out = json::array();
         bool after = call.page.starting_after.empty();
         for (const Refund& r : rows) {
           if (after && int(out.size()) < call.page.limit) out.push_back(RefundJson(r, paid.currency));
           if (r.id == call.page.starting_after) after = true;
         }
         if (!after) {
           return Error::Invalid("startingAfter", "startingAfter names no refund of " + payment);
         }
         return out;
       }});
  routes.push_back({bhttp::verb::get,
                    "/api/v1/refunds/{id}",
                    "retrieveRefund",
                    "Retrieve a refund, in its payment's currency",
                    "Refunds",
                    "refund",
                    false,
                    {},
                    std::nullopt,
                    [](RestCall& call) -> Result<json> {
                      BILLING_ASSIGN_OR_RETURN(Refund r,
                                               call.service.GetRefund(call.path_params[0]));
                      BILLING_ASSIGN_OR_RETURN(Payment p, call.service.GetPayment(r.payment_id));
                      return RefundJson(r, p.currency);
                    }});
}

}  // namespace

void AddLedgerRoutes(std::vector<RestRoute>& routes) {
  AddCustomerRoutes(routes);
  AddInvoiceRoutes(routes);
  AddPaymentRoutes(routes);
}

}  // namespace billing::http::rest
