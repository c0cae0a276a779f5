// The default of StoreTx::ReadCustomerOverview; see store.h.
#include "store/store.h"

namespace billing {

Result<CustomerOverview> StoreTx::ReadCustomerOverview(const CustomerOverviewQuery& q) {
  CustomerOverview out;
  BILLING_ASSIGN_OR_RETURN(out.customer, FindCustomer(q.customer_id));
  if (!out.customer) return out;
  BILLING_ASSIGN_OR_RETURN(auto ledger, Ledger(q.customer_id));
  auto it = ledger.find(q.customer_id);
  if (it == ledger.end()) return Error::Internal("ledger has no entry for " + q.customer_id);
  out.ledger = it->second;
  const InvoiceQuery open{q.customer_id, InvoiceStatusFilter::kOpen, q.today};
  BILLING_ASSIGN_OR_RETURN(out.open_invoices, ListInvoices(open, PageSpec{0, q.open_invoices}));
  BILLING_ASSIGN_OR_RETURN(out.open_totals, SumInvoices(open));
  BILLING_ASSIGN_OR_RETURN(out.recent_payments,
                           ListPayments(PaymentQuery{q.customer_id}, PageSpec{0, q.recent_payments}));
  BILLING_TRY(FillAllocations(out.recent_payments));
  BILLING_ASSIGN_OR_RETURN(out.cards, ListStoredCards(q.customer_id, 0, q.max_cards));
  return out;
}

}  // namespace billing
