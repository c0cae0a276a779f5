// Invoice drafts and credit notes on SQLite; see sqlite_credit_notes.h.
#include "store/sqlite/sqlite_credit_notes.h"

#include <sqlite3.h>

#include "store/json_columns.h"

namespace billing::sqlite {
namespace {

#define DRAFT_COLS                                                                              \
  "SELECT id, number, customer_id, items_json, due_date, notes, status, invoice_id, "           \
  "created_at, created_by, created_on_behalf_of, updated_at, updated_by, updated_on_behalf_of " \
  "FROM invoice_drafts"

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

}  // namespace

Status InsertDraft(Connection& conn, const InvoiceDraft& d) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("INSERT INTO invoice_drafts (id, number, customer_id, items_json, due_date, "
                   "notes, status, invoice_id, created_at, created_by, created_on_behalf_of, "
                   "updated_at, updated_by, updated_on_behalf_of) "
                   "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"));
  Stmt st(conn, raw);
  st.Bind(1, d.id).Bind(2, d.number).Bind(3, d.customer_id).Bind(4, EncodeLineItems(d.items));
  st.Bind(5, d.due_date.ToString()).Bind(6, d.notes).Bind(7, d.status).Bind(8, d.invoice_id);
  st.Bind(9, d.created_at).Bind(10, d.created_by).Bind(11, d.created_on_behalf_of);
  st.Bind(12, d.updated_at).Bind(13, d.updated_by).Bind(14, d.updated_on_behalf_of);
  return st.Run();
}

Status UpdateDraft(Connection& conn, const InvoiceDraft& d) {
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare("UPDATE invoice_drafts SET items_json = ?2, due_date = ?3, notes = ?4, "
                   "status = ?5, invoice_id = ?6, updated_at = ?7, updated_by = ?8, "
                   "updated_on_behalf_of = ?9 WHERE id = ?1"));
  Stmt st(conn, raw);
  st.Bind(1, d.id).Bind(2, EncodeLineItems(d.items)).Bind(3, d.due_date.ToString());
  st.Bind(4, d.notes).Bind(5, d.status).Bind(6, d.invoice_id).Bind(7, d.updated_at);
  st.Bind(8, d.updated_by).Bind(9, d.updated_on_behalf_of);
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
                                             const PageSpec& page) {
  BILLING_TRY(CheckPageArgs(page.limit, page.offset, "draft"));
  BILLING_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      conn.Prepare(customer_id.empty() ? DRAFT_COLS
                       " WHERE status = 'draft' ORDER BY number LIMIT ?2 OFFSET ?3"
                                       : DRAFT_COLS " WHERE status = 'draft' AND customer_id = ?1 "
                                                    "ORDER BY number LIMIT ?2 OFFSET ?3"));
  Stmt st(conn, raw);
  if (!customer_id.empty()) st.Bind(1, customer_id);
  st.Bind(2, int64_t(page.limit)).Bind(3, page.offset);
  std::vector<InvoiceDraft> out;
  BILLING_TRY(StepRows(st, page.limit, "a draft page", [&]() -> Status {
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
