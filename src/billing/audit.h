// The audit log's hash chain and record serialisation, in one place.
//
// Every change to the ledger appends one AuditEntry (billing/types.h) in the same Store::Write
// transaction as the change (BillingService). Row N stores prev_hash = hash of row N-1 (64 zeros
// for row 1) and
//   hash = lowercase hex SHA-256( AuditCanonical(row) )
// where AuditCanonical is the row's chain version tag followed by every field of the row,
// prev_hash included and hash excluded, each written as <decimal byte length> ':' <bytes> ';'. The
// length prefixes make the encoding unambiguous: no choice of field contents can make two
// different rows serialise to the same bytes. Two chain versions exist:
//   v1 "billing-audit-v1": prev_hash, seq, at, actor, action, entity_type, entity_id,
//      before_json, after_json, request_id. Rows written before issue #17; they keep verifying.
//   v2 "billing-audit-v2": the same fields, then on_behalf_of (the claimed end user, apart from
//      the authenticated actor). Every row written now.
// Versions never go down along the chain, and a v1 row has no on_behalf_of (its hash would not
// cover it). Changing any stored field of a row breaks that row's hash;
// recomputing it breaks the next row's prev_hash; deleting a middle row breaks the seq sequence.
// (Truncating the newest rows cannot be detected from the chain alone: compare the row count or
// the last hash with a copy kept elsewhere.)
//
// Thread-safety: pure functions and a plain-value verifier; a ChainVerifier is used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "billing/types.h"
#include "common/result.h"

namespace billing {

inline constexpr int kAuditChainVersion = 2;  // the version every new row is written with

inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Lowercase hex SHA-256 of `data` (OpenSSL EVP).
Result<std::string> Sha256Hex(std::string_view data);

// The bytes that are hashed for `e` (all fields but `hash`, length-prefixed), by the rule of
// e.chain_version (1 or 2; anything else hashes as an unknown version and never verifies).
std::string AuditCanonical(const AuditEntry& e);

// SHA-256 hex of AuditCanonical(e).
Result<std::string> AuditHash(const AuditEntry& e);

// Makes `e` the row after `last` (nullopt = the first row): sets chain_version (the current
// one), seq, prev_hash and hash.
Status ChainAuditEntry(const std::optional<AuditEntry>& last, AuditEntry& e);

// Walks the chain row by row in seq order, remembering only the previous row.
class ChainVerifier {
 public:
  // True if `e` correctly follows the rows checked so far; otherwise false with the reason in
  // *why (and the verifier should not be fed further rows).
  bool Check(const AuditEntry& e, std::string* why);
  int64_t rows_checked() const { return rows_checked_; }
  int64_t last_seq() const { return last_seq_; }

 private:
  int64_t rows_checked_ = 0;
  int64_t last_seq_ = 0;
  int last_version_ = 1;
  std::string last_hash_{kAuditGenesisHash};
};

// The before/after JSON of audited records (stable key names, amounts in cents).
nlohmann::json InvoiceAuditJson(const Invoice& inv);
nlohmann::json CreditNoteAuditJson(const CreditNote& cn);
nlohmann::json SubscriptionAuditJson(const Subscription& s);
nlohmann::json CustomerAuditJson(const Customer& c);
nlohmann::json PaymentAuditJson(const Payment& p);  // with its allocations
nlohmann::json RefundAuditJson(const Refund& r);

// Compact JSON text for before_json/after_json (invalid UTF-8 replaced, never throws).
std::string AuditDump(const nlohmann::json& j);

// JSON for the API and `billing-agent audit list`: before/after parsed back into JSON when they
// are valid JSON, else given as strings (a tampered row must still be listable). "actor" is the
// authenticated principal; "onBehalfOf" is {"id": <claimed end user>, "claim": true} or null.
nlohmann::json OnBehalfOfJson(const std::string& on_behalf_of);
nlohmann::json AuditEntryJson(const AuditEntry& e);

}  // namespace billing
