// Invoice drafts and credit notes on PostgreSQL; see pg_credit_notes.h.
#include "store/postgres/pg_credit_notes.h"

#include "store/json_columns.h"
#include "store/postgres/pg_pool.h"
#include "store/postgres/pg_store_rows.h"

namespace billing::pgnotes {
namespace {

using pgrows::CheckRows;
using pgrows::DbError;
using pgrows::Params;
using pgrows::Row;
using pgrows::S;

#define DRAFT_COLS                                                                               \
  "SELECT id, number, customer_id, items_json, due_date, notes, status, invoice_id, "            \
  "created_at, created_by, created_on_behalf_of, updated_at, updated_by, updated_on_behalf_of, " \
  "coupon_code, subscription_id, finalize_at FROM invoice_drafts"

#define CREDIT_NOTE_COLS                                                                   \
  "SELECT id, year, seq, invoice_id, customer_id, currency, subtotal_cents, tax_cents, "   \
  "total_cents, due_reduced_cents, refunded_cents, credit_cents, lines_json, refund_ids, " \
  "reason, created_at, created_by, on_behalf_of FROM credit_notes"

Result<pg::PgResult> Q(pg::PgConnection& conn, std::string_view sql, const Params& params = {}) {
  auto r = pg::Run(conn, sql, params);
  if (!r.ok()) return DbError(r.error());
  return std::move(r.value());
}

Status CheckPageArgs(int limit, int64_t offset, const char* what) {
  if (limit < 1 || limit > kMaxPageRows || offset < 0)
    return Error::Internal(std::string("postgres: ") + what + " page out of range");
  return OkStatus();
}

Result<InvoiceDraft> ReadDraft(const Row& r) {
  InvoiceDraft d;
  d.id = r.T(0);
  d.number = r.I(1);
  d.customer_id = r.T(2);
  BILLING_ASSIGN_OR_RETURN(d.items, DecodeLineItems(r.T(3), "invoice_drafts/" + d.id));
  BILLING_TRY(pgrows::ParseStoredDate(r.T(4), "invoice_drafts/" + d.id + ".due_date", &d.due_date));
  d.notes = r.T(5);
  d.status = r.T(6);
  d.invoice_id = r.T(7);
  d.created_at = r.T(8);
  d.created_by = r.T(9);
  d.created_on_behalf_of = r.T(10);
  d.updated_at = r.T(11);
  d.updated_by = r.T(12);
  d.updated_on_behalf_of = r.T(13);
  d.coupon_code = r.T(14);
  d.subscription_id = r.T(15);
  d.finalize_at = r.T(16);
  return d;
}

Result<CreditNote> ReadCreditNote(const Row& r) {
  CreditNote cn;
  cn.id = r.T(0);
  cn.year = int(r.I(1));
  cn.seq = int(r.I(2));
  cn.invoice_id = r.T(3);
  cn.customer_id = r.T(4);
  cn.currency = r.T(5);
  cn.subtotal_cents = r.I(6);
  cn.tax_cents = r.I(7);
  cn.total_cents = r.I(8);
  cn.due_reduced_cents = r.I(9);
  cn.refunded_cents = r.I(10);
  cn.credit_cents = r.I(11);
  BILLING_ASSIGN_OR_RETURN(cn.lines, DecodeCreditLines(r.T(12), "credit_notes/" + cn.id));
  cn.refund_ids = SplitIds(r.T(13));
  cn.reason = r.T(14);
  cn.created_at = r.T(15);
  cn.created_by = r.T(16);
  cn.on_behalf_of = r.T(17);
  return cn;
}

Result<std::vector<CreditNote>> ReadCreditNotes(const pg::PgResult& r, int limit) {
  BILLING_TRY(CheckRows(r, limit, "a credit note page"));
  std::vector<CreditNote> out;
  for (int i = 0; i < r.rows(); ++i) {
    BILLING_ASSIGN_OR_RETURN(CreditNote cn, ReadCreditNote(Row{r, i}));
    out.push_back(std::move(cn));
  }
  return out;
}

#define COUPON_COLS                                                                             \
  "SELECT code, name, percent_off_bp, amount_off_cents, currency, duration, duration_periods, " \
  "redeem_by, max_redemptions, times_redeemed, archived, created_at, created_by FROM coupons"

Coupon ReadCoupon(const Row& r) {
  Coupon c;
  c.code = r.T(0);
  c.name = r.T(1);
  if (!r.Null(2)) c.percent_off_bp = int(r.I(2));
  if (!r.Null(3)) c.amount_off_cents = r.I(3);
  c.currency = r.T(4);
  c.duration = r.T(5);
  c.duration_periods = r.I(6);
  c.redeem_by = r.T(7);
  c.max_redemptions = r.I(8);
  c.times_redeemed = r.I(9);
  c.archived = r.I(10) != 0;
  c.created_at = r.T(11);
  c.created_by = r.T(12);
  return c;
}

}  // namespace

Status InsertCoupon(pg::PgConnection& conn, const Coupon& c) {
  Params p = {c.code,
              c.name,
              std::nullopt,
              std::nullopt,
              c.currency,
              c.duration,
              S(c.duration_periods),
              c.redeem_by,
              S(c.max_redemptions),
              S(c.times_redeemed),
              S(c.archived ? 1 : 0),
              c.created_at,
              c.created_by};
  if (c.percent_off_bp) p[2] = S(*c.percent_off_bp);
  if (c.amount_off_cents) p[3] = S(*c.amount_off_cents);
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO coupons (code, name, percent_off_bp, amount_off_cents, currency, duration, "
        "duration_periods, redeem_by, max_redemptions, times_redeemed, archived, created_at, "
        "created_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)",
        p));
  (void)r;
  return OkStatus();
}

Result<std::optional<Coupon>> FindCoupon(pg::PgConnection& conn, const std::string& code) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, COUPON_COLS " WHERE code = $1", {code}));
  if (r.rows() == 0) return std::optional<Coupon>();
  return std::optional<Coupon>(ReadCoupon(Row{r, 0}));
}

Result<std::vector<Coupon>> ListCoupons(pg::PgConnection& conn, int limit) {
  BILLING_TRY(CheckPageArgs(limit, 0, "coupon"));
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r,
                           Q(conn, COUPON_COLS " ORDER BY code LIMIT $1", {S(int64_t(limit))}));
  BILLING_TRY(CheckRows(r, limit, "a coupon page"));
  std::vector<Coupon> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadCoupon(Row{r, i}));
  return out;
}

Status SetCouponArchived(pg::PgConnection& conn, const std::string& code, bool archived) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn, "UPDATE coupons SET archived = $2 WHERE code = $1", {code, S(archived ? 1 : 0)}));
  if (r.affected_rows() != 1) return Error::Internal("postgres: coupon to archive is gone");
  return OkStatus();
}

Result<int64_t> RedeemCoupon(pg::PgConnection& conn, CouponRedemption red) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "UPDATE coupons SET times_redeemed = times_redeemed + 1 WHERE code = $1 "
        "AND (max_redemptions = 0 OR times_redeemed < max_redemptions) RETURNING times_redeemed",
        {red.coupon_code}));
  if (r.rows() != 1) {
    return Error{ErrorCode::kConflict, "coupon " + red.coupon_code + " has no redemptions left",
                 "couponCode"};
  }
  red.number = Row{r, 0}.I(0);
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult ins,
      Q(conn,
        "INSERT INTO coupon_redemptions (coupon_code, number, customer_id, invoice_id, "
        "subscription_id, created_at, actor) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        {red.coupon_code, S(red.number), red.customer_id, red.invoice_id, red.subscription_id,
         red.created_at, red.actor}));
  (void)ins;
  return red.number;
}

Result<int64_t> CountRedemptions(pg::PgConnection& conn, const std::string& code) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn, "SELECT COUNT(*) FROM coupon_redemptions WHERE coupon_code = $1", {code}));
  if (r.rows() != 1) return Error::Internal("postgres: redemption count returned no row");
  return Row{r, 0}.I(0);
}

Status InsertDraft(pg::PgConnection& conn, const InvoiceDraft& d) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO invoice_drafts (id, number, customer_id, items_json, due_date, notes, "
        "status, invoice_id, created_at, created_by, created_on_behalf_of, updated_at, "
        "updated_by, updated_on_behalf_of, coupon_code, subscription_id, finalize_at) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)",
        {d.id, S(d.number), d.customer_id, EncodeLineItems(d.items), d.due_date.ToString(), d.notes,
         d.status, d.invoice_id, d.created_at, d.created_by, d.created_on_behalf_of, d.updated_at,
         d.updated_by, d.updated_on_behalf_of, d.coupon_code, d.subscription_id, d.finalize_at}));
  (void)r;
  return OkStatus();
}

Status UpdateDraft(pg::PgConnection& conn, const InvoiceDraft& d) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "UPDATE invoice_drafts SET items_json = $2, due_date = $3, notes = $4, status = $5, "
        "invoice_id = $6, updated_at = $7, updated_by = $8, updated_on_behalf_of = $9, "
        "coupon_code = $10 WHERE id = $1",
        {d.id, EncodeLineItems(d.items), d.due_date.ToString(), d.notes, d.status, d.invoice_id,
         d.updated_at, d.updated_by, d.updated_on_behalf_of, d.coupon_code}));
  if (r.affected_rows() != 1) return Error::Internal("postgres: draft to update is gone");
  return OkStatus();
}

Result<std::vector<InvoiceDraft>> DueDrafts(pg::PgConnection& conn, const std::string& now,
                                            int limit) {
  BILLING_TRY(CheckPageArgs(limit, 0, "due draft"));
  // Along invoice_drafts_due (migration 010), which holds only drafts waiting to be finalized.
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        DRAFT_COLS " WHERE status = 'draft' AND finalize_at <> '' AND finalize_at <= $1 "
                   "ORDER BY finalize_at, number LIMIT $2",
        {now, S(int64_t(limit))}));
  BILLING_TRY(CheckRows(r, limit, "the due drafts"));
  std::vector<InvoiceDraft> out;
  for (int i = 0; i < r.rows(); ++i) {
    BILLING_ASSIGN_OR_RETURN(InvoiceDraft d, ReadDraft(Row{r, i}));
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::optional<InvoiceDraft>> FindDraft(pg::PgConnection& conn, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, DRAFT_COLS " WHERE id = $1", {id}));
  if (r.rows() == 0) return std::optional<InvoiceDraft>();
  BILLING_ASSIGN_OR_RETURN(InvoiceDraft d, ReadDraft(Row{r, 0}));
  return std::optional<InvoiceDraft>(std::move(d));
}

Result<std::vector<InvoiceDraft>> ListDrafts(pg::PgConnection& conn, const std::string& customer_id,
                                             const PageSpec& page, int64_t after_number) {
  BILLING_TRY(CheckPageArgs(page.limit, page.offset, "draft"));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      customer_id.empty()
          ? Q(conn,
              DRAFT_COLS " WHERE status = 'draft' AND number > $3 "
                         "ORDER BY number LIMIT $1 OFFSET $2",
              {S(int64_t(page.limit)), S(page.offset), S(after_number)})
          : Q(conn,
              DRAFT_COLS " WHERE status = 'draft' AND customer_id = $3 AND number > $4 "
                         "ORDER BY number LIMIT $1 OFFSET $2",
              {S(int64_t(page.limit)), S(page.offset), customer_id, S(after_number)}));
  BILLING_TRY(CheckRows(r, page.limit, "a draft page"));
  std::vector<InvoiceDraft> out;
  for (int i = 0; i < r.rows(); ++i) {
    BILLING_ASSIGN_OR_RETURN(InvoiceDraft d, ReadDraft(Row{r, i}));
    out.push_back(std::move(d));
  }
  return out;
}

Result<int64_t> CountDrafts(pg::PgConnection& conn, const std::string& customer_id) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      customer_id.empty()
          ? Q(conn, "SELECT COUNT(*) FROM invoice_drafts WHERE status = 'draft'")
          : Q(conn,
              "SELECT COUNT(*) FROM invoice_drafts WHERE status = 'draft' AND customer_id = $1",
              {customer_id}));
  if (r.rows() != 1) return Error::Internal("postgres: draft count returned no row");
  return Row{r, 0}.I(0);
}

Status InsertCreditNote(pg::PgConnection& conn, const CreditNote& cn) {
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "INSERT INTO credit_notes (id, year, seq, invoice_id, customer_id, currency, "
        "subtotal_cents, tax_cents, total_cents, due_reduced_cents, refunded_cents, "
        "credit_cents, lines_json, refund_ids, reason, created_at, created_by, on_behalf_of) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)",
        {cn.id, S(cn.year), S(cn.seq), cn.invoice_id, cn.customer_id, cn.currency,
         S(cn.subtotal_cents), S(cn.tax_cents), S(cn.total_cents), S(cn.due_reduced_cents),
         S(cn.refunded_cents), S(cn.credit_cents), EncodeCreditLines(cn.lines),
         JoinIds(cn.refund_ids), cn.reason, cn.created_at, cn.created_by, cn.on_behalf_of}));
  (void)r;
  return OkStatus();
}

Result<std::optional<CreditNote>> FindCreditNote(pg::PgConnection& conn, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(pg::PgResult r, Q(conn, CREDIT_NOTE_COLS " WHERE id = $1", {id}));
  if (r.rows() == 0) return std::optional<CreditNote>();
  BILLING_ASSIGN_OR_RETURN(CreditNote cn, ReadCreditNote(Row{r, 0}));
  return std::optional<CreditNote>(std::move(cn));
}

Result<std::vector<CreditNote>> CreditNotesOf(pg::PgConnection& conn, const std::string& invoice_id,
                                              int limit) {
  BILLING_TRY(CheckPageArgs(limit, 0, "credit note"));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r, Q(conn, CREDIT_NOTE_COLS " WHERE invoice_id = $1 ORDER BY year, seq LIMIT $2",
                        {invoice_id, S(int64_t(limit))}));
  return ReadCreditNotes(r, limit);
}

Result<std::vector<CreditNote>> ListCreditNotes(pg::PgConnection& conn, int after_year,
                                                int after_seq, int limit) {
  BILLING_TRY(CheckPageArgs(limit, 0, "credit note"));
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn, CREDIT_NOTE_COLS " WHERE (year, seq) > ($1, $2) ORDER BY year, seq LIMIT $3",
        {S(after_year), S(after_seq), S(int64_t(limit))}));
  return ReadCreditNotes(r, limit);
}

Status ReduceAllocation(pg::PgConnection& conn, int64_t allocation_id, int64_t amount_cents) {
  // All of it: the row goes (amount_cents > 0 is a CHECK); part of it: the row shrinks.
  BILLING_ASSIGN_OR_RETURN(pg::PgResult del,
                           Q(conn,
                             "DELETE FROM payment_allocations WHERE id = $1 AND amount_cents = $2 "
                             "AND refunded_cents = 0",
                             {S(allocation_id), S(amount_cents)}));
  if (del.affected_rows() == 1) return OkStatus();
  BILLING_ASSIGN_OR_RETURN(
      pg::PgResult r,
      Q(conn,
        "UPDATE payment_allocations SET amount_cents = amount_cents - $2 "
        "WHERE id = $1 AND amount_cents - refunded_cents >= $2 AND amount_cents > $2",
        {S(allocation_id), S(amount_cents)}));
  if (r.affected_rows() != 1)
    return Error::Internal("postgres: allocation to reduce is gone or too small");
  return OkStatus();
}

}  // namespace billing::pgnotes
