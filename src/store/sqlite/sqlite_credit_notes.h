// Invoice drafts, credit notes (migration 017) and coupons (018) on SQLite. The StoreTx methods of
// sqlite_store.cc for them delegate here, as those of subscriptions do.
//
// Thread-safety: as the Connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_util.h"
#include "store/store.h"

namespace billing::sqlite {

Status InsertDraft(Connection& conn, const InvoiceDraft& d);
Status UpdateDraft(Connection& conn, const InvoiceDraft& d);
Result<std::optional<InvoiceDraft>> FindDraft(Connection& conn, const std::string& id);
Result<std::vector<InvoiceDraft>> ListDrafts(Connection& conn, const std::string& customer_id,
                                             const PageSpec& page, int64_t after_number);
Result<int64_t> CountDrafts(Connection& conn, const std::string& customer_id);
Result<std::vector<InvoiceDraft>> DueDrafts(Connection& conn, const std::string& now, int limit);

Status InsertCreditNote(Connection& conn, const CreditNote& cn);
Result<std::optional<CreditNote>> FindCreditNote(Connection& conn, const std::string& id);
Result<std::vector<CreditNote>> CreditNotesOf(Connection& conn, const std::string& invoice_id,
                                              int limit);
Result<std::vector<CreditNote>> ListCreditNotes(Connection& conn, int after_year, int after_seq,
                                                int limit);

Status InsertCoupon(Connection& conn, const Coupon& c);
Result<std::optional<Coupon>> FindCoupon(Connection& conn, const std::string& code);
Result<std::vector<Coupon>> ListCoupons(Connection& conn, int limit);
Status SetCouponArchived(Connection& conn, const std::string& code, bool archived);
Result<int64_t> RedeemCoupon(Connection& conn, CouponRedemption r);
Result<int64_t> CountRedemptions(Connection& conn, const std::string& code);

}  // namespace billing::sqlite
