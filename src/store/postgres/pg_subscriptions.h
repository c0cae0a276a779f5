// Plans, subscriptions and the periods billing runs have handled, on PostgreSQL (migration 004).
// The StoreTx methods of pg_store.cc for them delegate here, as SQLite's delegate to
// sqlite_subscriptions.cc; the statements are the same but for the dialect.
//
// Thread-safety: as the PgConnection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace billing::pgsubs {

Status InsertPlan(pg::PgConnection& conn, const Plan& p);
Result<std::optional<Plan>> FindPlan(pg::PgConnection& conn, const std::string& id);
Result<std::vector<Plan>> ListPlans(pg::PgConnection& conn, int limit);

Result<int64_t> NextSubscriptionNumber(pg::PgConnection& conn);
Status InsertSubscription(pg::PgConnection& conn, const Subscription& s);
Status UpdateSubscription(pg::PgConnection& conn, const Subscription& s);
Result<std::optional<Subscription>> FindSubscription(pg::PgConnection& conn, const std::string& id);
Result<std::vector<Subscription>> ListSubscriptions(pg::PgConnection& conn,
                                                    const SubscriptionQuery& q,
                                                    const PageSpec& page);
Result<SubscriptionTotals> SumSubscriptions(pg::PgConnection& conn, const SubscriptionQuery& q);
Result<std::vector<Subscription>> DueSubscriptions(pg::PgConnection& conn,
                                                   const DueSubscriptionsQuery& q, int limit);
Status InsertSubscriptionPeriod(pg::PgConnection& conn, const SubscriptionPeriod& p);
Status SetPeriodInvoice(pg::PgConnection& conn, const std::string& subscription_id,
                        const std::string& from_invoice_id, const std::string& to_invoice_id);
Result<std::vector<SubscriptionPeriod>> PeriodsOf(pg::PgConnection& conn,
                                                  const std::string& subscription_id, int limit);

}  // namespace billing::pgsubs
