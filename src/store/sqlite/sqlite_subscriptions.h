// Plans, subscriptions and the periods billing runs have handled, on SQLite (migration 016). The
// StoreTx methods of sqlite_store.cc for them delegate here, which keeps the ledger's file
// readable in one sitting.
//
// Thread-safety: as the Connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_util.h"
#include "store/store.h"

namespace billing::sqlite {

Status InsertPlan(Connection& conn, const Plan& p);
Result<std::optional<Plan>> FindPlan(Connection& conn, const std::string& id);
Result<std::vector<Plan>> ListPlans(Connection& conn, int limit);

Result<int64_t> NextSubscriptionNumber(Connection& conn);
Status InsertSubscription(Connection& conn, const Subscription& s);
Status UpdateSubscription(Connection& conn, const Subscription& s);
Result<std::optional<Subscription>> FindSubscription(Connection& conn, const std::string& id);
Result<std::vector<Subscription>> ListSubscriptions(Connection& conn, const SubscriptionQuery& q,
                                                    const PageSpec& page);
Result<SubscriptionTotals> SumSubscriptions(Connection& conn, const SubscriptionQuery& q);
Result<std::vector<Subscription>> DueSubscriptions(Connection& conn, const DueSubscriptionsQuery& q,
                                                   int limit);
Status InsertSubscriptionPeriod(Connection& conn, const SubscriptionPeriod& p);
Status SetPeriodInvoice(Connection& conn, const std::string& subscription_id,
                        const std::string& from_invoice_id, const std::string& to_invoice_id);
Result<std::vector<SubscriptionPeriod>> PeriodsOf(Connection& conn,
                                                  const std::string& subscription_id, int limit);

}  // namespace billing::sqlite
