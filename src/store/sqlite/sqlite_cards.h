// Stored cards on SQLite (migration 007): the sealed card details of payment_methods. The StoreTx
// methods of sqlite_store.cc for them delegate here, which keeps the ledger's file readable in one
// sitting.
//
// Thread-safety: as the Connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_util.h"
#include "store/store.h"

namespace billing::sqlite {

Result<int64_t> NextStoredCardNumber(Connection& conn);
Status InsertStoredCard(Connection& conn, const StoredCard& c);
Result<std::optional<StoredCard>> FindStoredCard(Connection& conn, const std::string& id);
// Ids greater than after_number (by number), of one customer ("" = all), at most `limit`.
Result<std::vector<StoredCard>> ListStoredCards(Connection& conn, const std::string& customer_id,
                                                int64_t after_number, int limit);
Status UpdateStoredCardSeal(Connection& conn, const std::string& id, const std::string& sealed,
                            const std::string& key_id);

}  // namespace billing::sqlite
