// Collection and dunning (migration 019) on SQLite: invoice_collections, the overdue marks of
// invoices, dunning_cases and dunning_steps. The StoreTx methods of sqlite_store.cc for them
// delegate here, as those of subscriptions do.
//
// Thread-safety: as the Connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_util.h"
#include "store/store.h"

namespace billing::sqlite {

Status SetCustomerStatus(Connection& conn, const std::string& customer_id,
                         const std::string& status);
Status InsertCollection(Connection& conn, const Collection& c);
Status UpdateCollection(Connection& conn, const Collection& c);
Result<std::optional<Collection>> FindCollection(Connection& conn, const std::string& invoice_id);
Result<std::vector<Collection>> DueCollections(Connection& conn, const Date& as_of, int limit);
Result<std::optional<Collection>> LatestCollectionOf(Connection& conn,
                                                     const std::string& subscription_id);
Result<std::vector<std::string>> NewlyOverdueInvoices(Connection& conn, const Date& today,
                                                      int limit);
Status SetOverdueState(Connection& conn, const std::string& invoice_id, int state);
Result<std::optional<std::string>> OldestDunnedInvoice(Connection& conn,
                                                       const std::string& customer_id);
Result<std::optional<DunningCase>> FindDunningCase(Connection& conn,
                                                   const std::string& customer_id);
Status PutDunningCase(Connection& conn, const DunningCase& c);
Status DeleteDunningCase(Connection& conn, const std::string& customer_id);
Result<std::vector<DunningCase>> ListDunningCases(Connection& conn,
                                                  const std::string& after_customer_id, int limit);
Result<std::vector<DunningCase>> DueDunningCases(Connection& conn, const Date& as_of, int limit);
Result<int64_t> CountDunningCases(Connection& conn);
Result<bool> InsertDunningStep(Connection& conn, const DunningStepRecord& s);
Result<std::vector<DunningStepRecord>> DunningStepsOf(Connection& conn,
                                                      const std::string& invoice_id, int limit);

}  // namespace billing::sqlite
