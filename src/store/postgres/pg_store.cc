// PostgreSQL implementation of Store, the twin of store/sqlite/sqlite_store.cc: the same records,
// rules, bounds and error codes over the schema of postgres/migrations/. Writes run in the pool's
// group commit under the one writers' lock (pg_pool.h), reads in a REPEATABLE READ snapshot.
//
// Statements are built per call (pgrows::Sql, pg_store_rows.h), so each list shape has exactly
// the WHERE clause its filters need; each distinct text is prepared once per connection, and the
// indexes of the schema serve every shape the SQLite store's do.
#include <cassert>
#include <charconv>
#include <map>

#include "store/postgres/pg_collection.h"
#include "store/postgres/pg_credit_notes.h"
#include "store/postgres/pg_overview_cache.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_reports.h"
#include "store/postgres/pg_store_rows.h"
#include "store/postgres/pg_stores.h"
#include "store/postgres/pg_subscriptions.h"
#include "store/postgres/pg_email.h"
#include "store/postgres/pg_webhooks.h"

namespace billing {
namespace {

using namespace pgrows;  // the rows and statement builder of pg_store_rows.h

class PgTx final : public StoreTx {
 public:
  // `cache`: the read cache of the customer view, in read transactions only (nullptr in writes:
  // a writer reads its own changes, at READ COMMITTED).
  explicit PgTx(PgConnection& conn, pg::OverviewCache* cache = nullptr)
      : conn_(conn), cache_(cache != nullptr && cache->enabled() ? cache : nullptr) {}

  Result<PgResult> Q(std::string_view sql, const Params& params = {}) {
    auto r = pg::Run(conn_, sql, params);
    if (!r.ok()) return DbError(r.error());
    return std::move(r.value());
  }
  Result<PgResult> Q(const Sql& sql) { return Q(sql.text, sql.params); }
  // A statement that must change exactly one row.
  Status One(std::string_view sql, const Params& params, const char* what) {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(sql, params));
    if (r.affected_rows() != 1)
      return Error::Internal(std::string("postgres: ") + what + " is gone");
    return OkStatus();
  }
  Status Exec(std::string_view sql, const Params& params) {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(sql, params));
    (void)r;
    return OkStatus();
  }

  Result<std::optional<Customer>> FindCustomer(const std::string& id) override {
    BILLING_ASSIGN_OR_RETURN(PgResult r,
                             Q("SELECT " CUSTOMER_COLS " FROM customers c WHERE c.id = $1", {id}));
    if (r.rows() == 0) return std::optional<Customer>();
    return std::optional<Customer>(ReadCustomer(Row{r, 0}));
  }

  // Statements sent together in one round trip: their results in order, or the first error.
  Result<std::vector<PgResult>> Batch(const std::vector<Sql>& sqls) {
    std::vector<PgConnection::Statement> statements;
    for (const Sql& q : sqls) statements.push_back(PgConnection::Statement{q.text, q.params});
    PgConnection::BatchOutcome b = conn_.ExecBatch(statements);
    if (!b.ok()) return DbError(b.failure->error);
    return std::move(b.results);
  }

  // The customer view in two round trips (the first carries the read's BEGIN): the customer,
  // ledger, open invoices, their totals, payments and cards together, then the invoices' items
  // and the payments' allocations together. The statements are the ones the single calls send.
  // With the read cache (pg_overview_cache.h), the snapshot's ledger version goes first: alone
  // when a view of `q` is kept (served if it was read at that version), else with the others.
  Result<CustomerOverview> ReadCustomerOverview(const CustomerOverviewQuery& q) override {
    std::optional<pg::LedgerVersion> version;
    if (cache_ != nullptr && cache_->Holds(q)) {
      // First in its read, the version goes alone, before the read's BEGIN: a hit is then one
      // round trip and no transaction. A miss reads the version again in the view's snapshot.
      std::vector<std::string> begin = conn_.TakeDeferred();
      BILLING_ASSIGN_OR_RETURN(PgResult v, Q(pg::kLedgerVersionSql));
      BILLING_ASSIGN_OR_RETURN(pg::LedgerVersion now, ReadLedgerVersion(v));
      if (std::optional<CustomerOverview> kept = cache_->Find(q, now)) return std::move(*kept);
      for (std::string& sql : begin) conn_.Defer(std::move(sql));
      if (conn_.InTransaction()) version = now;  // read inside the snapshot: it is the view's
    }
    BILLING_ASSIGN_OR_RETURN(CustomerOverview out, ReadCustomerOverviewUncached(q, version));
    if (version) cache_->Put(q, *version, out);
    return out;
  }
  static Result<pg::LedgerVersion> ReadLedgerVersion(const PgResult& r) {
    if (r.rows() != 1) return Error::Internal("postgres: the ledger_version row is missing");
    const Row row{r, 0};
    return pg::LedgerVersion{row.I(0), row.I(1)};
  }
  // `version`: set when the cache already read it in this snapshot; read here otherwise (when
  // the cache is on).
  Result<CustomerOverview> ReadCustomerOverviewUncached(const CustomerOverviewQuery& q,
                                                        std::optional<pg::LedgerVersion>& version) {
    const InvoiceQuery open{q.customer_id, InvoiceStatusFilter::kOpen, q.today};
    const PageSpec invoice_page{0, q.open_invoices}, payment_page{0, q.recent_payments};
    BILLING_TRY(CheckPage(invoice_page));
    BILLING_TRY(CheckPage(payment_page));
    if (q.max_cards < 1 || q.max_cards > kMaxPageRows) {
      return Error::Internal("postgres: card page out of range");
    }
    Sql customer;
    customer.text =
        "SELECT " CUSTOMER_COLS " FROM customers c WHERE c.id = " + customer.P(q.customer_id);
    std::vector<Sql> first = {customer,
                              LedgerSql(q.customer_id),
                              InvoicePageSql(open, invoice_page),
                              InvoiceSumSql(open),
                              PaymentPageSql(PaymentQuery{q.customer_id}, payment_page),
                              CardPageSql(q.customer_id, 0, q.max_cards)};
    const bool read_version = cache_ != nullptr && !version;
    if (read_version) first.push_back(Sql{pg::kLedgerVersionSql, {}, {}});
    BILLING_ASSIGN_OR_RETURN(std::vector<PgResult> r, Batch(first));
    if (read_version) {
      BILLING_ASSIGN_OR_RETURN(version, ReadLedgerVersion(r.back()));
    }
    CustomerOverview out;
    if (r[0].rows() == 0) return out;
    out.customer = ReadCustomer(Row{r[0], 0});
    BILLING_ASSIGN_OR_RETURN(auto ledger, ReadLedger(r[1]));
    auto it = ledger.find(q.customer_id);
    if (it == ledger.end()) return Error::Internal("ledger has no entry for " + q.customer_id);
    out.ledger = it->second;
    BILLING_ASSIGN_OR_RETURN(out.open_invoices, ReadInvoicePage(r[2], invoice_page));
    BILLING_ASSIGN_OR_RETURN(out.open_totals, ReadInvoiceTotals(r[3]));
    BILLING_ASSIGN_OR_RETURN(out.recent_payments, ReadPaymentPage(r[4], payment_page));
    BILLING_ASSIGN_OR_RETURN(out.cards, ReadCardPage(r[5], q.max_cards));
    std::vector<Sql> details;
    if (!out.open_invoices.empty()) details.push_back(ItemsOfSql(out.open_invoices));
    if (!out.recent_payments.empty()) details.push_back(AllocationsOfSql(out.recent_payments));
    if (details.empty()) return out;
    BILLING_ASSIGN_OR_RETURN(std::vector<PgResult> d, Batch(details));
    size_t k = 0;
    if (!out.open_invoices.empty()) BILLING_TRY(ApplyItems(d[k++], out.open_invoices));
    if (!out.recent_payments.empty()) BILLING_TRY(ApplyAllocations(d[k], out.recent_payments));
    return out;
  }

  Sql CustomerSql(const CustomerQuery& q, const std::string& select) {
    Sql s;
    s.text = select + " FROM customers c JOIN customer_totals t ON t.customer_id = c.id";
    s.Where("c.id > " + s.P(q.after_id));
    if (!q.status.empty()) s.Where("c.status = " + s.Enum(q.status, kCustomerStatuses));
    if (!q.billing_cycle.empty())
      s.Where("c.billing_cycle = " + s.Enum(q.billing_cycle, kBillingCycles));
    if (!q.payment_method.empty())
      s.Where("c.payment_method = " + s.Enum(q.payment_method, kPaymentMethods));
    if (!q.currency.empty()) s.Where("c.currency = " + s.P(q.currency));
    if (q.has_outstanding_balance) {
      s.Where(*q.has_outstanding_balance ? CUSTOMER_BALANCE " > 0" : CUSTOMER_BALANCE " <= 0");
    }
    if (q.min_balance_cents)
      s.Where(CUSTOMER_BALANCE " >= " + s.P(*q.min_balance_cents) + "::bigint");
    s.text += s.WhereClause();
    return s;
  }

  Result<std::vector<CustomerRow>> ListCustomers(const CustomerQuery& q,
                                                 const PageSpec& page) override {
    BILLING_TRY(CheckPage(page));
    Sql s = CustomerSql(q, "SELECT " CUSTOMER_COLS ", " CUSTOMER_BALANCE);
    s.text += q.by_balance ? " ORDER BY " CUSTOMER_BALANCE " DESC, c.id" : " ORDER BY c.id";
    s.text += " LIMIT " + s.P(int64_t(page.limit)) + " OFFSET " + s.P(page.offset);
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(s));
    BILLING_TRY(CheckRows(r, page.limit, "a customer page"));
    std::vector<CustomerRow> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(CustomerRow{ReadCustomer(Row{r, i}), Row{r, i}.I(13)});
    return out;
  }

  Result<CustomerTotals> SumCustomers(const CustomerQuery& q) override {
    Sql s = CustomerSql(q, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN " CUSTOMER_BALANCE
                           " > 0 THEN " CUSTOMER_BALANCE
                           " ELSE 0 END), 0), COALESCE(SUM(CASE WHEN " CUSTOMER_BALANCE
                           " < 0 THEN -" CUSTOMER_BALANCE " ELSE 0 END), 0)");
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(s));
    if (r.rows() != 1) return Error::Internal("postgres: customer totals returned no row");
    const Row row{r, 0};
    return CustomerTotals{row.I(0), row.I(1), row.I(2), q.currency};
  }

  Status InsertCustomer(const Customer& c) override {
    return Exec(
        "INSERT INTO customers (id, company, contact_name, email, billing_cycle, payment_method, "
        "status, currency, tax_rate_bp, opening_balance_cents, created_at, locale, "
        "payment_terms_days) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
        {c.id, c.company, c.contact_name, c.email, c.billing_cycle, c.payment_method, c.status,
         c.currency, c.tax_rate_bp ? std::optional<std::string>(S(*c.tax_rate_bp)) : std::nullopt,
         S(c.opening_balance_cents), c.created_at, c.locale, S(c.payment_terms_days)});
  }

  Status UpdateCustomer(const Customer& c) override {
    return One(
        "UPDATE customers SET company = $2, contact_name = $3, email = $4, billing_cycle = $5, "
        "payment_method = $6, currency = $7, tax_rate_bp = $8, locale = $9, "
        "payment_terms_days = $10 WHERE id = $1",
        {c.id, c.company, c.contact_name, c.email, c.billing_cycle, c.payment_method, c.currency,
         c.tax_rate_bp ? std::optional<std::string>(S(*c.tax_rate_bp)) : std::nullopt, c.locale,
         S(c.payment_terms_days)},
        "customer to update");
  }

  Result<int64_t> NextCustomerNumber() override { return NextCounter("customer"); }

  Result<bool> CustomerHasRecords(const std::string& id) override {
    BILLING_ASSIGN_OR_RETURN(PgResult r,
                             Q("SELECT EXISTS (SELECT 1 FROM invoices WHERE customer_id = $1) OR "
                               "EXISTS (SELECT 1 FROM payments WHERE customer_id = $1) OR "
                               "EXISTS (SELECT 1 FROM subscriptions WHERE customer_id = $1) OR "
                               "EXISTS (SELECT 1 FROM invoice_drafts WHERE customer_id = $1)",
                               {id}));
    if (r.rows() != 1) return Error::Internal("postgres: EXISTS returned no row");
    return Row{r, 0}.T(0) == "t";
  }

  Result<int64_t> CountCustomers() override {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q("SELECT COUNT(*) FROM customers"));
    return r.rows() ? Row{r, 0}.I(0) : 0;
  }

  Result<std::vector<std::string>> CurrenciesInUse() override {
    // A loose index scan of customers_currency (migration 009) in one round trip: one probe
    // per currency, never a scan of the customers.
    constexpr int kMaxCurrencies = 1000;  // ISO 4217 has fewer than 200
    BILLING_ASSIGN_OR_RETURN(
        PgResult r,
        Q("WITH RECURSIVE c(code) AS ((SELECT currency FROM customers ORDER BY currency LIMIT 1) "
          "UNION ALL SELECT (SELECT currency FROM customers WHERE currency > c.code "
          "ORDER BY currency LIMIT 1) FROM c WHERE c.code IS NOT NULL) "
          "SELECT code FROM c WHERE code IS NOT NULL LIMIT 1001"));
    BILLING_TRY(CheckRows(r, kMaxCurrencies, "the currencies in use"));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(Row{r, i}.T(0));
    return out;
  }

  Result<std::map<std::string, LedgerTotals>> Ledger(const std::string& customer_id) override {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(LedgerSql(customer_id)));
    return ReadLedger(r);
  }
  static Sql LedgerSql(const std::string& customer_id) {
    Sql s;
    s.text =
        "SELECT c.id, c.opening_balance_cents, t.invoiced_cents, t.paid_cents, t.refunded_cents "
        "FROM customers c JOIN customer_totals t ON t.customer_id = c.id";
    if (!customer_id.empty()) s.text += " WHERE c.id = " + s.P(customer_id);
    return s;
  }
  static Result<std::map<std::string, LedgerTotals>> ReadLedger(const PgResult& r) {
    BILLING_TRY(CheckRows(r, kMaxLedgerCustomers, "the ledger totals"));
    std::map<std::string, LedgerTotals> out;
    for (int i = 0; i < r.rows(); ++i) {
      const Row row{r, i};
      LedgerTotals t;
      t.opening_cents = row.I(1);
      t.invoiced_cents = row.I(2);
      t.paid_cents = row.I(3);
      t.refunded_cents = row.I(4);
      out.emplace(row.T(0), t);
    }
    return out;
  }

  Status LoadItems(Invoice& inv) {
    BILLING_ASSIGN_OR_RETURN(
        PgResult r, Q("SELECT description, quantity_milli, unit_price_cents, amount_cents FROM "
                      "invoice_items WHERE invoice_id = $1 ORDER BY position",
                      {inv.id}));
    BILLING_TRY(CheckRows(r, kMaxItemsPerInvoice, "an invoice's line items"));
    for (int i = 0; i < r.rows(); ++i) {
      const Row row{r, i};
      inv.items.push_back(LineItem{row.T(0), row.I(1), row.I(2), row.I(3)});
    }
    return OkStatus();
  }

  // The line items of a page of invoices, with one statement.
  Status LoadItemsOf(std::vector<Invoice>& invoices) {
    if (invoices.empty()) return OkStatus();
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(ItemsOfSql(invoices)));
    return ApplyItems(r, invoices);
  }
  // The line items of a page of invoices, with one statement (ApplyItems reads it).
  static Sql ItemsOfSql(const std::vector<Invoice>& invoices) {
    std::vector<std::string> ids;
    for (const Invoice& inv : invoices) ids.push_back(inv.id);
    Sql s;
    s.text =
        "SELECT invoice_id, description, quantity_milli, unit_price_cents, amount_cents FROM "
        "invoice_items WHERE invoice_id = ANY(" +
        s.P(TextArray(ids)) + "::text[]) ORDER BY invoice_id, position";
    return s;
  }
  static Status ApplyItems(const PgResult& r, std::vector<Invoice>& invoices) {
    BILLING_TRY(CheckRows(r, int64_t(invoices.size()) * kMaxItemsPerInvoice,
                          "the line items of a page of invoices"));
    std::map<std::string, Invoice*> by_id;
    for (Invoice& inv : invoices) {
      inv.items.clear();
      by_id[inv.id] = &inv;
    }
    for (int i = 0; i < r.rows(); ++i) {
      const Row row{r, i};
      auto it = by_id.find(row.T(0));
      if (it == by_id.end()) return Error::Internal("postgres: a line item of another invoice");
      it->second->items.push_back(LineItem{row.T(1), row.I(2), row.I(3), row.I(4)});
    }
    return OkStatus();
  }

  Result<std::optional<Invoice>> FindInvoice(const std::string& id) override {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(INVOICE_COLS " WHERE i.id = $1", {id}));
    if (r.rows() == 0) return std::optional<Invoice>();
    BILLING_ASSIGN_OR_RETURN(Invoice inv, ReadInvoice(Row{r, 0}));
    BILLING_TRY(LoadItems(inv));
    return std::optional<Invoice>(std::move(inv));
  }

  Result<std::vector<std::string>> InvoiceIdsWithSeq(int seq) override {
    BILLING_ASSIGN_OR_RETURN(
        PgResult r, Q("SELECT id FROM invoices WHERE seq = $1 ORDER BY year, id", {S(seq)}));
    BILLING_TRY(CheckRows(r, kMaxYears, "invoices with one sequence number"));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Text(i, 0));
    return out;
  }

  // Adds the filters of `q` to `s` (list and totals share them, so they cover the same rows).
  static void InvoiceFilter(const InvoiceQuery& q, Sql& s) {
    if (!q.customer_id.empty()) s.Where("i.customer_id = " + s.P(q.customer_id));
    if (!q.currency.empty()) s.Where("i.currency = " + s.P(q.currency));
    switch (q.status) {
      case InvoiceStatusFilter::kAll:
        break;
      case InvoiceStatusFilter::kOpen:
        s.Where("i.status = 'pending'");
        break;
      case InvoiceStatusFilter::kPending:
        s.Where("i.status = 'pending' AND i.due_date >= " + s.P(q.today.ToString()));
        break;
      case InvoiceStatusFilter::kOverdue:
        s.Where("i.status = 'pending' AND i.due_date < " + s.P(q.today.ToString()));
        break;
      case InvoiceStatusFilter::kPaid:
        s.Where("i.status = 'paid'");
        break;
      case InvoiceStatusFilter::kCancelled:
        s.Where("i.status = 'cancelled'");
        break;
    }
    if (!q.after_id.empty()) {
      const std::string d = s.P(q.after_due_date.ToString());
      s.Where("i.due_date >= " + d + " AND (i.due_date > " + d + " OR i.id > " + s.P(q.after_id) +
              ")");
    }
  }

  Result<std::vector<Invoice>> ListInvoices(const InvoiceQuery& q, const PageSpec& page) override {
    BILLING_TRY(CheckPage(page));
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(InvoicePageSql(q, page)));
    BILLING_ASSIGN_OR_RETURN(std::vector<Invoice> out, ReadInvoicePage(r, page));
    BILLING_TRY(LoadItemsOf(out));
    return out;
  }
  // A page of invoices without their items (ItemsOfSql reads those).
  static Sql InvoicePageSql(const InvoiceQuery& q, const PageSpec& page) {
    Sql s;
    s.text = INVOICE_COLS;
    InvoiceFilter(q, s);
    s.text += s.WhereClause();
    s.text += q.by_amount_due
                  ? " ORDER BY i.total_cents - i.credited_cents - i.paid_cents DESC, i.id"
                  : " ORDER BY i.due_date, i.id";
    s.text += " LIMIT " + s.P(int64_t(page.limit)) + " OFFSET " + s.P(page.offset);
    return s;
  }
  static Result<std::vector<Invoice>> ReadInvoicePage(const PgResult& r, const PageSpec& page) {
    BILLING_TRY(CheckRows(r, page.limit, "an invoice page"));
    std::vector<Invoice> out;
    for (int i = 0; i < r.rows(); ++i) {
      BILLING_ASSIGN_OR_RETURN(Invoice inv, ReadInvoice(Row{r, i}));
      out.push_back(std::move(inv));
    }
    return out;
  }

  Result<InvoiceTotals> SumInvoices(const InvoiceQuery& q) override {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(InvoiceSumSql(q)));
    BILLING_ASSIGN_OR_RETURN(InvoiceTotals totals, ReadInvoiceTotals(r));
    totals.currency = q.currency;
    return totals;
  }
  static Sql InvoiceSumSql(const InvoiceQuery& q) {
    Sql s;
    s.text =
        "SELECT COUNT(*), COALESCE(SUM(i.total_cents), 0), "
        "COALESCE(SUM(CASE WHEN i.status = 'cancelled' OR "
        "i.paid_cents + i.credited_cents >= i.total_cents "
        "THEN 0 ELSE i.total_cents - i.credited_cents - i.paid_cents END), 0), ";
    // The overdue count needs today even when the filter does not.
    const std::string today = s.P(q.today.ToString());
    s.text += "COALESCE(SUM(CASE WHEN i.status = 'pending' AND i.due_date < " + today +
              " THEN 1 ELSE 0 END), 0) FROM invoices i";
    InvoiceFilter(q, s);
    s.text += s.WhereClause();
    return s;
  }
  static Result<InvoiceTotals> ReadInvoiceTotals(const PgResult& r) {
    if (r.rows() != 1) return Error::Internal("postgres: invoice totals returned no row");
    const Row row{r, 0};
    return InvoiceTotals{row.I(0), row.I(1), row.I(2), row.I(3)};
  }

  // Counters: one UPDATE ... RETURNING (a row lock until commit), an INSERT the first time.
  Result<int64_t> NextValue(const std::string& update_sql, const std::string& insert_sql,
                            const std::string& key) {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(update_sql, {key}));
    if (r.rows() == 1) return Row{r, 0}.I(0);
    BILLING_TRY(Exec(insert_sql, {key}));
    return int64_t{1};
  }

  Result<int> NextInvoiceSeq(int year) override {
    BILLING_ASSIGN_OR_RETURN(
        int64_t seq,
        NextValue("UPDATE invoice_counters SET last_seq = last_seq + 1 WHERE year = $1 "
                  "RETURNING last_seq",
                  "INSERT INTO invoice_counters (year, last_seq) VALUES ($1, 1)", S(year)));
    return int(seq);
  }

  Status InsertItems(const Invoice& inv) {
    BILLING_TRY(Exec("DELETE FROM invoice_items WHERE invoice_id = $1", {inv.id}));
    if (inv.items.empty()) return OkStatus();
    // One statement for all the lines: one round trip, not one per line.
    Sql s;
    s.text =
        "INSERT INTO invoice_items (invoice_id, position, description, quantity_milli, "
        "unit_price_cents, amount_cents) VALUES ";
    const std::string id = s.P(inv.id);
    for (size_t k = 0; k < inv.items.size(); ++k) {
      const LineItem& it = inv.items[k];
      s.text += (k ? ", (" : "(") + id + "," + s.P(int64_t(k + 1)) + "," + s.P(it.description) +
                "," + s.P(it.quantity_milli) + "," + s.P(it.unit_price_cents) + "," +
                s.P(it.amount_cents) + ")";
    }
    return Exec(s.text, s.params);
  }

  Status InsertInvoice(const Invoice& inv) override {
    BILLING_TRY(Exec(
        "INSERT INTO invoices (id, year, seq, customer_id, subtotal_cents, tax_rate_bp, "
        "tax_cents, total_cents, status, issue_date, due_date, notes, paid_date, payment_method, "
        "created_at, created_by, updated_by, created_on_behalf_of, updated_on_behalf_of, "
        "discount_cents, coupon_code, currency) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)",
        {inv.id,
         S(inv.year),
         S(inv.seq),
         inv.customer_id,
         S(inv.subtotal_cents),
         S(inv.tax_rate_bp),
         S(inv.tax_cents),
         S(inv.total_cents),
         inv.status,
         inv.issue_date.ToString(),
         inv.due_date.ToString(),
         inv.notes,
         inv.paid_date,
         inv.payment_method,
         inv.created_at,
         inv.created_by,
         inv.updated_by,
         inv.created_on_behalf_of,
         inv.updated_on_behalf_of,
         S(inv.discount_cents),
         inv.coupon_code,
         inv.currency}));
    return InsertItems(inv);
  }

  Status UpdateInvoice(const Invoice& inv) override {
    BILLING_TRY(One(
        "UPDATE invoices SET subtotal_cents=$2, tax_rate_bp=$3, tax_cents=$4, total_cents=$5, "
        "status=$6, due_date=$7, notes=$8, paid_date=$9, payment_method=$10, updated_by=$11, "
        "updated_on_behalf_of=$12, credited_cents=$13, discount_cents=$14 WHERE id=$1",
        {inv.id, S(inv.subtotal_cents), S(inv.tax_rate_bp), S(inv.tax_cents), S(inv.total_cents),
         inv.status, inv.due_date.ToString(), inv.notes, inv.paid_date, inv.payment_method,
         inv.updated_by, inv.updated_on_behalf_of, S(inv.credited_cents), S(inv.discount_cents)},
        "invoice to update"));
    return InsertItems(inv);
  }

  Result<int64_t> NextCounter(const std::string& name) {
    return NextValue("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value",
                     "INSERT INTO counters (name, value) VALUES ($1, 1)", name);
  }
  Result<int64_t> NextPaymentNumber() override { return NextCounter("payment"); }
  Result<int64_t> NextRefundNumber() override { return NextCounter("refund"); }

  Result<std::optional<Payment>> FindPayment(const std::string& id) override {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(PAYMENT_COLS " WHERE id = $1", {id}));
    if (r.rows() == 0) return std::optional<Payment>();
    return std::optional<Payment>(ReadPayment(Row{r, 0}));
  }

  static Sql PaymentSql(const PaymentQuery& q, const std::string& select) {
    Sql s;
    s.text = select;
    if (!q.customer_id.empty()) s.Where("customer_id = " + s.P(q.customer_id));
    if (!q.currency.empty()) s.Where("currency = " + s.P(q.currency));
    if (!q.from_at.empty()) {
      s.Where("created_at >= " + s.P(q.from_at) + " AND created_at < " + s.P(q.until_at));
    } else {
      if (!q.status.empty()) s.Where("status = " + s.Enum(q.status, kPaymentStatuses));
      if (q.before_number > 0) s.Where("number < " + s.P(q.before_number));
    }
    s.text += s.WhereClause();
    return s;
  }

  Result<std::vector<Payment>> ListPayments(const PaymentQuery& q, const PageSpec& page) override {
    BILLING_TRY(CheckPage(page));
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(PaymentPageSql(q, page)));
    return ReadPaymentPage(r, page);
  }
  static Sql PaymentPageSql(const PaymentQuery& q, const PageSpec& page) {
    Sql s = PaymentSql(q, PAYMENT_COLS);
    s.text +=
        q.from_at.empty() ? " ORDER BY number DESC" : " ORDER BY created_at DESC, number DESC";
    s.text += " LIMIT " + s.P(int64_t(page.limit)) + " OFFSET " + s.P(page.offset);
    return s;
  }
  static Result<std::vector<Payment>> ReadPaymentPage(const PgResult& r, const PageSpec& page) {
    BILLING_TRY(CheckRows(r, page.limit, "a payment page"));
    std::vector<Payment> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadPayment(Row{r, i}));
    return out;
  }

  Result<PaymentTotals> SumPayments(const PaymentQuery& q) override {
    Sql s = PaymentSql(q,
                       "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0), COALESCE(SUM(CASE WHEN "
                       "status <> 'failed' THEN amount_cents ELSE 0 END), 0), "
                       "COALESCE(SUM(refunded_cents), 0) FROM payments");
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(s));
    if (r.rows() != 1) return Error::Internal("postgres: payment totals returned no row");
    const Row row{r, 0};
    return PaymentTotals{row.I(0), row.I(1), row.I(2), row.I(3), q.currency};
  }

  Status InsertPayment(const Payment& p) override {
    return Exec(
        "INSERT INTO payments (id, number, customer_id, invoice_id, amount_cents, refunded_cents, "
        "method, status, transaction_id, failure_reason, actor, created_at, payment_method_id, "
        "on_behalf_of, currency, attempt) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,"
        "$15,$16)",
        {p.id, S(p.number), p.customer_id, p.invoice_id, S(p.amount_cents), S(p.refunded_cents),
         p.method, p.status, p.transaction_id, p.failure_reason, p.actor, p.created_at,
         p.payment_method_id, p.on_behalf_of, p.currency, S(p.attempt)});
  }

  Status UpdatePaymentRefund(const std::string& id, int64_t refunded_cents,
                             const std::string& status) override {
    return One("UPDATE payments SET refunded_cents = $2, status = $3 WHERE id = $1",
               {id, S(refunded_cents), status}, "payment to update");
  }

  Status FillAllocations(std::vector<Payment>& payments) override {
    if (payments.empty()) return OkStatus();
    if (payments.size() > size_t(kMaxPageRows)) {
      return Error::Internal("postgres: allocations of more than a page of payments");
    }
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(AllocationsOfSql(payments)));
    return ApplyAllocations(r, payments);
  }
  static Sql AllocationsOfSql(const std::vector<Payment>& payments) {
    std::vector<std::string> ids;
    for (const Payment& p : payments) ids.push_back(p.id);
    Sql s;
    s.text =
        "SELECT id, payment_id, invoice_id, amount_cents, refunded_cents FROM payment_allocations "
        "WHERE payment_id = ANY(" +
        s.P(TextArray(ids)) + "::text[]) ORDER BY id";
    return s;
  }
  static Status ApplyAllocations(const PgResult& r, std::vector<Payment>& payments) {
    BILLING_TRY(CheckRows(r, int64_t(payments.size()) * kMaxRowsPerPayment,
                          "the allocations of a page of payments"));
    std::map<std::string, Payment*> by_id;
    for (Payment& p : payments) {
      p.allocations.clear();
      by_id[p.id] = &p;
    }
    for (int i = 0; i < r.rows(); ++i) {
      const Row row{r, i};
      auto it = by_id.find(row.T(1));
      if (it == by_id.end()) return Error::Internal("postgres: an allocation of another payment");
      it->second->allocations.push_back(
          Allocation{row.I(0), row.T(1), row.T(2), row.I(3), row.I(4)});
    }
    return OkStatus();
  }

  Result<std::vector<Allocation>> AllocationsOf(const std::string& payment_id) override {
    BILLING_ASSIGN_OR_RETURN(
        PgResult r, Q("SELECT id, payment_id, invoice_id, amount_cents, refunded_cents FROM "
                      "payment_allocations WHERE payment_id = $1 ORDER BY id",
                      {payment_id}));
    BILLING_TRY(CheckRows(r, kMaxRowsPerPayment, "a payment's allocations"));
    std::vector<Allocation> out;
    for (int i = 0; i < r.rows(); ++i) {
      const Row row{r, i};
      out.push_back(Allocation{row.I(0), row.T(1), row.T(2), row.I(3), row.I(4)});
    }
    return out;
  }

  Result<std::vector<Allocation>> AllocationsToInvoice(const std::string& invoice_id,
                                                       int limit) override {
    if (limit < 1 || limit > kMaxPageRows)
      return Error::Internal("postgres: allocation page out of range");
    BILLING_ASSIGN_OR_RETURN(
        PgResult r, Q("SELECT id, payment_id, invoice_id, amount_cents, refunded_cents FROM "
                      "payment_allocations WHERE invoice_id = $1 ORDER BY id LIMIT $2",
                      {invoice_id, S(int64_t(limit))}));
    BILLING_TRY(CheckRows(r, limit, "an invoice's allocations"));
    std::vector<Allocation> out;
    for (int i = 0; i < r.rows(); ++i) {
      const Row row{r, i};
      out.push_back(Allocation{row.I(0), row.T(1), row.T(2), row.I(3), row.I(4)});
    }
    return out;
  }

  Status InsertAllocation(const Allocation& a) override {
    return Exec(
        "INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents, refunded_cents) "
        "VALUES ($1,$2,$3,$4)",
        {a.payment_id, a.invoice_id, S(a.amount_cents), S(a.refunded_cents)});
  }

  Status UpdateAllocationRefunded(int64_t allocation_id, int64_t refunded_cents) override {
    return Exec("UPDATE payment_allocations SET refunded_cents = $2 WHERE id = $1",
                {S(allocation_id), S(refunded_cents)});
  }

  Status InsertRefund(const Refund& r) override {
    return Exec(
        "INSERT INTO refunds (id, number, payment_id, amount_cents, reason, transaction_id, "
        "created_at, actor, on_behalf_of) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        {r.id, S(r.number), r.payment_id, S(r.amount_cents), r.reason, r.transaction_id,
         r.created_at, r.actor, r.on_behalf_of});
  }

  Result<std::vector<Refund>> RefundsOf(const std::string& payment_id) override {
    BILLING_ASSIGN_OR_RETURN(
        PgResult r,
        Q("SELECT id, number, payment_id, amount_cents, reason, transaction_id, created_at, "
          "actor, on_behalf_of FROM refunds WHERE payment_id = $1 ORDER BY number",
          {payment_id}));
    BILLING_TRY(CheckRows(r, kMaxRowsPerPayment, "a payment's refunds"));
    std::vector<Refund> out;
    for (int i = 0; i < r.rows(); ++i) {
      const Row w{r, i};
      out.push_back(Refund{w.T(0), w.I(1), w.T(2), w.I(3), w.T(4), w.T(5), w.T(6), w.T(7), w.T(8)});
    }
    return out;
  }
  Result<std::optional<Refund>> FindRefund(const std::string& id) override {
    BILLING_ASSIGN_OR_RETURN(
        PgResult r,
        Q("SELECT id, number, payment_id, amount_cents, reason, transaction_id, created_at, "
          "actor, on_behalf_of FROM refunds WHERE id = $1",
          {id}));
    if (r.rows() == 0) return std::optional<Refund>();
    const Row w{r, 0};
    return std::optional<Refund>(
        Refund{w.T(0), w.I(1), w.T(2), w.I(3), w.T(4), w.T(5), w.T(6), w.T(7), w.T(8)});
  }

  Result<int64_t> NextStoredCardNumber() override {
    // Race-free: writers take turns under the writers' lock (pg_pool.h).
    BILLING_ASSIGN_OR_RETURN(PgResult r,
                             Q("SELECT COALESCE(MAX(number), 0) + 1 FROM payment_methods"));
    return r.rows() ? Row{r, 0}.I(0) : 1;
  }

  Status InsertStoredCard(const StoredCard& c) override {
    return Exec(
        "INSERT INTO payment_methods (id, number, customer_id, type, brand, last4, exp_month, "
        "exp_year, details_sealed, key_id, actor, created_at, on_behalf_of) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
        {c.id, S(c.number), c.customer_id, c.type, c.brand, c.last4, S(c.exp_month), S(c.exp_year),
         c.details_sealed, c.key_id, c.actor, c.created_at, c.on_behalf_of});
  }

  Result<std::optional<StoredCard>> FindStoredCard(const std::string& id) override {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(CARD_COLS " WHERE id = $1", {id}));
    if (r.rows() == 0) return std::optional<StoredCard>();
    return std::optional<StoredCard>(ReadCard(Row{r, 0}));
  }

  Result<std::vector<StoredCard>> ListStoredCards(const std::string& customer_id,
                                                  int64_t after_number, int limit) override {
    if (limit < 1 || limit > kMaxPageRows)
      return Error::Internal("postgres: card page out of range");
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(CardPageSql(customer_id, after_number, limit)));
    return ReadCardPage(r, limit);
  }
  static Sql CardPageSql(const std::string& customer_id, int64_t after_number, int limit) {
    Sql s;
    s.text = CARD_COLS;
    if (!customer_id.empty()) s.Where("customer_id = " + s.P(customer_id));
    s.Where("number > " + s.P(after_number));
    s.text += s.WhereClause() + " ORDER BY number LIMIT " + s.P(int64_t(limit));
    return s;
  }
  static Result<std::vector<StoredCard>> ReadCardPage(const PgResult& r, int limit) {
    BILLING_TRY(CheckRows(r, limit, "a stored card page"));
    std::vector<StoredCard> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadCard(Row{r, i}));
    return out;
  }

  Status UpdateStoredCardSeal(const std::string& id, const std::string& sealed,
                              const std::string& key_id) override {
    return Exec("UPDATE payment_methods SET details_sealed = $2, key_id = $3 WHERE id = $1",
                {id, sealed, key_id});
  }

  Result<std::optional<OperationRecord>> FindOperation(const std::string& op_key) override {
    BILLING_ASSIGN_OR_RETURN(
        PgResult r, Q("SELECT op_key, kind, fingerprint, entity_id, detail_id, created_at FROM "
                      "operations WHERE op_key = $1",
                      {op_key}));
    if (r.rows() == 0) return std::optional<OperationRecord>();
    const Row w{r, 0};
    return std::optional<OperationRecord>(
        OperationRecord{w.T(0), w.T(1), w.T(2), w.T(3), w.T(4), w.T(5)});
  }

  Status InsertOperation(const OperationRecord& op) override {
    return Exec(
        "INSERT INTO operations (op_key, kind, fingerprint, entity_id, detail_id, created_at) "
        "VALUES ($1,$2,$3,$4,$5,$6)",
        {op.op_key, op.kind, op.fingerprint, op.entity_id, op.detail_id, op.created_at});
  }

  Status AppendAudit(const AuditEntry& e) override {
    return Exec(
        "INSERT INTO audit_log (seq, at, actor, action, entity_type, entity_id, before_json, "
        "after_json, request_id, prev_hash, hash, on_behalf_of, chain_version) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
        {S(e.seq), e.at, e.actor, e.action, e.entity_type, e.entity_id, e.before_json, e.after_json,
         e.request_id, e.prev_hash, e.hash, e.on_behalf_of, S(e.chain_version)});
  }

  Result<std::vector<AuditEntry>> ListAudit(const AuditQuery& q, int limit) override {
    if (limit < 1 || limit > kMaxPageRows)
      return Error::Internal("postgres: audit page out of range");
    Sql s;
    s.text = AUDIT_COLS;
    if (!q.actor.empty()) s.Where("actor = " + s.P(q.actor));
    if (!q.on_behalf_of.empty()) s.Where("on_behalf_of = " + s.P(q.on_behalf_of));
    s.Where("seq > " + s.P(q.after_seq));
    s.text += s.WhereClause() + " ORDER BY seq LIMIT " + s.P(int64_t(limit));
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(s));
    BILLING_TRY(CheckRows(r, limit, "an audit page"));
    std::vector<AuditEntry> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadAudit(Row{r, i}));
    return out;
  }

  Status InsertPlan(const Plan& p) override { return pgsubs::InsertPlan(conn_, p); }
  Result<std::optional<Plan>> FindPlan(const std::string& id) override {
    return pgsubs::FindPlan(conn_, id);
  }
  Result<std::vector<Plan>> ListPlans(int limit) override {
    return pgsubs::ListPlans(conn_, limit);
  }
  Result<int64_t> NextSubscriptionNumber() override {
    return pgsubs::NextSubscriptionNumber(conn_);
  }
  Status InsertSubscription(const Subscription& s) override {
    return pgsubs::InsertSubscription(conn_, s);
  }
  Status UpdateSubscription(const Subscription& s) override {
    return pgsubs::UpdateSubscription(conn_, s);
  }
  Result<std::optional<Subscription>> FindSubscription(const std::string& id) override {
    return pgsubs::FindSubscription(conn_, id);
  }
  Result<std::vector<Subscription>> ListSubscriptions(const SubscriptionQuery& q,
                                                      const PageSpec& page) override {
    return pgsubs::ListSubscriptions(conn_, q, page);
  }
  Result<SubscriptionTotals> SumSubscriptions(const SubscriptionQuery& q) override {
    return pgsubs::SumSubscriptions(conn_, q);
  }
  Result<std::vector<Subscription>> DueSubscriptions(const DueSubscriptionsQuery& q,
                                                     int limit) override {
    return pgsubs::DueSubscriptions(conn_, q, limit);
  }
  Status InsertSubscriptionPeriod(const SubscriptionPeriod& p) override {
    return pgsubs::InsertSubscriptionPeriod(conn_, p);
  }
  Status SetPeriodInvoice(const std::string& subscription_id, const std::string& from_invoice_id,
                          const std::string& to_invoice_id) override {
    return pgsubs::SetPeriodInvoice(conn_, subscription_id, from_invoice_id, to_invoice_id);
  }
  Result<std::vector<SubscriptionPeriod>> PeriodsOf(const std::string& subscription_id,
                                                    int limit) override {
    return pgsubs::PeriodsOf(conn_, subscription_id, limit);
  }

  Result<int64_t> NextDraftNumber() override { return NextCounter("invoice_draft"); }
  Status InsertDraft(const InvoiceDraft& d) override { return pgnotes::InsertDraft(conn_, d); }
  Status UpdateDraft(const InvoiceDraft& d) override { return pgnotes::UpdateDraft(conn_, d); }
  Result<std::optional<InvoiceDraft>> FindDraft(const std::string& id) override {
    return pgnotes::FindDraft(conn_, id);
  }
  Result<std::vector<InvoiceDraft>> ListDrafts(const std::string& customer_id, const PageSpec& page,
                                               int64_t after_number) override {
    return pgnotes::ListDrafts(conn_, customer_id, page, after_number);
  }
  Result<std::vector<InvoiceDraft>> DueDrafts(const std::string& now, int limit) override {
    return pgnotes::DueDrafts(conn_, now, limit);
  }
  Result<int64_t> CountDrafts(const std::string& customer_id) override {
    return pgnotes::CountDrafts(conn_, customer_id);
  }
  Result<int> NextCreditNoteSeq(int year) override {
    BILLING_ASSIGN_OR_RETURN(
        int64_t seq,
        NextValue("UPDATE credit_note_counters SET last_seq = last_seq + 1 WHERE year = $1 "
                  "RETURNING last_seq",
                  "INSERT INTO credit_note_counters (year, last_seq) VALUES ($1, 1)", S(year)));
    return int(seq);
  }
  Status InsertCreditNote(const CreditNote& cn) override {
    return pgnotes::InsertCreditNote(conn_, cn);
  }
  Result<std::optional<CreditNote>> FindCreditNote(const std::string& id) override {
    return pgnotes::FindCreditNote(conn_, id);
  }
  Result<std::vector<CreditNote>> CreditNotesOf(const std::string& invoice_id, int limit) override {
    return pgnotes::CreditNotesOf(conn_, invoice_id, limit);
  }
  Result<std::vector<CreditNote>> ListCreditNotes(int after_year, int after_seq,
                                                  int limit) override {
    return pgnotes::ListCreditNotes(conn_, after_year, after_seq, limit);
  }
  Status InsertCoupon(const Coupon& c) override { return pgnotes::InsertCoupon(conn_, c); }
  Result<std::optional<Coupon>> FindCoupon(const std::string& code) override {
    return pgnotes::FindCoupon(conn_, code);
  }
  Result<std::vector<Coupon>> ListCoupons(int limit) override {
    return pgnotes::ListCoupons(conn_, limit);
  }
  Status SetCouponArchived(const std::string& code, bool archived) override {
    return pgnotes::SetCouponArchived(conn_, code, archived);
  }
  Result<int64_t> RedeemCoupon(CouponRedemption r) override {
    return pgnotes::RedeemCoupon(conn_, std::move(r));
  }
  Result<int64_t> CountRedemptions(const std::string& code) override {
    return pgnotes::CountRedemptions(conn_, code);
  }
  // Collection and dunning: pg_collection.cc.
  Status SetCustomerStatus(const std::string& customer_id, const std::string& status) override {
    return pgcollect::SetCustomerStatus(conn_, customer_id, status);
  }
  Status InsertCollection(const Collection& c) override {
    return pgcollect::InsertCollection(conn_, c);
  }
  Status UpdateCollection(const Collection& c) override {
    return pgcollect::UpdateCollection(conn_, c);
  }
  Result<std::optional<Collection>> FindCollection(const std::string& invoice_id) override {
    return pgcollect::FindCollection(conn_, invoice_id);
  }
  Result<std::vector<Collection>> DueCollections(const Date& as_of, int limit) override {
    return pgcollect::DueCollections(conn_, as_of, limit);
  }
  Result<std::optional<Collection>> LatestCollectionOf(
      const std::string& subscription_id) override {
    return pgcollect::LatestCollectionOf(conn_, subscription_id);
  }
  Result<std::vector<std::string>> NewlyOverdueInvoices(const Date& today, int limit) override {
    return pgcollect::NewlyOverdueInvoices(conn_, today, limit);
  }
  Status SetOverdueState(const std::string& invoice_id, int state) override {
    return pgcollect::SetOverdueState(conn_, invoice_id, state);
  }
  Result<std::optional<std::string>> OldestDunnedInvoice(const std::string& customer_id) override {
    return pgcollect::OldestDunnedInvoice(conn_, customer_id);
  }
  Result<std::optional<DunningCase>> FindDunningCase(const std::string& customer_id) override {
    return pgcollect::FindDunningCase(conn_, customer_id);
  }
  Status PutDunningCase(const DunningCase& c) override {
    return pgcollect::PutDunningCase(conn_, c);
  }
  Status DeleteDunningCase(const std::string& customer_id) override {
    return pgcollect::DeleteDunningCase(conn_, customer_id);
  }
  Result<std::vector<DunningCase>> ListDunningCases(const std::string& after_customer_id,
                                                    int limit) override {
    return pgcollect::ListDunningCases(conn_, after_customer_id, limit);
  }
  Result<std::vector<DunningCase>> DueDunningCases(const Date& as_of, int limit) override {
    return pgcollect::DueDunningCases(conn_, as_of, limit);
  }
  Result<int64_t> CountDunningCases() override { return pgcollect::CountDunningCases(conn_); }
  Result<bool> InsertDunningStep(const DunningStepRecord& s) override {
    return pgcollect::InsertDunningStep(conn_, s);
  }
  Result<std::vector<DunningStepRecord>> DunningStepsOf(const std::string& invoice_id,
                                                        int limit) override {
    return pgcollect::DunningStepsOf(conn_, invoice_id, limit);
  }
  Result<std::vector<Payment>> PaymentsWithCredit(const std::string& customer_id,
                                                  int limit) override {
    if (limit < 1 || limit > kMaxPageRows)
      return Error::Internal("postgres: payments-with-credit page out of range");
    // The WHERE matches the partial index payments_with_credit (migration 005).
    BILLING_ASSIGN_OR_RETURN(PgResult r,
                             Q(PAYMENT_COLS " WHERE customer_id = $1 AND status <> 'failed' AND "
                                            "amount_cents - refunded_cents > applied_cents "
                                            "ORDER BY number LIMIT $2",
                               {customer_id, S(int64_t(limit))}));
    return ReadPaymentPage(r, PageSpec{0, limit});
  }
  Status ReduceAllocation(int64_t allocation_id, int64_t amount_cents) override {
    return pgnotes::ReduceAllocation(conn_, allocation_id, amount_cents);
  }

  Status AppendEvent(const Event& e) override {
    // The event and its webhook deliveries in one statement (a data-modifying CTE runs whether or
    // not the outer insert selects any endpoint): one round trip.
    return Exec(
        "WITH ev AS (INSERT INTO events (seq, id, type, created_at, object_type, object_id, "
        "data_json, request_id, idempotency_key) SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, "
        "$4, $5, $6, $7, $8 FROM events RETURNING id, type, created_at) INSERT INTO "
        "webhook_deliveries (seq, event_id, endpoint_id, status, next_attempt_at, created_at) "
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM webhook_deliveries) + ROW_NUMBER() OVER "
        "(ORDER BY w.id), ev.id, w.id, 'pending', ev.created_at, ev.created_at FROM ev, "
        "webhook_endpoints w WHERE w.status = 'enabled' AND (w.enabled_events = '*' OR "
        "position(',' || ev.type || ',' in w.enabled_events) > 0)",
        {e.id, e.type, e.created_at, e.object_type, e.object_id, e.data_json, e.request_id,
         e.idempotency_key});
  }

  Result<std::optional<int64_t>> EventSeq(const std::string& id) override {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q("SELECT seq FROM events WHERE id = $1", {id}));
    if (r.rows() == 0) return std::optional<int64_t>();
    return std::optional<int64_t>(Row{r, 0}.I(0));
  }

  Status PutWebhookEndpoint(const WebhookEndpoint& e) override {
    return pgwebhooks::PutWebhookEndpoint(conn_, e);
  }
  Result<std::optional<WebhookEndpoint>> FindWebhookEndpoint(const std::string& id) override {
    return pgwebhooks::FindWebhookEndpoint(conn_, id);
  }
  Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints() override {
    return pgwebhooks::ListWebhookEndpoints(conn_);
  }
  Status DeleteWebhookEndpoint(const std::string& id) override {
    return pgwebhooks::DeleteWebhookEndpoint(conn_, id);
  }
  Result<std::vector<WebhookDelivery>> ClaimDeliveries(const std::string& now,
                                                       const std::string& lease_until,
                                                       int limit) override {
    return pgwebhooks::ClaimDeliveries(conn_, now, lease_until, limit);
  }
  Result<bool> AnyDeliveryDue(const std::string& now) override {
    return pgwebhooks::AnyDeliveryDue(conn_, now);
  }
  Status UpdateDelivery(const WebhookDelivery& d) override {
    return pgwebhooks::UpdateDelivery(conn_, d);
  }
  Status InsertAttempt(const WebhookAttempt& a) override {
    return pgwebhooks::InsertAttempt(conn_, a);
  }
  Result<std::optional<WebhookDelivery>> FindDelivery(int64_t seq) override {
    return pgwebhooks::FindDelivery(conn_, seq);
  }
  Result<std::vector<WebhookDelivery>> DeliveriesOf(const std::string& endpoint_id,
                                                    int64_t before_seq, int limit) override {
    return pgwebhooks::DeliveriesOf(conn_, endpoint_id, before_seq, limit);
  }
  Result<std::vector<WebhookAttempt>> AttemptsOf(int64_t delivery_seq, int limit) override {
    return pgwebhooks::AttemptsOf(conn_, delivery_seq, limit);
  }
  Status InsertEmail(const OutboxEmail& e) override { return pgemail::InsertEmail(conn_, e); }
  Result<std::vector<OutboxEmail>> ClaimEmails(const std::string& now,
                                               const std::string& lease_until,
                                               int limit) override {
    return pgemail::ClaimEmails(conn_, now, lease_until, limit);
  }
  Result<bool> AnyEmailDue(const std::string& now) override {
    return pgemail::AnyEmailDue(conn_, now);
  }
  Status UpdateEmail(const OutboxEmail& e) override { return pgemail::UpdateEmail(conn_, e); }
  Result<std::optional<OutboxEmail>> FindEmail(int64_t seq) override {
    return pgemail::FindEmail(conn_, seq);
  }
  Result<std::vector<OutboxEmail>> EmailsOf(const std::string& customer_id, int64_t before_seq,
                                            int limit) override {
    return pgemail::EmailsOf(conn_, customer_id, before_seq, limit);
  }

  Result<std::vector<ReceivableRow>> Receivables(const std::string& customer_id,
                                                 int64_t limit) override {
    return pgreports::Receivables(conn_, customer_id, limit);
  }
  Result<std::vector<RevenueMonthRow>> RevenueMonths(const std::string& from_month,
                                                     const std::string& to_month) override {
    return pgreports::RevenueMonths(conn_, from_month, to_month);
  }
  Result<std::vector<PaymentAttemptRow>> PaymentAttemptMonths(
      const std::string& from_month, const std::string& to_month) override {
    return pgreports::PaymentAttemptMonths(conn_, from_month, to_month);
  }
  Result<std::vector<MrrMonthRow>> MrrMonths(const std::string& to_month) override {
    return pgreports::MrrMonths(conn_, to_month);
  }
  Result<Backlog> CountBacklog(const Date& today, int64_t cap) override {
    return pgreports::CountBacklog(conn_, today, cap);
  }

  Result<std::vector<Event>> ListEvents(const EventQuery& q, int limit) override {
    if (limit < 1 || limit > kMaxPageRows)
      return Error::Internal("postgres: event page out of range");
    Sql s;
    s.text =
        "SELECT seq, id, type, created_at, object_type, object_id, data_json, request_id, "
        "idempotency_key FROM events";
    if (!q.type.empty()) s.Where("type = " + s.P(q.type));
    s.Where("seq > " + s.P(q.after_seq));
    s.text += s.WhereClause() + (q.newest_first ? " ORDER BY seq DESC LIMIT " : " ORDER BY seq LIMIT ") +
              s.P(int64_t(limit));
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(s));
    BILLING_TRY(CheckRows(r, limit, "an event page"));
    std::vector<Event> out;
    for (int i = 0; i < r.rows(); ++i) {
      const Row row{r, i};
      out.push_back(Event{row.I(0), row.T(1), row.T(2), row.T(3), row.T(4), row.T(5), row.T(6),
                          row.T(7), row.T(8)});
    }
    return out;
  }

  Result<std::optional<AuditEntry>> LastAudit() override {
    BILLING_ASSIGN_OR_RETURN(PgResult r, Q(AUDIT_COLS " ORDER BY seq DESC LIMIT 1"));
    if (r.rows() == 0) return std::optional<AuditEntry>();
    return std::optional<AuditEntry>(ReadAudit(Row{r, 0}));
  }

 private:
  PgConnection& conn_;
  pg::OverviewCache* const cache_;  // nullptr: not cached
};

class PgStore final : public Store {
 public:
  explicit PgStore(std::shared_ptr<pg::Pool> pool)
      : pool_(std::move(pool)), cache_(size_t(pool_->options().overview_cache_entries)) {}

  Status Read(const std::function<Status(StoreTx&)>& fn) override {
    return pool_->Read([&](PgConnection& conn) {
      PgTx tx(conn, &cache_);
      return fn(tx);
    });
  }
  Status Write(const std::function<Status(StoreTx&)>& fn) override {
    return pool_->Write([&](PgConnection& conn) {
      PgTx tx(conn);
      Status s = fn(tx);
      // Every write transaction of the ledger moves its version (pg_overview_cache.h), in the
      // writer's savepoint, sent with the statement that follows (RELEASE or COMMIT).
      // A writer that sent nothing (its statements still queued) changed nothing.
      if (s.ok() && !conn.has_deferred()) conn.Defer(pg::kBumpLedgerVersionSql);
      return s;
    });
  }
  std::string Describe() const override {
    return "postgres:" + pg::RedactedDbUrl(pool_->options().url);
  }
  Stats stats() const override {
    const auto& c = pool_->counters();
    Stats s;
    s.writes = c.writes.load();
    s.commits = c.commits.load();
    s.retries = c.retries.load();
    s.statements = c.statements.load();
    s.round_trips = c.round_trips.load();
    s.cache_hits = cache_.hits();
    s.cache_misses = cache_.misses();
    for (size_t i = 0; i < s.group_sizes.size(); ++i) s.group_sizes[i] = c.group_sizes[i].load();
    return s;
  }
  Status Ping() override { return pool_->Ping(); }
  bool ReadsWaitOnNetwork() const override { return true; }

 private:
  std::shared_ptr<pg::Pool> pool_;
  pg::OverviewCache cache_;
};

}  // namespace

std::unique_ptr<Store> NewPostgresStore(std::shared_ptr<pg::Pool> pool) {
  return std::make_unique<PgStore>(std::move(pool));
}

}  // namespace billing
