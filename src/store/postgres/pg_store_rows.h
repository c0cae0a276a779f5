// The rows of the PostgreSQL store (pg_store.cc): the statement builder with dense $n parameters,
// the column lists of each record, and the readers that turn a result row into a record, with
// the bounds and the error mapping every statement shares. Not a public interface: include only
// from src/store/postgres/*.cc.
//
// Statements are built per call (pgrows::Sql), so each list shape has exactly the WHERE clause
// its filters need; PgConnection prepares each distinct text once per connection.
//
// Thread-safety: pure functions and values.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "billing/types.h"
#include "common/result.h"
#include "store/postgres/pg_connection.h"
#include "store/store.h"

#define CUSTOMER_COLS                                                                       \
  "c.id, c.company, c.contact_name, c.email, c.billing_cycle, c.payment_method, c.status, " \
  "c.currency, c.tax_rate_bp, c.opening_balance_cents, c.created_at, c.locale, "            \
  "c.payment_terms_days"

#define PAYMENT_COLS                                                                              \
  "SELECT id, number, customer_id, invoice_id, amount_cents, refunded_cents, method, status, "    \
  "transaction_id, failure_reason, actor, created_at, payment_method_id, "                        \
  "COALESCE((SELECT brand FROM payment_methods m WHERE m.id = payments.payment_method_id), ''), " \
  "COALESCE((SELECT last4 FROM payment_methods m WHERE m.id = payments.payment_method_id), ''), " \
  "on_behalf_of, applied_cents, currency, attempt FROM payments"

#define CARD_COLS                                                                             \
  "SELECT id, number, customer_id, type, brand, last4, exp_month, exp_year, details_sealed, " \
  "key_id, actor, created_at, on_behalf_of FROM payment_methods"

#define INVOICE_COLS                                                                        \
  "SELECT i.id, i.year, i.seq, i.customer_id, c.company, i.subtotal_cents, i.tax_rate_bp, " \
  "i.tax_cents, i.total_cents, i.status, i.issue_date, i.due_date, i.notes, i.paid_date, "  \
  "i.payment_method, i.created_at, i.created_by, i.updated_by, i.paid_cents, "              \
  "i.created_on_behalf_of, i.updated_on_behalf_of, i.credited_cents, i.discount_cents, "    \
  "i.coupon_code, i.currency "                                                              \
  "FROM invoices i JOIN customers c ON c.id = i.customer_id"

#define AUDIT_COLS                                                                   \
  "SELECT seq, at, actor, action, entity_type, entity_id, before_json, after_json, " \
  "request_id, prev_hash, hash, on_behalf_of, chain_version FROM audit_log"

#define CUSTOMER_BALANCE \
  "(c.opening_balance_cents + t.invoiced_cents - t.paid_cents + t.refunded_cents)"

namespace billing::pgrows {

using pg::PgConnection;
using pg::PgResult;
using Params = std::vector<std::optional<std::string>>;

inline constexpr int64_t kMaxItemsPerInvoice = 100;
inline constexpr int64_t kMaxRowsPerPayment = 100'000;
inline constexpr int64_t kMaxYears = 10'000;
inline constexpr int64_t kMaxLedgerCustomers = 10'000'000;

inline std::string S(int64_t v) {
  return std::to_string(v);
}

// A text[] literal of `values` for "= ANY($n::text[])": every element quoted, its quotes and
// backslashes escaped, so any id reads back as itself.
inline std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t k = 0; k < values.size(); ++k) {
    if (k > 0) out += ',';
    out += '"';
    for (char c : values[k]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// A statement under construction: SQL text plus its parameters, numbered as they are added.
struct Sql {
  std::string text;
  Params params;
  std::vector<std::string> where;
  std::string P(std::string value) {
    params.emplace_back(std::move(value));
    // Appended rather than "$" + ...: GCC 12 warns falsely (-Wrestrict) on that inlined insert.
    std::string out = "$";
    out += std::to_string(params.size());
    return out;
  }
  std::string P(int64_t value) { return P(S(value)); }
  // A value of a closed set (`allowed`, e.g. kPaymentStatuses) written into the text rather than
  // bound: the connections plan prepared statements once, generically (pg_connection.cc), and a
  // generic plan cannot see that a rare value ('failed' among millions of 'completed') is rare;
  // with the literal in the text, each value gets a plan of its own from the column's statistics.
  // A value outside the set is bound as usual (it matches nothing the database holds).
  template <size_t N>
  std::string Enum(const std::string& value, const std::string_view (&allowed)[N]) {
    for (std::string_view a : allowed) {
      if (value == a) return "'" + value + "'";
    }
    return P(value);
  }
  void Where(std::string cond) { where.push_back(std::move(cond)); }
  std::string WhereClause() const {
    std::string out;
    for (size_t k = 0; k < where.size(); ++k) out += (k ? " AND " : " WHERE ") + where[k];
    return out;
  }
};

// A row of a result, read by column. Integer columns are BIGINT (NOT NULL unless said), so a
// value that does not parse cannot come from the server; it reads as 0 and is caught by the
// invariant checks rather than crashing.
struct Row {
  const PgResult& r;
  int i;
  std::string T(int c) const { return r.Text(i, c); }
  int64_t I(int c) const {
    const std::string t = r.Text(i, c);
    int64_t v = 0;
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
  }
  bool Null(int c) const { return r.IsNull(i, c); }
};

// Database errors as the StoreTx contract states: kInternal, except the database being
// unreachable (kDatabaseUnavailable, HTTP 503) and retryable conflicts (the pool retries them).
inline Error DbError(const Error& e) {
  if (e.code == ErrorCode::kDatabaseUnavailable || e.code == ErrorCode::kConflict) {
    if (e.code == ErrorCode::kConflict && e.message.find("deadlock") == std::string::npos &&
        e.message.find("serializ") == std::string::npos) {
      return Error::Internal(e.message);  // a unique violation: a bug, as on SQLite
    }
    return e;
  }
  return Error::Internal(e.message);
}

inline Status ParseStoredDate(const std::string& text, const std::string& where, Date* out) {
  if (!Date::Parse(text, out)) {
    return Error::Internal("postgres: corrupt date '" + text + "' in " + where);
  }
  return OkStatus();
}

inline Status CheckPage(const PageSpec& page) {
  if (page.limit < 1 || page.limit > kMaxPageRows || page.offset < 0) {
    return Error::Internal("postgres: page out of range (limit " + std::to_string(page.limit) +
                           ", offset " + std::to_string(page.offset) + ")");
  }
  return OkStatus();
}

// More rows than the data can hold is an error, never a silently shorter list.
inline Status CheckRows(const PgResult& r, int64_t max_rows, const char* what) {
  if (r.rows() > max_rows) {
    return Error::Internal(std::string("postgres: ") + what + " has more than " +
                           std::to_string(max_rows) + " rows");
  }
  return OkStatus();
}

inline Customer ReadCustomer(const Row& r) {
  Customer c;
  c.id = r.T(0);
  c.company = r.T(1);
  c.contact_name = r.T(2);
  c.email = r.T(3);
  c.billing_cycle = r.T(4);
  c.payment_method = r.T(5);
  c.status = r.T(6);
  c.currency = r.T(7);
  if (!r.Null(8)) c.tax_rate_bp = int(r.I(8));
  c.opening_balance_cents = r.I(9);
  c.created_at = r.T(10);
  c.locale = r.T(11);
  c.payment_terms_days = int(r.I(12));
  return c;
}

inline Payment ReadPayment(const Row& r) {
  Payment p;
  p.id = r.T(0);
  p.number = r.I(1);
  p.customer_id = r.T(2);
  p.invoice_id = r.T(3);
  p.amount_cents = r.I(4);
  p.refunded_cents = r.I(5);
  p.method = r.T(6);
  p.status = r.T(7);
  p.transaction_id = r.T(8);
  p.failure_reason = r.T(9);
  p.actor = r.T(10);
  p.created_at = r.T(11);
  p.payment_method_id = r.T(12);
  p.card_brand = r.T(13);
  p.card_last4 = r.T(14);
  p.on_behalf_of = r.T(15);
  p.applied_cents = r.I(16);
  p.currency = r.T(17);
  p.attempt = int(r.I(18));
  return p;
}

inline StoredCard ReadCard(const Row& r) {
  StoredCard c;
  c.id = r.T(0);
  c.number = r.I(1);
  c.customer_id = r.T(2);
  c.type = r.T(3);
  c.brand = r.T(4);
  c.last4 = r.T(5);
  c.exp_month = int(r.I(6));
  c.exp_year = int(r.I(7));
  c.details_sealed = r.T(8);
  c.key_id = r.T(9);
  c.actor = r.T(10);
  c.created_at = r.T(11);
  c.on_behalf_of = r.T(12);
  return c;
}

inline Result<Invoice> ReadInvoice(const Row& r) {
  Invoice inv;
  inv.id = r.T(0);
  inv.year = int(r.I(1));
  inv.seq = int(r.I(2));
  inv.customer_id = r.T(3);
  inv.customer_name = r.T(4);
  inv.subtotal_cents = r.I(5);
  inv.tax_rate_bp = int(r.I(6));
  inv.tax_cents = r.I(7);
  inv.total_cents = r.I(8);
  inv.status = r.T(9);
  BILLING_TRY(ParseStoredDate(r.T(10), "invoices/" + inv.id + ".issue_date", &inv.issue_date));
  BILLING_TRY(ParseStoredDate(r.T(11), "invoices/" + inv.id + ".due_date", &inv.due_date));
  inv.notes = r.T(12);
  inv.paid_date = r.T(13);
  inv.payment_method = r.T(14);
  inv.created_at = r.T(15);
  inv.created_by = r.T(16);
  inv.updated_by = r.T(17);
  inv.paid_cents = r.I(18);
  inv.created_on_behalf_of = r.T(19);
  inv.updated_on_behalf_of = r.T(20);
  inv.credited_cents = r.I(21);
  inv.discount_cents = r.I(22);
  inv.coupon_code = r.T(23);
  inv.currency = r.T(24);
  return inv;
}

inline AuditEntry ReadAudit(const Row& r) {
  AuditEntry e;
  e.seq = r.I(0);
  e.at = r.T(1);
  e.actor = r.T(2);
  e.action = r.T(3);
  e.entity_type = r.T(4);
  e.entity_id = r.T(5);
  e.before_json = r.T(6);
  e.after_json = r.T(7);
  e.request_id = r.T(8);
  e.prev_hash = r.T(9);
  e.hash = r.T(10);
  e.on_behalf_of = r.T(11);
  e.chain_version = int(r.I(12));
  return e;
}

}  // namespace billing::pgrows
