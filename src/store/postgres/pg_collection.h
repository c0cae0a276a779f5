// Collection and dunning (migration 007) on PostgreSQL, the twin of sqlite_collection.h: the
// statements are the same but for the dialect. pg_store.cc's StoreTx methods delegate here.
//
// Thread-safety: as the Connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace billing::pgcollect {

Status SetCustomerStatus(pg::PgConnection& conn, const std::string& customer_id,
                         const std::string& status);
Status InsertCollection(pg::PgConnection& conn, const Collection& c);
Status UpdateCollection(pg::PgConnection& conn, const Collection& c);
Result<std::optional<Collection>> FindCollection(pg::PgConnection& conn,
                                                 const std::string& invoice_id);
Result<std::vector<Collection>> DueCollections(pg::PgConnection& conn, const Date& as_of,
                                               int limit);
Result<std::optional<Collection>> LatestCollectionOf(pg::PgConnection& conn,
                                                     const std::string& subscription_id);
Result<std::vector<std::string>> NewlyOverdueInvoices(pg::PgConnection& conn, const Date& today,
                                                      int limit);
Status SetOverdueState(pg::PgConnection& conn, const std::string& invoice_id, int state);
Result<std::optional<std::string>> OldestDunnedInvoice(pg::PgConnection& conn,
                                                       const std::string& customer_id);
Result<std::optional<DunningCase>> FindDunningCase(pg::PgConnection& conn,
                                                   const std::string& customer_id);
Status PutDunningCase(pg::PgConnection& conn, const DunningCase& c);
Status DeleteDunningCase(pg::PgConnection& conn, const std::string& customer_id);
Result<std::vector<DunningCase>> ListDunningCases(pg::PgConnection& conn,
                                                  const std::string& after_customer_id, int limit);
Result<std::vector<DunningCase>> DueDunningCases(pg::PgConnection& conn, const Date& as_of, int limit);
Result<int64_t> CountDunningCases(pg::PgConnection& conn);
Result<bool> InsertDunningStep(pg::PgConnection& conn, const DunningStepRecord& s);
Result<std::vector<DunningStepRecord>> DunningStepsOf(pg::PgConnection& conn,
                                                      const std::string& invoice_id, int limit);

}  // namespace billing::pgcollect
