// Invoice drafts, credit notes (migration 005) and coupons (006) on PostgreSQL. The StoreTx methods
// of pg_store.cc for them delegate here, as SQLite's delegate to sqlite_credit_notes.cc; the
// statements are the same but for the dialect.
//
// Thread-safety: as the PgConnection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace billing::pgnotes {

Status InsertDraft(pg::PgConnection& conn, const InvoiceDraft& d);
Status UpdateDraft(pg::PgConnection& conn, const InvoiceDraft& d);
Result<std::optional<InvoiceDraft>> FindDraft(pg::PgConnection& conn, const std::string& id);
Result<std::vector<InvoiceDraft>> ListDrafts(pg::PgConnection& conn, const std::string& customer_id,
                                             const PageSpec& page, int64_t after_number);
Result<int64_t> CountDrafts(pg::PgConnection& conn, const std::string& customer_id);
Result<std::vector<InvoiceDraft>> DueDrafts(pg::PgConnection& conn, const std::string& now,
                                            int limit);

Status InsertCreditNote(pg::PgConnection& conn, const CreditNote& cn);
Result<std::optional<CreditNote>> FindCreditNote(pg::PgConnection& conn, const std::string& id);
Result<std::vector<CreditNote>> CreditNotesOf(pg::PgConnection& conn, const std::string& invoice_id,
                                              int limit);
Result<std::vector<CreditNote>> ListCreditNotes(pg::PgConnection& conn, int after_year,
                                                int after_seq, int limit);
// Moves `amount_cents` of an allocation off its invoice (store.h StoreTx::ReduceAllocation).
Status ReduceAllocation(pg::PgConnection& conn, int64_t allocation_id, int64_t amount_cents);

Status InsertCoupon(pg::PgConnection& conn, const Coupon& c);
Result<std::optional<Coupon>> FindCoupon(pg::PgConnection& conn, const std::string& code);
Result<std::vector<Coupon>> ListCoupons(pg::PgConnection& conn, int limit);
Status SetCouponArchived(pg::PgConnection& conn, const std::string& code, bool archived);
Result<int64_t> RedeemCoupon(pg::PgConnection& conn, CouponRedemption r);
Result<int64_t> CountRedemptions(pg::PgConnection& conn, const std::string& code);

}  // namespace billing::pgnotes
