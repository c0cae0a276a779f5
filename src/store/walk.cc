#include "store/walk.h"

#include <vector>

namespace billing {
namespace {

// One walk: `fetch` reads the next batch after the key `advance` took from the last row.
template <typename Row, typename Fetch, typename Advance>
Status Walk(int64_t max_rows, const Error& on_bound, const Fetch& fetch, const Advance& advance,
            const std::function<Result<bool>(Row&)>& visit) {
  int64_t visited = 0;
  // Bounded: every batch but the last holds kWalkBatchRows rows, and at most max_rows are visited.
  for (int64_t batch = 0; batch <= max_rows / kWalkBatchRows; ++batch) {
    Result<std::vector<Row>> rows = fetch();
    if (!rows.ok()) return rows.error();
    for (Row& row : rows.value()) {
      if (visited++ == max_rows) return on_bound;
      Result<bool> more = visit(row);
      if (!more.ok()) return more.error();
      if (!more.value()) return OkStatus();
    }
    if (rows->size() < size_t(kWalkBatchRows)) return OkStatus();
    advance(rows->back());
  }
  return on_bound;
}

}  // namespace

Status WalkInvoices(StoreTx& tx, InvoiceQuery q, int64_t max_rows, const Error& on_bound,
                    const std::function<Result<bool>(Invoice&)>& visit) {
  return Walk<Invoice>(
      max_rows, on_bound, [&] { return tx.ListInvoices(q, PageSpec{0, kWalkBatchRows}); },
      [&](const Invoice& last) {
        q.after_due_date = last.due_date;
        q.after_id = last.id;
      },
      visit);
}

Status WalkPayments(StoreTx& tx, PaymentQuery q, int64_t max_rows, const Error& on_bound,
                    const std::function<Result<bool>(Payment&)>& visit) {
  return Walk<Payment>(
      max_rows, on_bound, [&] { return tx.ListPayments(q, PageSpec{0, kWalkBatchRows}); },
      [&](const Payment& last) { q.before_number = last.number; }, visit);
}

Status WalkCustomers(StoreTx& tx, CustomerQuery q, int64_t max_rows, const Error& on_bound,
                     const std::function<Result<bool>(CustomerRow&)>& visit) {
  return Walk<CustomerRow>(
      max_rows, on_bound, [&] { return tx.ListCustomers(q, PageSpec{0, kWalkBatchRows}); },
      [&](const CustomerRow& last) { q.after_id = last.customer.id; }, visit);
}

}  // namespace billing
