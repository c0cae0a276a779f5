// SQLite implementation of Store.
//
// Design: a bounded pool of connections to one WAL database (sqlite::ConnectionPool,
// store/sqlite/sqlite_util.h). Writers are committed in groups, one BEGIN IMMEDIATE transaction
// (and one fsync) each, so invoice and payment numbers are allocated without races; readers run
// concurrently on their own connections (WAL gives them a snapshot). synchronous=FULL makes every
// acknowledged commit durable. Each connection caches its prepared statements.
#include <sqlite3.h>

#include "store/sqlite/sqlite_cards.h"
#include "store/sqlite/sqlite_collection.h"
#include "store/sqlite/sqlite_credit_notes.h"
#include "store/sqlite/sqlite_logs.h"
#include "store/sqlite/sqlite_subscriptions.h"
#include "store/sqlite/sqlite_email.h"
#include "store/sqlite/sqlite_reports.h"
#include "store/sqlite/sqlite_webhooks.h"
#include "store/sqlite/sqlite_util.h"
#include "store/store.h"

namespace billing {
namespace {

using sqlite::Connection;
using sqlite::Stmt;

// Most rows the data can hold where a read is not paged (StepRows turns more into an error).
constexpr int64_t kMaxItemsPerInvoice = 100;     // BillingService's line-item limit
constexpr int64_t kMaxRowsPerPayment = 100'000;  // allocations or refunds of one payment
constexpr int64_t kMaxYears = 10'000;            // invoices sharing a sequence number (one a year)
constexpr int kMaxCurrencies = 1000;             // ISO 4217 has fewer than 200
// Ledger("") returns every customer's totals in one map; only invariant checks ask for it.
constexpr int64_t kMaxLedgerCustomers = 10'000'000;

// A stored date that does not parse is a corrupt row, not 1970-01-01.
Status ParseStoredDate(const std::string& text, const std::string& where, Date* out) {
  if (!Date::Parse(text, out))
    return Error::Internal("sqlite: corrupt date '" + text + "' in " + where);
  return OkStatus();
}

Status CheckPage(const PageSpec& page) {
  if (page.limit < 1 || page.limit > kMaxPageRows || page.offset < 0) {
    return Error::Internal("sqlite: page out of range (limit " + std::to_string(page.limit) +
                           ", offset " + std::to_string(page.offset) + ")");
  }
  return OkStatus();
}

constexpr const char* kCustomerCols =
    "SELECT id, company, contact_name, email, billing_cycle, payment_method, status, currency, "
    "tax_rate_bp, opening_balance_cents, created_at, locale, payment_terms_days FROM customers";

Customer ReadCustomer(const Stmt& st) {
  Customer c;
  c.id = st.Text(0);
  c.company = st.Text(1);
  c.contact_name = st.Text(2);
  c.email = st.Text(3);
  c.billing_cycle = st.Text(4);
  c.payment_method = st.Text(5);
  c.status = st.Text(6);
  c.currency = st.Text(7);
  if (!st.IsNull(8)) c.tax_rate_bp = int(st.Int(8));
  c.opening_balance_cents = st.Int(9);
  c.created_at = st.Text(10);
  c.locale = st.Text(11);
  c.payment_terms_days = int(st.Int(12));
  return c;
}

Payment ReadPayment(const Stmt& st) {
  Payment p;
  p.id = st.Text(0);
  p.number = st.Int(1);
  p.customer_id = st.Text(2);
  p.invoice_id = st.Text(3);
  p.amount_cents = st.Int(4);
  p.refunded_cents = st.Int(5);
  p.method = st.Text(6);
  p.status = st.Text(7);
  p.transaction_id = st.Text(8);
  p.failure_reason = st.Text(9);
  p.actor = st.Text(10);
  p.created_at = st.Text(11);
  p.payment_method_id = st.Text(12);
  p.card_brand = st.Text(13);
  p.card_last4 = st.Text(14);
  p.on_behalf_of = st.Text(15);
  p.applied_cents = st.Int(16);
  p.currency = st.Text(17);
  p.attempt = int(st.Int(18));
  return p;
}

#define PAYMENT_COLS                                                                              \
  "SELECT id, number, customer_id, invoice_id, amount_cents, refunded_cents, method, status, "    \
  "transaction_id, failure_reason, actor, created_at, payment_method_id, "                        \
  "COALESCE((SELECT brand FROM payment_methods m WHERE m.id = payments.payment_method_id), ''), " \
  "COALESCE((SELECT last4 FROM payment_methods m WHERE m.id = payments.payment_method_id), ''), " \
  "on_behalf_of, applied_cents, currency, attempt FROM payments"

#define INVOICE_COLS                                                                        \
  "SELECT i.id, i.year, i.seq, i.customer_id, c.company, i.subtotal_cents, i.tax_rate_bp, " \
  "i.tax_cents, i.total_cents, i.status, i.issue_date, i.due_date, i.notes, i.paid_date, "  \
  "i.payment_method, i.created_at, i.created_by, i.updated_by, "                            \
  "i.paid_cents, " /* kept by triggers (migration 010) */                                   \
  "i.created_on_behalf_of, i.updated_on_behalf_of, i.credited_cents, i.discount_cents, "    \
  "i.coupon_code, i.currency "                                                              \
  "FROM invoices i JOIN customers c ON c.id = i.customer_id"

Result<Invoice> ReadInvoice(const Stmt& st) {
  Invoice inv;
  inv.id = st.Text(0);
  inv.year = int(st.Int(1));
  inv.seq = int(st.Int(2));
  inv.customer_id = st.Text(3);
  inv.customer_name = st.Text(4);
  inv.subtotal_cents = st.Int(5);
  inv.tax_rate_bp = int(st.Int(6));
  inv.tax_cents = st.Int(7);
  inv.total_cents = st.Int(8);
  inv.status = st.Text(9);
  BILLING_TRY(ParseStoredDate(st.Text(10), "invoices/" + inv.id + ".issue_date", &inv.issue_date));
  BILLING_TRY(ParseStoredDate(st.Text(11), "invoices/" + inv.id + ".due_date", &inv.due_date));
  inv.notes = st.Text(12);
  inv.paid_date = st.Text(13);
  inv.payment_method = st.Text(14);
  inv.created_at = st.Text(15);
  inv.created_by = st.Text(16);
  inv.updated_by = st.Text(17);
  inv.paid_cents = st.Int(18);
  inv.created_on_behalf_of = st.Text(19);
  inv.updated_on_behalf_of = st.Text(20);
  inv.credited_cents = st.Int(21);
  inv.discount_cents = st.Int(22);
  inv.coupon_code = st.Text(23);
  inv.currency = st.Text(24);
  return inv;
}

// --- List queries ------------------------------------------------------------------------------
// For each combination of filters, one page statement and one totals statement with the same
// WHERE clause, so that a page and its totals always cover the same rows. Each combination has a
// statement text of its own (never "(?1 = '' OR col = ?1)", which makes SQLite scan instead of
// using an index); the texts live in function-local statics, since the statement cache is keyed
// by their address. Indexes that serve them: migration 012.

// Invoices. Parameters: ?1 customer id, ?2 today, ?3 after due date, ?4 after id, ?5 limit,
// ?6 offset, ?7 currency (no index: a filter on the rows the other terms select).
const char* InvoiceListSql(bool by_customer, InvoiceStatusFilter status, bool keyset, bool totals,
                           bool by_amount_due, bool by_currency) {
  constexpr int kStatuses = 6;
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    for (int shape = 0; shape < 2 * kStatuses * 2 * 2 * 2 * 2; ++shape) {
      const bool customer = shape & 1, after = shape & 2, sum = shape & 4, currency = shape & 8;
      const auto st = static_cast<InvoiceStatusFilter>((shape >> 4) % kStatuses);
      const bool most_due_first = (shape >> 4) >= kStatuses;
      std::vector<std::string> where;
      if (customer) where.push_back("i.customer_id = ?1");
      if (currency) where.push_back("i.currency = ?7");
      switch (st) {
        case InvoiceStatusFilter::kAll:
          break;
        case InvoiceStatusFilter::kOpen:
          where.push_back("i.status = 'pending'");
          break;
        case InvoiceStatusFilter::kPending:
          where.push_back("i.status = 'pending' AND i.due_date >= ?2");
          break;
        case InvoiceStatusFilter::kOverdue:
          where.push_back("i.status = 'pending' AND i.due_date < ?2");
          break;
        case InvoiceStatusFilter::kPaid:
          where.push_back("i.status = 'paid'");
          break;
        case InvoiceStatusFilter::kCancelled:
          where.push_back("i.status = 'cancelled'");
          break;
      }
      if (after) where.push_back("i.due_date >= ?3 AND (i.due_date > ?3 OR i.id > ?4)");
      std::string sql =
          sum ? "SELECT COUNT(*), COALESCE(SUM(i.total_cents), 0), "
                "COALESCE(SUM(CASE WHEN i.status = 'cancelled' OR "
                "i.paid_cents + i.credited_cents >= i.total_cents "
                "THEN 0 ELSE i.total_cents - i.credited_cents - i.paid_cents END), 0), "
                "COALESCE(SUM(CASE WHEN i.status = 'pending' AND i.due_date < ?2 THEN 1 ELSE 0 "
                "END), 0) FROM invoices i"
              : INVOICE_COLS;
      for (size_t k = 0; k < where.size(); ++k) sql += (k ? " AND " : " WHERE ") + where[k];
      // Most still due first sorts the matching invoices (rankings: "largest overdue invoice").
      if (!sum) {
        sql += most_due_first ? " ORDER BY i.total_cents - i.credited_cents - i.paid_cents DESC, "
                                "i.id LIMIT ?5 OFFSET ?6"
                              : " ORDER BY i.due_date, i.id LIMIT ?5 OFFSET ?6";
      }
      out.push_back(std::move(sql));
    }
    return out;
  }();
  const int shape = (by_customer ? 1 : 0) | (keyset ? 2 : 0) | (totals ? 4 : 0) |
                    (by_currency ? 8 : 0) |
                    ((static_cast<int>(status) + (by_amount_due ? kStatuses : 0)) << 4);
  assert(shape >= 0 && size_t(shape) < texts.size());
  return texts[size_t(shape)].c_str();
}

// Payments. Parameters: ?1 customer id, ?2 status, ?3 before number, ?4 limit, ?5 offset,
// ?8 currency (a filter, as the invoices'). A period ("this month"): ?6 from, ?7 until; newest
// first along payments_created_at.
const char* PaymentPeriodSql(bool by_customer, bool totals, bool by_currency) {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    for (int shape = 0; shape < 8; ++shape) {
      const bool customer = shape & 1, sum = shape & 2, currency = shape & 4;
      std::string sql = sum ? "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0), "
                              "COALESCE(SUM(CASE WHEN status <> 'failed' THEN amount_cents ELSE 0 "
                              "END), 0), COALESCE(SUM(refunded_cents), 0) FROM payments"
                            : PAYMENT_COLS;
      sql += customer ? " WHERE customer_id = ?1 AND created_at >= ?6 AND created_at < ?7"
                      : " WHERE created_at >= ?6 AND created_at < ?7";
      if (currency) sql += " AND currency = ?8";
      if (!sum) sql += " ORDER BY created_at DESC, number DESC LIMIT ?4 OFFSET ?5";
      out.push_back(std::move(sql));
    }
    return out;
  }();
  return texts[size_t((by_customer ? 1 : 0) | (totals ? 2 : 0) | (by_currency ? 4 : 0))].c_str();
}

const char* PaymentListSql(bool by_customer, bool by_status, bool keyset, bool totals,
                           bool by_currency) {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    for (int shape = 0; shape < 32; ++shape) {
      const bool customer = shape & 1, status = shape & 2, before = shape & 4, sum = shape & 8,
                 currency = shape & 16;
      std::vector<std::string> where;
      if (customer) where.push_back("customer_id = ?1");
      if (currency) where.push_back("currency = ?8");
      if (status) where.push_back("status = ?2");
      if (before) where.push_back("number < ?3");
      std::string sql = sum ? "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0), "
                              "COALESCE(SUM(CASE WHEN status <> 'failed' THEN amount_cents ELSE 0 "
                              "END), 0), COALESCE(SUM(refunded_cents), 0) FROM payments"
                            : PAYMENT_COLS;
      for (size_t k = 0; k < where.size(); ++k) sql += (k ? " AND " : " WHERE ") + where[k];
      if (!sum) sql += " ORDER BY number DESC LIMIT ?4 OFFSET ?5";
      out.push_back(std::move(sql));
    }
    return out;
  }();
  const int shape =
      (by_customer ? 1 : 0) | (by_status ? 2 : 0) | (keyset ? 4 : 0) | (totals ? 8 : 0) |
      (by_currency ? 16 : 0);
  return texts[size_t(shape)].c_str();
}

// Customers: one statement each (the list reads the customers in id order whatever the filters;
// the filters are on the customer row and on its running totals, one primary-key lookup each).
// Parameters: ?1 status, ?2 billing cycle, ?3 payment method, ?4 balance filter (0 any, 1 owing,
// 2 not owing), ?5 minimum balance (NULL = none), ?6 after id, ?7 limit, ?8 offset, ?9 currency
// ('' = any).
#define CUSTOMER_BALANCE \
  "(c.opening_balance_cents + t.invoiced_cents - t.paid_cents + t.refunded_cents)"
#define CUSTOMER_WHERE                                                                     \
  " FROM customers c JOIN customer_totals t ON t.customer_id = c.id WHERE c.id > ?6"       \
  " AND (?1 = '' OR c.status = ?1) AND (?2 = '' OR c.billing_cycle = ?2)"                  \
  " AND (?3 = '' OR c.payment_method = ?3) AND (?9 = '' OR c.currency = ?9)"               \
  " AND (?4 = 0 OR (?4 = 1 AND " CUSTOMER_BALANCE " > 0) OR (?4 = 2 AND " CUSTOMER_BALANCE \
  " <= 0)) AND (?5 IS NULL OR " CUSTOMER_BALANCE " >= ?5)"
constexpr const char* kCustomerPageSql =
    "SELECT c.id, c.company, c.contact_name, c.email, c.billing_cycle, c.payment_method, "
    "c.status, c.currency, c.tax_rate_bp, c.opening_balance_cents, c.created_at, c.locale, "
    "c.payment_terms_days, " CUSTOMER_BALANCE
        CUSTOMER_WHERE " ORDER BY c.id LIMIT ?7 OFFSET ?8";
// Rankings ("who owes the most"): the same rows, highest balance first (a sort over the matching
// customers).
constexpr const char* kCustomerPageByBalanceSql =
    "SELECT c.id, c.company, c.contact_name, c.email, c.billing_cycle, c.payment_method, "
    "c.status, c.currency, c.tax_rate_bp, c.opening_balance_cents, c.created_at, c.locale, "
    "c.payment_terms_days, " CUSTOMER_BALANCE
        CUSTOMER_WHERE " ORDER BY " CUSTOMER_BALANCE " DESC, c.id LIMIT ?7 OFFSET ?8";
constexpr const char* kCustomerTotalsSql =
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN " CUSTOMER_BALANCE " > 0 THEN " CUSTOMER_BALANCE
    " ELSE 0 END), 0), COALESCE(SUM(CASE WHEN " CUSTOMER_BALANCE " < 0 THEN -" CUSTOMER_BALANCE
    " ELSE 0 END), 0)" CUSTOMER_WHERE;
#undef CUSTOMER_WHERE
#undef CUSTOMER_BALANCE

class SqliteTx final : public StoreTx {
 public:
  explicit SqliteTx(Connection& conn) : conn_(conn) {}

  Result<std::optional<Customer>> FindCustomer(const std::string& id) override {
    static const std::string sql = std::string(kCustomerCols) + " WHERE id = ?1";
    PREPARE(st, sql.c_str());
    st.Bind(1, id);
    STEP_OR_RETURN(row, st);
    if (!row) return std::optional<Customer>();
    return std::optional<Customer>(ReadCustomer(st));
  }

  void BindCustomerQuery(Stmt& st, const CustomerQuery& q) {
    st.Bind(1, q.status).Bind(2, q.billing_cycle).Bind(3, q.payment_method);
    st.Bind(4, int64_t(!q.has_outstanding_balance ? 0 : *q.has_outstanding_balance ? 1 : 2));
    if (q.min_balance_cents) {
      st.Bind(5, *q.min_balance_cents);
    } else {
      st.BindNull(5);
    }
    st.Bind(6, q.after_id).Bind(9, q.currency);
  }

  Result<std::vector<CustomerRow>> ListCustomers(const CustomerQuery& q,
                                                 const PageSpec& page) override {
    BILLING_TRY(CheckPage(page));
    PREPARE(st, q.by_balance ? kCustomerPageByBalanceSql : kCustomerPageSql);
    BindCustomerQuery(st, q);
    st.Bind(7, int64_t(page.limit)).Bind(8, page.offset);
    std::vector<CustomerRow> out;
    BILLING_TRY(StepRows(st, page.limit, "a customer page", [&]() -> Status {
      out.push_back(CustomerRow{ReadCustomer(st), st.Int(13)});
      return OkStatus();
    }));
    return out;
  }

  Result<CustomerTotals> SumCustomers(const CustomerQuery& q) override {
    PREPARE(st, kCustomerTotalsSql);
    BindCustomerQuery(st, q);
    STEP_OR_RETURN(row, st);
    if (!row) return Error::Internal("sqlite: customer totals returned no row");
    return CustomerTotals{st.Int(0), st.Int(1), st.Int(2), q.currency};
  }

  Status InsertCustomer(const Customer& c) override {
    PREPARE(st,
            "INSERT INTO customers (id, company, contact_name, email, billing_cycle, "
            "payment_method, status, currency, tax_rate_bp, opening_balance_cents, created_at, "
            "locale, payment_terms_days) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)");
    st.Bind(1, c.id).Bind(2, c.company).Bind(3, c.contact_name).Bind(4, c.email);
    st.Bind(5, c.billing_cycle).Bind(6, c.payment_method).Bind(7, c.status).Bind(8, c.currency);
    if (c.tax_rate_bp) {
      st.Bind(9, int64_t(*c.tax_rate_bp));
    } else {
      st.BindNull(9);
    }
    st.Bind(10, c.opening_balance_cents).Bind(11, c.created_at).Bind(12, c.locale);
    st.Bind(13, int64_t(c.payment_terms_days));
    return st.Run();
  }

  Status UpdateCustomer(const Customer& c) override {
    PREPARE(st,
            "UPDATE customers SET company = ?2, contact_name = ?3, email = ?4, billing_cycle = ?5, "
            "payment_method = ?6, currency = ?7, tax_rate_bp = ?8, locale = ?9, "
            "payment_terms_days = ?10 WHERE id = ?1");
    st.Bind(1, c.id).Bind(2, c.company).Bind(3, c.contact_name).Bind(4, c.email);
    st.Bind(5, c.billing_cycle).Bind(6, c.payment_method).Bind(7, c.currency);
    if (c.tax_rate_bp) {
      st.Bind(8, int64_t(*c.tax_rate_bp));
    } else {
      st.BindNull(8);
    }
    st.Bind(9, c.locale).Bind(10, int64_t(c.payment_terms_days));
    BILLING_TRY(st.Run());
    if (sqlite3_changes(conn_.db()) != 1) return Error::Internal("sqlite: customer to update is gone");
    return OkStatus();
  }

  Result<int64_t> NextCustomerNumber() override { return NextCounter("customer"); }

  Result<bool> CustomerHasRecords(const std::string& id) override {
    PREPARE(st,
            "SELECT EXISTS (SELECT 1 FROM invoices WHERE customer_id = ?1) OR "
            "EXISTS (SELECT 1 FROM payments WHERE customer_id = ?1) OR "
            "EXISTS (SELECT 1 FROM subscriptions WHERE customer_id = ?1) OR "
            "EXISTS (SELECT 1 FROM invoice_drafts WHERE customer_id = ?1)");
    st.Bind(1, id);
    STEP_OR_RETURN(row, st);
    if (!row) return Error::Internal("sqlite: EXISTS returned no row");
    return st.Int(0) != 0;
  }

  Result<int64_t> CountCustomers() override {
    PREPARE(st, "SELECT COUNT(*) FROM customers");
    STEP_OR_RETURN(row, st);
    return row ? st.Int(0) : 0;
  }

  Result<std::vector<std::string>> CurrenciesInUse() override {
    // One probe of customers_currency per currency (migration 021), not a scan of the customers.
    std::vector<std::string> out;
    for (int k = 0;; ++k) {
      if (k > kMaxCurrencies) return Error::Internal("sqlite: more currencies than ISO 4217 has");
      PREPARE(st, "SELECT currency FROM customers WHERE currency > ?1 ORDER BY currency LIMIT 1");
      st.Bind(1, out.empty() ? std::string() : out.back());
      STEP_OR_RETURN(row, st);
      if (!row) return out;
      out.push_back(st.Text(0));
    }
  }

  Result<std::map<std::string, LedgerTotals>> Ledger(const std::string& customer_id) override {
    // Running totals kept by triggers (migration 008); CheckInvariants recomputes them. One
    // statement per shape: "(?1 = '' OR c.id = ?1)" would make SQLite scan every customer.
#define LEDGER_SQL                                                                          \
  "SELECT c.id, c.opening_balance_cents, t.invoiced_cents, t.paid_cents, t.refunded_cents " \
  "FROM customers c JOIN customer_totals t ON t.customer_id = c.id"
    PREPARE(st, customer_id.empty() ? LEDGER_SQL : LEDGER_SQL " WHERE c.id = ?1");
#undef LEDGER_SQL
    if (!customer_id.empty()) st.Bind(1, customer_id);
    std::map<std::string, LedgerTotals> out;
    BILLING_TRY(StepRows(st, kMaxLedgerCustomers, "the ledger totals", [&]() -> Status {
      LedgerTotals t;
      t.opening_cents = st.Int(1);
      t.invoiced_cents = st.Int(2);
      t.paid_cents = st.Int(3);
      t.refunded_cents = st.Int(4);
      out.emplace(st.Text(0), t);
      return OkStatus();
    }));
    return out;
  }

  Status LoadItems(Invoice& inv) {
    PREPARE(st,
            "SELECT description, quantity_milli, unit_price_cents, amount_cents FROM invoice_items "
            "WHERE invoice_id = ?1 ORDER BY position");
    st.Bind(1, inv.id);
    return StepRows(st, kMaxItemsPerInvoice, "an invoice's line items", [&]() -> Status {
      inv.items.push_back(LineItem{st.Text(0), st.Int(1), st.Int(2), st.Int(3)});
      return OkStatus();
    });
  }

  Result<std::optional<Invoice>> FindInvoice(const std::string& id) override {
    PREPARE(st, INVOICE_COLS " WHERE i.id = ?1");
    st.Bind(1, id);
    STEP_OR_RETURN(row, st);
    if (!row) return std::optional<Invoice>();
    BILLING_ASSIGN_OR_RETURN(Invoice inv, ReadInvoice(st));
    BILLING_TRY(LoadItems(inv));
    return std::optional<Invoice>(std::move(inv));
  }

  Result<std::vector<std::string>> InvoiceIdsWithSeq(int seq) override {
    PREPARE(st, "SELECT id FROM invoices WHERE seq = ?1 ORDER BY year, id");
    st.Bind(1, int64_t(seq));
    std::vector<std::string> out;
    // One invoice per year can have a given sequence number (UNIQUE (year, seq)).
    BILLING_TRY(StepRows(st, kMaxYears, "invoices with one sequence number", [&]() -> Status {
      out.push_back(st.Text(0));
      return OkStatus();
    }));
    return out;
  }

  void BindInvoiceQuery(Stmt& st, const InvoiceQuery& q) {
    st.Bind(1, q.customer_id).Bind(2, q.today.ToString());
    st.Bind(3, q.after_due_date.ToString()).Bind(4, q.after_id).Bind(7, q.currency);
  }

  Result<std::vector<Invoice>> ListInvoices(const InvoiceQuery& q, const PageSpec& page) override {
    BILLING_TRY(CheckPage(page));
    PREPARE(st, InvoiceListSql(!q.customer_id.empty(), q.status, !q.after_id.empty(), false,
                               q.by_amount_due, !q.currency.empty()));
    BindInvoiceQuery(st, q);
    st.Bind(5, int64_t(page.limit)).Bind(6, page.offset);
    std::vector<Invoice> out;
    BILLING_TRY(StepRows(st, page.limit, "an invoice page", [&]() -> Status {
      BILLING_ASSIGN_OR_RETURN(Invoice inv, ReadInvoice(st));
      out.push_back(std::move(inv));
      return OkStatus();
    }));
    for (Invoice& inv : out) BILLING_TRY(LoadItems(inv));
    return out;
  }

  Result<InvoiceTotals> SumInvoices(const InvoiceQuery& q) override {
    PREPARE(st, InvoiceListSql(!q.customer_id.empty(), q.status, !q.after_id.empty(), true, false,
                               !q.currency.empty()));
    BindInvoiceQuery(st, q);
    STEP_OR_RETURN(row, st);
    if (!row) return Error::Internal("sqlite: invoice totals returned no row");
    return InvoiceTotals{st.Int(0), st.Int(1), st.Int(2), st.Int(3), q.currency};
  }

  Result<int> NextInvoiceSeq(int year) override {
    BILLING_ASSIGN_OR_RETURN(
        int64_t seq,
        NextValue("UPDATE invoice_counters SET last_seq = last_seq + 1 WHERE year = ?1",
                  "SELECT last_seq FROM invoice_counters WHERE year = ?1",
                  "INSERT INTO invoice_counters (year, last_seq) VALUES (?1, 1)",
                  [&](Stmt& st) { st.Bind(1, int64_t(year)); }));
    return int(seq);
  }

  Status InsertItems(const Invoice& inv) {
    PREPARE(del, "DELETE FROM invoice_items WHERE invoice_id = ?1");
    del.Bind(1, inv.id);
    BILLING_TRY(del.Run());
    for (size_t k = 0; k < inv.items.size(); ++k) {
      const LineItem& it = inv.items[k];
      PREPARE(st,
              "INSERT INTO invoice_items (invoice_id, position, description, quantity_milli, "
              "unit_price_cents, amount_cents) VALUES (?1,?2,?3,?4,?5,?6)");
      st.Bind(1, inv.id).Bind(2, int64_t(k + 1)).Bind(3, it.description);
      st.Bind(4, it.quantity_milli).Bind(5, it.unit_price_cents).Bind(6, it.amount_cents);
      BILLING_TRY(st.Run());
    }
    return OkStatus();
  }

  Status InsertInvoice(const Invoice& inv) override {
    PREPARE(st,
            "INSERT INTO invoices (id, year, seq, customer_id, subtotal_cents, tax_rate_bp, "
            "tax_cents, total_cents, status, issue_date, due_date, notes, paid_date, "
            "payment_method, created_at, created_by, updated_by, created_on_behalf_of, "
            "updated_on_behalf_of, discount_cents, coupon_code, currency) "
            "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,"
            "?22)");
    st.Bind(1, inv.id)
        .Bind(2, int64_t(inv.year))
        .Bind(3, int64_t(inv.seq))
        .Bind(4, inv.customer_id);
    st.Bind(5, inv.subtotal_cents).Bind(6, int64_t(inv.tax_rate_bp)).Bind(7, inv.tax_cents);
    st.Bind(8, inv.total_cents).Bind(9, inv.status).Bind(10, inv.issue_date.ToString());
    st.Bind(11, inv.due_date.ToString()).Bind(12, inv.notes).Bind(13, inv.paid_date);
    st.Bind(14, inv.payment_method).Bind(15, inv.created_at).Bind(16, inv.created_by);
    st.Bind(17, inv.updated_by).Bind(18, inv.created_on_behalf_of);
    st.Bind(19, inv.updated_on_behalf_of).Bind(20, inv.discount_cents).Bind(21, inv.coupon_code);
    st.Bind(22, inv.currency);
    BILLING_TRY(st.Run());
    return InsertItems(inv);
  }

  Status UpdateInvoice(const Invoice& inv) override {
    PREPARE(st,
            "UPDATE invoices SET subtotal_cents=?2, tax_rate_bp=?3, tax_cents=?4, total_cents=?5, "
            "status=?6, due_date=?7, notes=?8, paid_date=?9, payment_method=?10, updated_by=?11, "
            "updated_on_behalf_of=?12, credited_cents=?13, discount_cents=?14 WHERE id=?1");
    st.Bind(1, inv.id).Bind(2, inv.subtotal_cents).Bind(3, int64_t(inv.tax_rate_bp));
    st.Bind(4, inv.tax_cents).Bind(5, inv.total_cents).Bind(6, inv.status);
    st.Bind(7, inv.due_date.ToString()).Bind(8, inv.notes).Bind(9, inv.paid_date);
    st.Bind(10, inv.payment_method).Bind(11, inv.updated_by).Bind(12, inv.updated_on_behalf_of);
    st.Bind(13, inv.credited_cents).Bind(14, inv.discount_cents);
    BILLING_TRY(st.Run());
    if (sqlite3_changes(conn_.db()) != 1)
      return Error::Internal("sqlite: invoice to update is gone");
    return InsertItems(inv);
  }

  Result<int64_t> NextCounter(const std::string& name) {
    return NextValue("UPDATE counters SET value = value + 1 WHERE name = ?1",
                     "SELECT value FROM counters WHERE name = ?1",
                     "INSERT INTO counters (name, value) VALUES (?1, 1)",
                     [&](Stmt& st) { st.Bind(1, name); });
  }

  // Increments a counter row (creating it at 1) and returns the new value: UPDATE then SELECT (an
  // INSERT the first time) rather than one "UPSERT ... RETURNING", which SQLite runs through a
  // temporary table built and freed on every call, costing more than the two statements together.
  template <typename BindKey>
  Result<int64_t> NextValue(const char* increment_sql, const char* read_sql, const char* insert_sql,
                            const BindKey& bind_key) {
    {
      PREPARE(inc, increment_sql);
      bind_key(inc);
      BILLING_TRY(inc.Run());
    }
    if (sqlite3_changes(conn_.db()) == 0) {
      PREPARE(ins, insert_sql);
      bind_key(ins);
      BILLING_TRY(ins.Run());
      return int64_t{1};
    }
    PREPARE(st, read_sql);
    bind_key(st);
    STEP_OR_RETURN(row, st);
    if (!row) return Error::Internal("sqlite: counter row is gone");
    return st.Int(0);
  }

  Result<int64_t> NextPaymentNumber() override {
    return NextCounter("payment");
  }
  Result<int64_t> NextRefundNumber() override {
    return NextCounter("refund");
  }

  Result<std::optional<Payment>> FindPayment(const std::string& id) override {
    PREPARE(st, PAYMENT_COLS " WHERE id = ?1");
    st.Bind(1, id);
    STEP_OR_RETURN(row, st);
    if (!row) return std::optional<Payment>();
    return std::optional<Payment>(ReadPayment(st));
  }

  Result<std::vector<Payment>> ListPayments(const PaymentQuery& q, const PageSpec& page) override {
    BILLING_TRY(CheckPage(page));
    const bool period = !q.from_at.empty();
    PREPARE(st, period ? PaymentPeriodSql(!q.customer_id.empty(), false, !q.currency.empty())
                       : PaymentListSql(!q.customer_id.empty(), !q.status.empty(),
                                        q.before_number > 0, false, !q.currency.empty()));
    st.Bind(1, q.customer_id).Bind(4, int64_t(page.limit)).Bind(5, page.offset);
    st.Bind(8, q.currency);
    if (period) {
      st.Bind(6, q.from_at).Bind(7, q.until_at);
    } else {
      st.Bind(2, q.status).Bind(3, q.before_number);
    }
    std::vector<Payment> out;
    BILLING_TRY(StepRows(st, page.limit, "a payment page", [&]() -> Status {
      out.push_back(ReadPayment(st));
      return OkStatus();
    }));
    return out;
  }

  Result<PaymentTotals> SumPayments(const PaymentQuery& q) override {
    const bool period = !q.from_at.empty();
    PREPARE(st, period ? PaymentPeriodSql(!q.customer_id.empty(), true, !q.currency.empty())
                       : PaymentListSql(!q.customer_id.empty(), !q.status.empty(),
                                        q.before_number > 0, true, !q.currency.empty()));
    st.Bind(1, q.customer_id).Bind(8, q.currency);
    if (period) {
      st.Bind(6, q.from_at).Bind(7, q.until_at);
    } else {
      st.Bind(2, q.status).Bind(3, q.before_number);
    }
    STEP_OR_RETURN(row, st);
    if (!row) return Error::Internal("sqlite: payment totals returned no row");
    return PaymentTotals{st.Int(0), st.Int(1), st.Int(2), st.Int(3), q.currency};
  }

  Status InsertPayment(const Payment& p) override {
    PREPARE(
        st,
        "INSERT INTO payments (id, number, customer_id, invoice_id, amount_cents, "
        "refunded_cents, method, status, transaction_id, failure_reason, actor, created_at, "
        "payment_method_id, on_behalf_of, currency, attempt) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)");
    st.Bind(1, p.id).Bind(2, p.number).Bind(3, p.customer_id).Bind(4, p.invoice_id);
    st.Bind(5, p.amount_cents).Bind(6, p.refunded_cents).Bind(7, p.method).Bind(8, p.status);
    st.Bind(9, p.transaction_id)
        .Bind(10, p.failure_reason)
        .Bind(11, p.actor)
        .Bind(12, p.created_at);
    st.Bind(13, p.payment_method_id).Bind(14, p.on_behalf_of).Bind(15, p.currency);
    st.Bind(16, int64_t(p.attempt));
    return st.Run();
  }

  Status UpdatePaymentRefund(const std::string& id, int64_t refunded_cents,
                             const std::string& status) override {
    PREPARE(st, "UPDATE payments SET refunded_cents = ?2, status = ?3 WHERE id = ?1");
    st.Bind(1, id).Bind(2, refunded_cents).Bind(3, status);
    BILLING_TRY(st.Run());
    if (sqlite3_changes(conn_.db()) != 1)
      return Error::Internal("sqlite: payment to update is gone");
    return OkStatus();
  }

  Result<std::vector<Allocation>> AllocationsOf(const std::string& payment_id) override {
    PREPARE(st,
            "SELECT id, payment_id, invoice_id, amount_cents, refunded_cents FROM "
            "payment_allocations WHERE payment_id = ?1 ORDER BY id");
    st.Bind(1, payment_id);
    std::vector<Allocation> out;
    BILLING_TRY(StepRows(st, kMaxRowsPerPayment, "a payment's allocations", [&]() -> Status {
      out.push_back(Allocation{st.Int(0), st.Text(1), st.Text(2), st.Int(3), st.Int(4)});
      return OkStatus();
    }));
    return out;
  }

  Result<std::vector<Allocation>> AllocationsToInvoice(const std::string& invoice_id,
                                                       int limit) override {
    if (limit < 1 || limit > kMaxPageRows)
      return Error::Internal("sqlite: allocation page out of range");
    PREPARE(st,
            "SELECT id, payment_id, invoice_id, amount_cents, refunded_cents FROM "
            "payment_allocations WHERE invoice_id = ?1 ORDER BY id LIMIT ?2");
    st.Bind(1, invoice_id).Bind(2, int64_t(limit));
    std::vector<Allocation> out;
    BILLING_TRY(StepRows(st, limit, "an invoice's allocations", [&]() -> Status {
      out.push_back(Allocation{st.Int(0), st.Text(1), st.Text(2), st.Int(3), st.Int(4)});
      return OkStatus();
    }));
    return out;
  }

  Status InsertAllocation(const Allocation& a) override {
    PREPARE(
        st,
        "INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents, refunded_cents) "
        "VALUES (?1,?2,?3,?4)");
    st.Bind(1, a.payment_id)
        .Bind(2, a.invoice_id)
        .Bind(3, a.amount_cents)
        .Bind(4, a.refunded_cents);
    return st.Run();
  }

  Status UpdateAllocationRefunded(int64_t allocation_id, int64_t refunded_cents) override {
    PREPARE(st, "UPDATE payment_allocations SET refunded_cents = ?2 WHERE id = ?1");
    st.Bind(1, allocation_id).Bind(2, refunded_cents);
    return st.Run();
  }

  Status InsertRefund(const Refund& r) override {
    PREPARE(st,
            "INSERT INTO refunds (id, number, payment_id, amount_cents, reason, transaction_id, "
            "created_at, actor, on_behalf_of) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    st.Bind(1, r.id).Bind(2, r.number).Bind(3, r.payment_id).Bind(4, r.amount_cents);
    st.Bind(5, r.reason).Bind(6, r.transaction_id).Bind(7, r.created_at).Bind(8, r.actor);
    st.Bind(9, r.on_behalf_of);
    return st.Run();
  }

  Result<std::vector<Refund>> RefundsOf(const std::string& payment_id) override {
    PREPARE(
        st,
        "SELECT id, number, payment_id, amount_cents, reason, transaction_id, created_at, actor, "
        "on_behalf_of FROM refunds WHERE payment_id = ?1 ORDER BY number");
    st.Bind(1, payment_id);
    std::vector<Refund> out;
    BILLING_TRY(StepRows(st, kMaxRowsPerPayment, "a payment's refunds", [&]() -> Status {
      out.push_back(Refund{st.Text(0), st.Int(1), st.Text(2), st.Int(3), st.Text(4), st.Text(5),
                           st.Text(6), st.Text(7), st.Text(8)});
      return OkStatus();
    }));
    return out;
  }
  Result<std::optional<Refund>> FindRefund(const std::string& id) override {
    PREPARE(st,
            "SELECT id, number, payment_id, amount_cents, reason, transaction_id, created_at, "
            "actor, on_behalf_of FROM refunds WHERE id = ?1");
    st.Bind(1, id);
    BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return std::optional<Refund>();
    return std::optional<Refund>(Refund{st.Text(0), st.Int(1), st.Text(2), st.Int(3), st.Text(4),
                                        st.Text(5), st.Text(6), st.Text(7), st.Text(8)});
  }

  Result<int64_t> NextStoredCardNumber() override {
    return sqlite::NextStoredCardNumber(conn_);
  }
  Status InsertStoredCard(const StoredCard& c) override {
    return sqlite::InsertStoredCard(conn_, c);
  }
  Result<std::optional<StoredCard>> FindStoredCard(const std::string& id) override {
    return sqlite::FindStoredCard(conn_, id);
  }
  Result<std::vector<StoredCard>> ListStoredCards(const std::string& customer_id,
                                                  int64_t after_number, int limit) override {
    return sqlite::ListStoredCards(conn_, customer_id, after_number, limit);
  }
  Status UpdateStoredCardSeal(const std::string& id, const std::string& sealed,
                              const std::string& key_id) override {
    return sqlite::UpdateStoredCardSeal(conn_, id, sealed, key_id);
  }

  Result<std::optional<OperationRecord>> FindOperation(const std::string& op_key) override {
    PREPARE(st,
            "SELECT op_key, kind, fingerprint, entity_id, detail_id, created_at FROM operations "
            "WHERE op_key = ?1");
    st.Bind(1, op_key);
    STEP_OR_RETURN(row, st);
    if (!row) return std::optional<OperationRecord>();
    return std::optional<OperationRecord>(
        OperationRecord{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Text(5)});
  }

  Status InsertOperation(const OperationRecord& op) override {
    PREPARE(st,
            "INSERT INTO operations (op_key, kind, fingerprint, entity_id, detail_id, created_at) "
            "VALUES (?1,?2,?3,?4,?5,?6)");
    st.Bind(1, op.op_key).Bind(2, op.kind).Bind(3, op.fingerprint).Bind(4, op.entity_id);
    st.Bind(5, op.detail_id).Bind(6, op.created_at);
    return st.Run();
  }

  Status AppendAudit(const AuditEntry& e) override {
    return sqlite::AppendAudit(conn_, e);
  }
  Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& q, int limit) override {
    return sqlite::ListAudit(conn_, q, limit);
  }
  Result<std::optional<AuditEntry>> LastAudit() override {
    return sqlite::LastAudit(conn_);
  }

  Status PutWebhookEndpoint(const WebhookEndpoint& e) override {
    return sqlite::PutWebhookEndpoint(conn_, e);
  }
  Result<std::optional<WebhookEndpoint>> FindWebhookEndpoint(const std::string& id) override {
    return sqlite::FindWebhookEndpoint(conn_, id);
  }
  Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints() override {
    return sqlite::ListWebhookEndpoints(conn_);
  }
  Status DeleteWebhookEndpoint(const std::string& id) override {
    return sqlite::DeleteWebhookEndpoint(conn_, id);
  }
  Result<std::vector<WebhookDelivery>> ClaimDeliveries(const std::string& now,
                                                       const std::string& lease_until,
                                                       int limit) override {
    return sqlite::ClaimDeliveries(conn_, now, lease_until, limit);
  }
  Result<bool> AnyDeliveryDue(const std::string& now) override {
    return sqlite::AnyDeliveryDue(conn_, now);
  }
  Status UpdateDelivery(const WebhookDelivery& d) override {
    return sqlite::UpdateDelivery(conn_, d);
  }
  Status InsertAttempt(const WebhookAttempt& a) override { return sqlite::InsertAttempt(conn_, a); }
  Result<std::optional<WebhookDelivery>> FindDelivery(int64_t seq) override {
    return sqlite::FindDelivery(conn_, seq);
  }
  Result<std::vector<WebhookDelivery>> DeliveriesOf(const std::string& endpoint_id,
                                                    int64_t before_seq, int limit) override {
    return sqlite::DeliveriesOf(conn_, endpoint_id, before_seq, limit);
  }
  Result<std::vector<WebhookAttempt>> AttemptsOf(int64_t delivery_seq, int limit) override {
    return sqlite::AttemptsOf(conn_, delivery_seq, limit);
  }
  Result<std::vector<ReceivableRow>> Receivables(const std::string& customer_id,
                                                 int64_t limit) override {
    return sqlite::Receivables(conn_, customer_id, limit);
  }
  Result<std::vector<RevenueMonthRow>> RevenueMonths(const std::string& from_month,
                                                     const std::string& to_month) override {
    return sqlite::RevenueMonths(conn_, from_month, to_month);
  }
  Result<std::vector<PaymentAttemptRow>> PaymentAttemptMonths(
      const std::string& from_month, const std::string& to_month) override {
    return sqlite::PaymentAttemptMonths(conn_, from_month, to_month);
  }
  Result<std::vector<MrrMonthRow>> MrrMonths(const std::string& to_month) override {
    return sqlite::MrrMonths(conn_, to_month);
  }
  Result<Backlog> CountBacklog(const Date& today, int64_t cap) override {
    return sqlite::CountBacklog(conn_, today, cap);
  }

  Status InsertEmail(const OutboxEmail& e) override { return sqlite::InsertEmail(conn_, e); }
  Result<std::vector<OutboxEmail>> ClaimEmails(const std::string& now,
                                               const std::string& lease_until,
                                               int limit) override {
    return sqlite::ClaimEmails(conn_, now, lease_until, limit);
  }
  Result<bool> AnyEmailDue(const std::string& now) override {
    return sqlite::AnyEmailDue(conn_, now);
  }
  Status UpdateEmail(const OutboxEmail& e) override { return sqlite::UpdateEmail(conn_, e); }
  Result<std::optional<OutboxEmail>> FindEmail(int64_t seq) override {
    return sqlite::FindEmail(conn_, seq);
  }
  Result<std::vector<OutboxEmail>> EmailsOf(const std::string& customer_id, int64_t before_seq,
                                            int limit) override {
    return sqlite::EmailsOf(conn_, customer_id, before_seq, limit);
  }

  Status AppendEvent(const Event& e) override {
    BILLING_TRY(sqlite::AppendEvent(conn_, e));
    return sqlite::EnqueueDeliveries(conn_, e, e.created_at);
  }
  Result<std::optional<int64_t>> EventSeq(const std::string& id) override {
    return sqlite::EventSeq(conn_, id);
  }
  Result<std::vector<Event>> ListEvents(const EventQuery& q, int limit) override {
    return sqlite::ListEvents(conn_, q, limit);
  }

  Status InsertPlan(const Plan& p) override {
    return sqlite::InsertPlan(conn_, p);
  }
  Result<std::optional<Plan>> FindPlan(const std::string& id) override {
    return sqlite::FindPlan(conn_, id);
  }
  Result<std::vector<Plan>> ListPlans(int limit) override {
    return sqlite::ListPlans(conn_, limit);
  }
  Result<int64_t> NextSubscriptionNumber() override {
    return sqlite::NextSubscriptionNumber(conn_);
  }
  Status InsertSubscription(const Subscription& s) override {
    return sqlite::InsertSubscription(conn_, s);
  }
  Status UpdateSubscription(const Subscription& s) override {
    return sqlite::UpdateSubscription(conn_, s);
  }
  Result<std::optional<Subscription>> FindSubscription(const std::string& id) override {
    return sqlite::FindSubscription(conn_, id);
  }
  Result<std::vector<Subscription>> ListSubscriptions(const SubscriptionQuery& q,
                                                      const PageSpec& page) override {
    return sqlite::ListSubscriptions(conn_, q, page);
  }
  Result<SubscriptionTotals> SumSubscriptions(const SubscriptionQuery& q) override {
    return sqlite::SumSubscriptions(conn_, q);
  }
  Result<std::vector<Subscription>> DueSubscriptions(const DueSubscriptionsQuery& q,
                                                     int limit) override {
    return sqlite::DueSubscriptions(conn_, q, limit);
  }
  Status InsertSubscriptionPeriod(const SubscriptionPeriod& p) override {
    return sqlite::InsertSubscriptionPeriod(conn_, p);
  }
  Status SetPeriodInvoice(const std::string& subscription_id, const std::string& from_invoice_id,
                          const std::string& to_invoice_id) override {
    return sqlite::SetPeriodInvoice(conn_, subscription_id, from_invoice_id, to_invoice_id);
  }
  Result<std::vector<SubscriptionPeriod>> PeriodsOf(const std::string& subscription_id,
                                                    int limit) override {
    return sqlite::PeriodsOf(conn_, subscription_id, limit);
  }

  Result<int64_t> NextDraftNumber() override {
    return NextCounter("invoice_draft");
  }
  Status InsertDraft(const InvoiceDraft& d) override {
    return sqlite::InsertDraft(conn_, d);
  }
  Status UpdateDraft(const InvoiceDraft& d) override {
    return sqlite::UpdateDraft(conn_, d);
  }
  Result<std::optional<InvoiceDraft>> FindDraft(const std::string& id) override {
    return sqlite::FindDraft(conn_, id);
  }
  Result<std::vector<InvoiceDraft>> ListDrafts(const std::string& customer_id,
                                               const PageSpec& page,
                                               int64_t after_number) override {
    return sqlite::ListDrafts(conn_, customer_id, page, after_number);
  }
  Result<std::vector<InvoiceDraft>> DueDrafts(const std::string& now, int limit) override {
    return sqlite::DueDrafts(conn_, now, limit);
  }
  Result<int64_t> CountDrafts(const std::string& customer_id) override {
    return sqlite::CountDrafts(conn_, customer_id);
  }
  Result<int> NextCreditNoteSeq(int year) override {
    BILLING_ASSIGN_OR_RETURN(
        int64_t seq,
        NextValue("UPDATE credit_note_counters SET last_seq = last_seq + 1 WHERE year = ?1",
                  "SELECT last_seq FROM credit_note_counters WHERE year = ?1",
                  "INSERT INTO credit_note_counters (year, last_seq) VALUES (?1, 1)",
                  [&](Stmt& st) { st.Bind(1, int64_t(year)); }));
    return int(seq);
  }
  Status InsertCreditNote(const CreditNote& cn) override {
    return sqlite::InsertCreditNote(conn_, cn);
  }
  Result<std::optional<CreditNote>> FindCreditNote(const std::string& id) override {
    return sqlite::FindCreditNote(conn_, id);
  }
  Result<std::vector<CreditNote>> CreditNotesOf(const std::string& invoice_id, int limit) override {
    return sqlite::CreditNotesOf(conn_, invoice_id, limit);
  }
  Result<std::vector<CreditNote>> ListCreditNotes(int after_year, int after_seq,
                                                  int limit) override {
    return sqlite::ListCreditNotes(conn_, after_year, after_seq, limit);
  }
  Status InsertCoupon(const Coupon& c) override {
    return sqlite::InsertCoupon(conn_, c);
  }
  Result<std::optional<Coupon>> FindCoupon(const std::string& code) override {
    return sqlite::FindCoupon(conn_, code);
  }
  Result<std::vector<Coupon>> ListCoupons(int limit) override {
    return sqlite::ListCoupons(conn_, limit);
  }
  Status SetCouponArchived(const std::string& code, bool archived) override {
    return sqlite::SetCouponArchived(conn_, code, archived);
  }
  Result<int64_t> RedeemCoupon(CouponRedemption r) override {
    return sqlite::RedeemCoupon(conn_, std::move(r));
  }
  Result<int64_t> CountRedemptions(const std::string& code) override {
    return sqlite::CountRedemptions(conn_, code);
  }
  // Collection and dunning: sqlite_collection.cc.
  Status SetCustomerStatus(const std::string& customer_id, const std::string& status) override {
    return sqlite::SetCustomerStatus(conn_, customer_id, status);
  }
  Status InsertCollection(const Collection& c) override {
    return sqlite::InsertCollection(conn_, c);
  }
  Status UpdateCollection(const Collection& c) override {
    return sqlite::UpdateCollection(conn_, c);
  }
  Result<std::optional<Collection>> FindCollection(const std::string& invoice_id) override {
    return sqlite::FindCollection(conn_, invoice_id);
  }
  Result<std::vector<Collection>> DueCollections(const Date& as_of, int limit) override {
    return sqlite::DueCollections(conn_, as_of, limit);
  }
  Result<std::optional<Collection>> LatestCollectionOf(
      const std::string& subscription_id) override {
    return sqlite::LatestCollectionOf(conn_, subscription_id);
  }
  Result<std::vector<std::string>> NewlyOverdueInvoices(const Date& today, int limit) override {
    return sqlite::NewlyOverdueInvoices(conn_, today, limit);
  }
  Status SetOverdueState(const std::string& invoice_id, int state) override {
    return sqlite::SetOverdueState(conn_, invoice_id, state);
  }
  Result<std::optional<std::string>> OldestDunnedInvoice(const std::string& customer_id) override {
    return sqlite::OldestDunnedInvoice(conn_, customer_id);
  }
  Result<std::optional<DunningCase>> FindDunningCase(const std::string& customer_id) override {
    return sqlite::FindDunningCase(conn_, customer_id);
  }
  Status PutDunningCase(const DunningCase& c) override {
    return sqlite::PutDunningCase(conn_, c);
  }
  Status DeleteDunningCase(const std::string& customer_id) override {
    return sqlite::DeleteDunningCase(conn_, customer_id);
  }
  Result<std::vector<DunningCase>> ListDunningCases(const std::string& after_customer_id,
                                                    int limit) override {
    return sqlite::ListDunningCases(conn_, after_customer_id, limit);
  }
  Result<std::vector<DunningCase>> DueDunningCases(const Date& as_of, int limit) override {
    return sqlite::DueDunningCases(conn_, as_of, limit);
  }
  Result<int64_t> CountDunningCases() override {
    return sqlite::CountDunningCases(conn_);
  }
  Result<bool> InsertDunningStep(const DunningStepRecord& s) override {
    return sqlite::InsertDunningStep(conn_, s);
  }
  Result<std::vector<DunningStepRecord>> DunningStepsOf(const std::string& invoice_id,
                                                        int limit) override {
    return sqlite::DunningStepsOf(conn_, invoice_id, limit);
  }
  Result<std::vector<Payment>> PaymentsWithCredit(const std::string& customer_id,
                                                  int limit) override {
    if (limit < 1 || limit > kMaxPageRows)
      return Error::Internal("sqlite: payments-with-credit page out of range");
    // The WHERE repeats the partial index payments_with_credit's terms (migration 017), so
    // SQLite reads that index: only the payments that hold credit.
    PREPARE(st, PAYMENT_COLS
            " WHERE customer_id = ?1 AND status <> 'failed'"
            " AND amount_cents - refunded_cents > applied_cents ORDER BY number LIMIT ?2");
    st.Bind(1, customer_id).Bind(2, int64_t(limit));
    std::vector<Payment> out;
    BILLING_TRY(StepRows(st, limit, "payments with credit", [&]() -> Status {
      out.push_back(ReadPayment(st));
      return OkStatus();
    }));
    return out;
  }
  Status ReduceAllocation(int64_t allocation_id, int64_t amount_cents) override {
    // All of it: the row goes (amount_cents > 0 is a CHECK); part of it: the row shrinks.
    PREPARE(del,
            "DELETE FROM payment_allocations WHERE id = ?1 AND amount_cents = ?2 "
            "AND refunded_cents = 0");
    del.Bind(1, allocation_id).Bind(2, amount_cents);
    BILLING_TRY(del.Run());
    if (sqlite3_changes(conn_.db()) == 1) return OkStatus();
    PREPARE(st,
            "UPDATE payment_allocations SET amount_cents = amount_cents - ?2 "
            "WHERE id = ?1 AND amount_cents - refunded_cents >= ?2 AND amount_cents > ?2");
    st.Bind(1, allocation_id).Bind(2, amount_cents);
    BILLING_TRY(st.Run());
    if (sqlite3_changes(conn_.db()) != 1)
      return Error::Internal("sqlite: allocation to reduce is gone or too small");
    return OkStatus();
  }

 private:
  Connection& conn_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::shared_ptr<sqlite::ConnectionPool> pool) : pool_(std::move(pool)) {}
  Stats stats() const override {
    const sqlite::WorkCounters& work = pool_->work();
    Stats s{pool_->writes_committed(), pool_->groups_committed(), work.full_scan_steps.load(),
            work.sorts.load(), work.vm_steps.load()};
    s.group_sizes = pool_->group_sizes();
    return s;
  }

  Status Read(const std::function<Status(StoreTx&)>& fn) override {
    return pool_->Read([&](Connection& conn) {
      SqliteTx tx(conn);
      return fn(tx);
    });
  }

  Status Write(const std::function<Status(StoreTx&)>& fn) override {
    return pool_->Write([&](Connection& conn) {
      SqliteTx tx(conn);
      return fn(tx);
    });
  }

  std::string Describe() const override { return "sqlite:" + pool_->options().path; }

 private:
  std::shared_ptr<sqlite::ConnectionPool> pool_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  auto pool = sqlite::ConnectionPool::Open(options);
  if (!pool.ok()) return pool.error();
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(pool.value())));
}

}  // namespace billing
