// The sample data of billing-rules.md, loaded into an empty database on first start. Balances are
// not typed in: they come out of the ledger (invoices, payments, one opening balance).
#include "billing/audit.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "billing/transaction_id.h"

namespace billing {
namespace {

struct SeedInvoice {
  const char* customer;
  const char* currency;    // the customer's
  int64_t subtotal_cents;  // minor units; chosen so that subtotal + 8% tax (half-up) is the total
  int64_t total_cents;
  const char* status;
  const char* issue;
  const char* due;
  const char* description;
  const char* paid_date;  // paid invoices: when, and how
  const char* paid_method;
};

struct SeedPayment {
  const char* customer;
  const char* currency;  // the customer's
  const char* invoice;
  int64_t amount_cents;
  const char* method;
  const char* status;
  const char* failure;
  const char* created_at;
};

}  // namespace

Status BillingService::SeedIfEmpty() {
  return store_.Write([&](StoreTx& tx) -> Status {
    nlohmann::json loaded = nlohmann::json::object();
    BILLING_ASSIGN_OR_RETURN(int64_t count, tx.CountCustomers());
    if (count == 0) BILLING_TRY(SeedLedger(tx, &loaded));
    // The sample plans (automated-billing.md) whenever there are none, so that a database seeded
    // before plans existed gets them too.
    BILLING_ASSIGN_OR_RETURN(std::vector<Plan> plans, tx.ListPlans(1));
    if (plans.empty()) {
      const Plan sample[] = {
          {"PLAN-BASIC", "Basic", 4900, "USD", "monthly", true, "2026-01-01T00:00:00.000Z"},
          {"PLAN-PREMIUM", "Premium Plan", 19900, "USD", "monthly", true,
           "2026-01-01T00:00:00.000Z"},
          {"PLAN-PREMIUM-ANNUAL", "Premium Annual", 199000, "USD", "annual", true,
           "2026-01-01T00:00:00.000Z"},
      };
      loaded["plans"] = nlohmann::json::array();
      for (const Plan& p : sample) {
        BILLING_TRY(tx.InsertPlan(p));
        loaded["plans"].push_back({{"id", p.id},
                                   {"name", p.name},
                                   {"priceCents", p.price_cents},
                                   {"currency", p.currency},
                                   {"interval", p.interval}});
      }
    }
    // The sample coupon (WELCOME10: 10% off one invoice), likewise whenever there are none.
    BILLING_ASSIGN_OR_RETURN(std::vector<Coupon> coupons, tx.ListCoupons(1));
    if (coupons.empty()) {
      Coupon welcome;
      welcome.code = "WELCOME10";
      welcome.name = "Welcome: 10% off the first invoice";
      welcome.percent_off_bp = 1000;
      welcome.duration = "once";
      welcome.created_at = "2026-01-01T00:00:00.000Z";
      welcome.created_by = "seed";
      BILLING_TRY(tx.InsertCoupon(welcome));
      loaded["coupons"] = nlohmann::json::array(
          {{{"code", welcome.code}, {"percentOffBp", 1000}, {"duration", "once"}}});
    }
    if (loaded.empty()) return OkStatus();
    // The sample data is audited as one row, so the log accounts for every record loaded.
    AuditEntry e;
    e.actor = "seed";
    e.action = count == 0 ? "seed.load" : "seed.samples";
    e.entity_type = "ledger";
    e.after_json = AuditDump(loaded);
    return Audit(tx, std::move(e));
  });
}

Status BillingService::SeedLedger(StoreTx& tx, nlohmann::json* loaded_out) {
  {
    const Customer customers[] = {
        {"CUST-001", "TechCorp Inc.", "Alice Johnson", "billing@techcorp.example", "monthly",
         "credit_card", "active", "USD", std::nullopt, 0, "2024-01-15T09:00:00.000Z"},
        {"CUST-002", "StartupHub LLC", "Bob Smith", "accounts@startuphub.example", "quarterly",
         "bank_transfer", "active", "USD", std::nullopt, 0, "2024-03-01T09:00:00.000Z"},
        {"CUST-003", "Global Solutions Ltd.", "Carol White", "finance@globalsolutions.example",
         "monthly", "credit_card", "active", "USD", std::nullopt, 0, "2024-05-20T09:00:00.000Z"},
        {"CUST-004", "Digital Agency Pro", "Dan Brown", "ap@digitalagency.example", "monthly",
         "paypal", "suspended", "USD", std::nullopt, 120000, "2024-07-10T09:00:00.000Z"},
        // One customer in euros and one in yen (automated-billing.md "Multi-currency"); each
        // has paid its one invoice, so the outstanding balances above are unchanged.
        {"CUST-005", "Nordwind GmbH", "Eva Schmidt", "rechnung@nordwind.example", "monthly",
         "bank_transfer", "active", "EUR", std::nullopt, 0, "2025-02-03T09:00:00.000Z"},
        {"CUST-006", "Sakura Trading K.K.", "Kenji Sato", "accounts@sakuratrading.example",
         "quarterly", "credit_card", "active", "JPY", std::nullopt, 0,
         "2025-04-14T09:00:00.000Z"},
    };
    nlohmann::json loaded = {{"customers", nlohmann::json::array()},
                             {"invoices", nlohmann::json::array()},
                             {"payments", nlohmann::json::array()}};
    for (const Customer& c : customers) {
      // Numbered as every new customer is (customer_service.cc), so the next one follows them.
      BILLING_ASSIGN_OR_RETURN(int64_t n, tx.NextCustomerNumber());
      if (c.id != "CUST-00" + std::to_string(n)) {
        return Error::Internal("seed: customer number " + std::to_string(n) + " for " + c.id);
      }
      BILLING_TRY(tx.InsertCustomer(c));
      loaded["customers"].push_back(c.id);
    }

    const SeedInvoice invoices[] = {
        {"CUST-001", "USD", 226852, 245000, "pending", "2025-09-15", "2025-10-15",
         "Enterprise plan (monthly)", "", ""},
        {"CUST-002", "USD", 69444, 75000, "paid", "2025-09-01", "2025-10-01",
         "Growth plan (quarterly)", "2025-09-28", "bank_transfer"},
        {"CUST-003", "USD", 81065, 87550, "pending", "2025-08-31", "2025-09-30",
         "Professional services", "", ""},
        // EUR 1,500.00 + 8% = EUR 1,620.00; JPY 4,630 + 370 (8%, half-up, no decimals) = JPY 5,000.
        {"CUST-005", "EUR", 150000, 162000, "paid", "2025-09-10", "2025-10-10",
         "Analytics plan (monthly)", "2025-10-02", "bank_transfer"},
        {"CUST-006", "JPY", 4630, 5000, "paid", "2025-09-20", "2025-10-20",
         "Support plan (quarterly)", "2025-10-06", "credit_card"},
    };
    for (const SeedInvoice& s : invoices) {
      Invoice inv;
      inv.year = 2025;
      BILLING_ASSIGN_OR_RETURN(inv.seq, tx.NextInvoiceSeq(inv.year));
      inv.id = InvoiceId(inv.year, inv.seq);
      inv.customer_id = s.customer;
      inv.currency = s.currency;
      inv.items = {LineItem{s.description, 1000, s.subtotal_cents, s.subtotal_cents}};
      inv.subtotal_cents = s.subtotal_cents;
      inv.tax_rate_bp = kDefaultTaxRateBp;
      inv.tax_cents = TaxCents(s.subtotal_cents, inv.tax_rate_bp);
      inv.total_cents = inv.subtotal_cents + inv.tax_cents;
      assert(inv.total_cents == s.total_cents);
      inv.status = s.status;
      Date::Parse(s.issue, &inv.issue_date);
      Date::Parse(s.due, &inv.due_date);
      inv.created_at = std::string(s.issue) + "T09:00:00.000Z";
      inv.created_by = "seed";
      if (inv.status == "paid") {
        inv.paid_date = s.paid_date;
        inv.payment_method = s.paid_method;
      }
      BILLING_TRY(tx.InsertInvoice(inv));
      // History from before dunning: never dunned (docs/collection.md).
      if (inv.status == "pending") BILLING_TRY(tx.SetOverdueState(inv.id, 2));
      loaded["invoices"].push_back(InvoiceAuditJson(inv));
    }

    const SeedPayment payments[] = {
        {"CUST-002", "USD", "INV-2025-002", 75000, "bank_transfer", "completed", "",
         "2025-09-28T14:30:00.000Z"},
        {"CUST-001", "USD", "INV-2025-001", 245000, "credit_card", "failed", "Card expired",
         "2025-10-16T08:15:00.000Z"},
        {"CUST-003", "USD", "INV-2025-003", 87550, "credit_card", "failed",
         "Card declined: insufficient funds", "2025-10-01T11:00:00.000Z"},
        {"CUST-004", "USD", "", 120000, "paypal", "failed", "PayPal account restricted",
         "2025-10-05T16:45:00.000Z"},
        {"CUST-005", "EUR", "INV-2025-004", 162000, "bank_transfer", "completed", "",
         "2025-10-02T10:00:00.000Z"},
        {"CUST-006", "JPY", "INV-2025-005", 5000, "credit_card", "completed", "",
         "2025-10-06T03:20:00.000Z"},
    };
    for (const SeedPayment& s : payments) {
      Payment p;
      BILLING_ASSIGN_OR_RETURN(p.number, tx.NextPaymentNumber());
      p.id = PaymentId(p.number);
      p.customer_id = s.customer;
      p.currency = s.currency;
      p.invoice_id = s.invoice;
      p.amount_cents = s.amount_cents;
      p.method = s.method;
      p.status = s.status;
      p.failure_reason = s.failure;
      p.transaction_id = NewTransactionId(ids_);
      p.created_at = s.created_at;
      p.actor = "seed";
      BILLING_TRY(tx.InsertPayment(p));
      if (p.status == "completed") {
        Allocation a{0, p.id, p.invoice_id, p.amount_cents, 0};
        BILLING_TRY(tx.InsertAllocation(a));
        p.allocations.push_back(a);
      }
      loaded["payments"].push_back(PaymentAuditJson(p));
    }
    loaded_out->update(loaded);
    return OkStatus();
  }
}

}  // namespace billing
