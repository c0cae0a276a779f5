// Invoice drafts and credit notes on SQLite; see sqlite_credit_notes.h.
#include "store/sqlite/sqlite_credit_notes.h"

#include <sqlite3.h>

#include "store/json_columns.h"

namespace billing::sqlite {
namespace {

#define DRAFT_COLS                                                                               \
  "SELECT id, number, customer_id, items_json, due_date, notes, status, invoice_id, "            \
  "created_at, created_by, created_on_behalf_of, updated_at, updated_by, updated_on_behalf_of, " \
  "coupon_code, subscription_id, finalize_at FROM invoice_drafts"

#define CREDIT_NOTE_COLS                                                                   \
  "SELECT id, year, seq, invoice_id, customer_id, currency, subtotal_cents, tax_cents, "   \
  "total_cents, due_reduced_cents, refunded_cents, credit_cents, lines_json, refund_ids, " \
  "reason, created_at, created_by, on_behalf_of FROM credit_notes"

Status CheckPageArgs(int limit, int64_t offset, const char* what) {
  if (limit < 1 || limit > kMaxPageRows || offset < 0)
    return Error::Internal(std::string("sqlite: ") + what + " page out of range");
  return OkStatus();
}

Result<InvoiceDraft> ReadDraft(const Stmt& st) {
  InvoiceDraft d;
  d.id = st.Text(0);
  d.number = st.Int(1);
  d.customer_id = st.Text(2);
  BILLING_ASSIGN_OR_RETURN(d.items, DecodeLineItems(st.Text(3), "invoice_drafts/" + d.id));
  if (!Date::Parse(st.Text(4), &d.due_date))
    return Error::Internal("sqlite: corrupt due date in invoice_drafts/" + d.id);
  d.notes = st.Text(5);
  d.status = st.Text(6);
  d.invoice_id = st.Text(7);
  d.created_at = st.Text(8);
  d.created_by = st.Text(9);
  d.created_on_behalf_of = st.Text(10);
  d.updated_at = st.Text(11);
  d.updated_by = st.Text(12);
  d.updated_on_behalf_of = st.Text(13);
  d.coupon_code = st.Text(14);
  d.subscription_id = st.Text(15);
  d.finalize_at = st.Text(16);
  return d;
}

Result<CreditNote> ReadCreditNote(const Stmt& st) {
  CreditNote cn;
  cn.id = st.Text(0);
  cn.year = int(st.Int(1));
  cn.seq = int(st.Int(2));
  cn.invoice_id = st.Text(3);
  cn.customer_id = st.Text(4);
  cn.currency = st.Text(5);
  cn.subtotal_cents = st.Int(6);
  cn.tax_cents = st.Int(7);
  cn.total_cents = st.Int(8);
  cn.due_reduced_cents = st.Int(9);
  cn.refunded_cents = st.Int(10);
  cn.credit_cents = st.Int(11);
  BILLING_ASSIGN_OR_RETURN(cn.lines, DecodeCreditLines(st.Text(12), "credit_notes/" + cn.id));
  cn.refund_ids = SplitIds(st.Text(13));
  cn.reason = st.Text(14);
  cn.created_at = st.Text(15);
  cn.created_by = st.Text(16);
  cn.on_behalf_of = st.Text(17);
  return cn;
}

Result<std::vector<CreditNote>> ReadCreditNotes(Stmt& st, int limit) {
  std::vector<CreditNote> out;
  BILLING_TRY(StepRows(st, limit, "a credit note page", [&]() -> Status {
    BILLING_ASSIGN_OR_RETURN(CreditNote cn, ReadCreditNote(st));
    out.push_back(std::move(cn));
    return OkStatus();
  }));
  return out;
}

#define COUPON_COLS                                                                             \
  "SELECT code, name, percent_off_bp, amount_off_cents, currency, duration, duration_periods, " \
  "redeem_by, max_redemptions, times_redeemed, archived, created_at, created_by FROM coupons"

Coupon ReadCoupon(const Stmt& st) {
  Coupon c;
  c.code = st.Text(0);
  c.name = st.Text(1);
  if (!st.IsNull(2)) c.percent_off_bp = int(st.Int(2));
  if (!st.IsNull(3)) c.amount_off_cents = st.Int(3);
  c.currency = st.Text(4);
  c.duration = st.Text(5);
  c.duration_periods = st.Int(6);
  c.redeem_by = st.Text(7);
  c.max_redemptions = st.Int(8);
  c.times_redeemed = st.Int(9);
  c.archived = st.Int(10) != 0;
  c.created_at = st.Text(11);
  c.created_by = st.Text(12);
  return c;
}

}  // namespace

Status InsertCoupon(Connection& conn, const Coupon& c) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO coupons (code, name, percent_off_bp, amount_off_cents, currency, "
                   "duration, duration_periods, redeem_by, max_redemptions, times_redeemed, "
                   "archived, created_at, created_by) "
                   "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"));
  Stmt st(conn, raw);
  st.Bind(1, c.code).Bind(2, c.name);
  if (c.percent_off_bp) {
    st.Bind(3, int64_t(*c.percent_off_bp));
  } else {
    st.BindNull(3);
  }
  if (c.amount_off_cents) {
    st.Bind(4, *c.amount_off_cents);
  } else {
    st.BindNull(4);
  }
  st.Bind(5, c.currency).Bind(6, c.duration).Bind(7, c.duration_periods).Bind(8, c.redeem_by);
  st.Bind(9, c.max_redemptions).Bind(10, c.times_redeemed).Bind(11, int64_t(c.archived ? 1 : 0));
  st.Bind(12, c.created_at).Bind(13, c.created_by);
  return st.Run();
}

Result<std::optional<Coupon>> FindCoupon(Connection& conn, const std::string& code) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(COUPON_COLS " WHERE code = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, code);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Coupon>();
  return std::optional<Coupon>(ReadCoupon(st));
}

Result<std::vector<Coupon>> ListCoupons(Connection& conn, int limit) {
  BILLING_TRY(CheckPageArgs(limit, 0, "coupon"));
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(COUPON_COLS " ORDER BY code LIMIT ?1"));
  Stmt st(conn, raw);
  st.Bind(1, int64_t(limit));
  std::vector<Coupon> out;
  BILLING_TRY(StepRows(st, limit, "a coupon page", [&]() -> Status {
    out.push_back(ReadCoupon(st));
    return OkStatus();
  }));
  return out;
}

Status SetCouponArchived(Connection& conn, const std::string& code, bool archived) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           conn.Prepare("UPDATE coupons SET archived = ?2 WHERE code = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, code).Bind(2, int64_t(archived ? 1 : 0));
  BILLING_TRY(st.Run());
  if (sqlite3_changes(conn.db()) != 1) return Error::Internal("sqlite: coupon to archive is gone");
  return OkStatus();
}

Result<int64_t> RedeemCoupon(Connection& conn, CouponRedemption r) {
  {
    BILLING_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        conn.Prepare("UPDATE coupons SET times_redeemed = times_redeemed + 1 WHERE code = ?1 "
                     "AND (max_redemptions = 0 OR times_redeemed < max_redemptions)"));
    Stmt st(conn, raw);
    st.Bind(1, r.coupon_code);
    BILLING_TRY(st.Run());
    if (sqlite3_changes(conn.db()) != 1) {
      return Error{ErrorCode::kConflict, "coupon " + r.coupon_code + " has no redemptions left",
                   "couponCode"};
    }
  }
  {
    BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                             conn.Prepare("SELECT times_redeemed FROM coupons WHERE code = ?1"));
    Stmt st(conn, raw);
    st.Bind(1, r.coupon_code);
    BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Error::Internal("sqlite: redeemed coupon is gone");
    r.number = st.Int(0);
  }
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO coupon_redemptions (coupon_code, number, customer_id, invoice_id, "
                   "subscription_id, created_at, actor) VALUES (?1,?2,?3,?4,?5,?6,?7)"));
  Stmt st(conn, raw);
  st.Bind(1, r.coupon_code).Bind(2, r.number).Bind(3, r.customer_id).Bind(4, r.invoice_id);
  st.Bind(5, r.subscription_id).Bind(6, r.created_at).Bind(7, r.actor);
  BILLING_TRY(st.Run());
  return r.number;
}

Result<int64_t> CountRedemptions(Connection& conn, const std::string& code) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("SELECT COUNT(*) FROM coupon_redemptions WHERE coupon_code = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, code);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Error::Internal("sqlite: redemption count returned no row");
  return st.Int(0);
}

Status InsertDraft(Connection& conn, const InvoiceDraft& d) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(
          "INSERT INTO invoice_drafts (id, number, customer_id, items_json, due_date, "
          "notes, status, invoice_id, created_at, created_by, created_on_behalf_of, "
          "updated_at, updated_by, updated_on_behalf_of, coupon_code, subscription_id, "
          "finalize_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"));
  Stmt st(conn, raw);
  st.Bind(1, d.id).Bind(2, d.number).Bind(3, d.customer_id).Bind(4, EncodeLineItems(d.items));
  st.Bind(5, d.due_date.ToString()).Bind(6, d.notes).Bind(7, d.status).Bind(8, d.invoice_id);
  st.Bind(9, d.created_at).Bind(10, d.created_by).Bind(11, d.created_on_behalf_of);
  st.Bind(12, d.updated_at).Bind(13, d.updated_by).Bind(14, d.updated_on_behalf_of);
  st.Bind(15, d.coupon_code).Bind(16, d.subscription_id).Bind(17, d.finalize_at);
  return st.Run();
}

Status UpdateDraft(Connection& conn, const InvoiceDraft& d) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("UPDATE invoice_drafts SET items_json = ?2, due_date = ?3, notes = ?4, "
                   "status = ?5, invoice_id = ?6, updated_at = ?7, updated_by = ?8, "
                   "updated_on_behalf_of = ?9, coupon_code = ?10 WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, d.id).Bind(2, EncodeLineItems(d.items)).Bind(3, d.due_date.ToString());
  st.Bind(4, d.notes).Bind(5, d.status).Bind(6, d.invoice_id).Bind(7, d.updated_at);
  st.Bind(8, d.updated_by).Bind(9, d.updated_on_behalf_of).Bind(10, d.coupon_code);
  BILLING_TRY(st.Run());
  if (sqlite3_changes(conn.db()) != 1) return Error::Internal("sqlite: draft to update is gone");
  return OkStatus();
}

Result<std::optional<InvoiceDraft>> FindDraft(Connection& conn, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(DRAFT_COLS " WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, id);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<InvoiceDraft>();
  BILLING_ASSIGN_OR_RETURN(InvoiceDraft d, ReadDraft(st));
  return std::optional<InvoiceDraft>(std::move(d));
}

Result<std::vector<InvoiceDraft>> ListDrafts(Connection& conn, const std::string& customer_id,
                                             const PageSpec& page, int64_t after_number) {
  BILLING_TRY(CheckPageArgs(page.limit, page.offset, "draft"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(customer_id.empty() ? DRAFT_COLS
                       " WHERE status = 'draft' AND number > ?4 ORDER BY number LIMIT ?2 OFFSET ?3"
                                       : DRAFT_COLS
                       " WHERE status = 'draft' AND customer_id = ?1 "
                       "AND number > ?4 ORDER BY number LIMIT ?2 OFFSET ?3"));
  Stmt st(conn, raw);
  if (!customer_id.empty()) st.Bind(1, customer_id);
  st.Bind(4, after_number);
  st.Bind(2, int64_t(page.limit)).Bind(3, page.offset);
  std::vector<InvoiceDraft> out;
  BILLING_TRY(StepRows(st, page.limit, "a draft page", [&]() -> Status {
    BILLING_ASSIGN_OR_RETURN(InvoiceDraft d, ReadDraft(st));
    out.push_back(std::move(d));
    return OkStatus();
  }));
  return out;
}

Result<std::vector<InvoiceDraft>> DueDrafts(Connection& conn, const std::string& now, int limit) {
  BILLING_TRY(CheckPageArgs(limit, 0, "due draft"));
  // Along invoice_drafts_due (migration 022), which holds only drafts waiting to be finalized;
  // named, since without statistics SQLite would take invoice_drafts_open and sort.
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(DRAFT_COLS " INDEXED BY invoice_drafts_due WHERE status = 'draft' AND "
                              "finalize_at <> '' AND finalize_at <= ?1 "
                              "ORDER BY finalize_at, number LIMIT ?2"));
  Stmt st(conn, raw);
  st.Bind(1, now).Bind(2, int64_t(limit));
  std::vector<InvoiceDraft> out;
  BILLING_TRY(StepRows(st, limit, "the due drafts", [&]() -> Status {
    BILLING_ASSIGN_OR_RETURN(InvoiceDraft d, ReadDraft(st));
    out.push_back(std::move(d));
    return OkStatus();
  }));
  return out;
}

Result<int64_t> CountDrafts(Connection& conn, const std::string& customer_id) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(customer_id.empty()
                       ? "SELECT COUNT(*) FROM invoice_drafts WHERE status = 'draft'"
                       : "SELECT COUNT(*) FROM invoice_drafts WHERE status = 'draft' "
                         "AND customer_id = ?1"));
  Stmt st(conn, raw);
  if (!customer_id.empty()) st.Bind(1, customer_id);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Error::Internal("sqlite: draft count returned no row");
  return st.Int(0);
}

Status InsertCreditNote(Connection& conn, const CreditNote& cn) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO credit_notes (id, year, seq, invoice_id, customer_id, currency, "
                   "subtotal_cents, tax_cents, total_cents, due_reduced_cents, refunded_cents, "
                   "credit_cents, lines_json, refund_ids, reason, created_at, created_by, "
                   "on_behalf_of) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
                   "?16,?17,?18)"));
  Stmt st(conn, raw);
  st.Bind(1, cn.id).Bind(2, int64_t(cn.year)).Bind(3, int64_t(cn.seq)).Bind(4, cn.invoice_id);
  st.Bind(5, cn.customer_id).Bind(6, cn.currency).Bind(7, cn.subtotal_cents);
  st.Bind(8, cn.tax_cents).Bind(9, cn.total_cents).Bind(10, cn.due_reduced_cents);
  st.Bind(11, cn.refunded_cents).Bind(12, cn.credit_cents).Bind(13, EncodeCreditLines(cn.lines));
  st.Bind(14, JoinIds(cn.refund_ids)).Bind(15, cn.reason).Bind(16, cn.created_at);
  st.Bind(17, cn.created_by).Bind(18, cn.on_behalf_of);
  return st.Run();
}

Result<std::optional<CreditNote>> FindCreditNote(Connection& conn, const std::string& id) {
  BILLING_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare(CREDIT_NOTE_COLS " WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, id);
  BILLING_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<CreditNote>();
  BILLING_ASSIGN_OR_RETURN(CreditNote cn, ReadCreditNote(st));
  return std::optional<CreditNote>(std::move(cn));
}

Result<std::vector<CreditNote>> CreditNotesOf(Connection& conn, const std::string& invoice_id,
                                              int limit) {
  BILLING_TRY(CheckPageArgs(limit, 0, "credit note"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(CREDIT_NOTE_COLS " WHERE invoice_id = ?1 ORDER BY year, seq LIMIT ?2"));
  Stmt st(conn, raw);
  st.Bind(1, invoice_id).Bind(2, int64_t(limit));
  return ReadCreditNotes(st, limit);
}

Result<std::vector<CreditNote>> ListCreditNotes(Connection& conn, int after_year, int after_seq,
                                                int limit) {
  BILLING_TRY(CheckPageArgs(limit, 0, "credit note"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(CREDIT_NOTE_COLS " WHERE year > ?1 OR (year = ?1 AND seq > ?2) "
                                    "ORDER BY year, seq LIMIT ?3"));
  Stmt st(conn, raw);
  st.Bind(1, int64_t(after_year)).Bind(2, int64_t(after_seq)).Bind(3, int64_t(limit));
  return ReadCreditNotes(st, limit);
}

}  // namespace billing::sqlite
