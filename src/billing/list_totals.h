// Totals of a list per currency (automated-billing.md "Multi-currency": totals and reports are
// per currency, never summed across currencies). Internal to the billing services.
//
// A list narrowed to one customer is in that customer's currency, and a ledger whose customers
// share one currency holds nothing else: both are summed once, as before currencies. A list over
// customers of several currencies is summed once per currency in use (StoreTx::CurrenciesInUse,
// an index probe each) with the store's currency filter, so the cost is one pass per currency.
//
// Thread-safety: plain functions over the caller's transaction.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "billing/service.h"
#include "store/store.h"

namespace billing::internal {

// The order of TotalsByCurrency::by_currency: most rows first, then by code, so that the
// ledger's main currency leads ("$4,075.50, EUR 1,620.00 and JPY 5,000").
template <typename Totals>
void OrderByCount(std::vector<Totals>& by_currency) {
  std::stable_sort(by_currency.begin(), by_currency.end(), [](const Totals& a, const Totals& b) {
    return a.count != b.count ? a.count > b.count : a.currency < b.currency;
  });
}

// Sums `q` per currency with `sum` (a StoreTx Sum* method). `known_currency` is the one currency
// every selected row is in (the customer's, when `q` names one), or "" to ask the store.
template <typename Query, typename Totals>
Result<TotalsByCurrency<Totals>> SumByCurrency(StoreTx& tx, Query q,
                                               const std::string& known_currency,
                                               Result<Totals> (StoreTx::*sum)(const Query&)) {
  std::vector<std::string> currencies;
  if (!q.currency.empty()) {
    currencies.push_back(q.currency);  // the query keeps to one already
  } else if (!known_currency.empty()) {
    currencies.push_back(known_currency);
  } else {
    BILLING_ASSIGN_OR_RETURN(currencies, tx.CurrenciesInUse());
  }
  TotalsByCurrency<Totals> out;
  if (currencies.size() <= 1) {
    // Every row is in the one currency (an empty ledger holds none: the default, USD).
    BILLING_ASSIGN_OR_RETURN(Totals t, (tx.*sum)(q));
    t.currency = currencies.empty() ? std::string("USD") : currencies.front();
    out.count = t.count;
    out.by_currency.push_back(std::move(t));
    return out;
  }
  for (const std::string& code : currencies) {
    q.currency = code;
    BILLING_ASSIGN_OR_RETURN(Totals t, (tx.*sum)(q));
    t.currency = code;
    out.count += t.count;
    if (t.count > 0) out.by_currency.push_back(std::move(t));
  }
  OrderByCount(out.by_currency);
  return out;
}

}  // namespace billing::internal
