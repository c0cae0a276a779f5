// Walks over every row a list query selects, for the callers that must see all of them (a
// payment settling a customer's open invoices, invariant checks, recovery tests): kWalkBatchRows
// rows per statement, continued by keyset rather than by offset, so each statement costs the same
// however far the walk has gone. A walk past `max_rows` rows ends with the caller's `on_bound`
// error: a bound that is reached is an error, never a silently shorter walk.
//
// Thread-safety: runs inside the caller's transaction (the StoreTx belongs to one call).
#pragma once

#include <cstdint>
#include <functional>

#include "store/store.h"

namespace billing {

inline constexpr int kWalkBatchRows = 500;

// Calls `visit` on the invoices `q` selects, in list order (due date, id), until it returns false.
// `visit` may update the invoice it is given (the walk continues after its key).
Status WalkInvoices(StoreTx& tx, InvoiceQuery q, int64_t max_rows, const Error& on_bound,
                    const std::function<Result<bool>(Invoice&)>& visit);
// The same for payments, newest first.
Status WalkPayments(StoreTx& tx, PaymentQuery q, int64_t max_rows, const Error& on_bound,
                    const std::function<Result<bool>(Payment&)>& visit);
// The same for customers, in id order.
Status WalkCustomers(StoreTx& tx, CustomerQuery q, int64_t max_rows, const Error& on_bound,
                     const std::function<Result<bool>(CustomerRow&)>& visit);

}  // namespace billing
