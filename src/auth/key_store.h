// ApiKeyStore: the API keys, in the ledger's database (SQLite migration 005_api_keys.sql, or
// PostgreSQL; store/backend.h opens it, store/sqlite and store/postgres implement it). Only a key's SHA-256 hash (hex) and its public prefix
// ("bk_" + the first 8 hex digits of the secret part) are stored; the key itself is shown once,
// by `billing-agent keys create`, and never stored or logged.
//
// Bounded: name ≤ kMaxApiKeyNameBytes; List returns at most kMaxApiKeys rows.
// Errors: kInvalidArgument (bounds), kConflict (prefix taken), kNotFound (Revoke of an unknown
// prefix), kInternal (database).
//
// Thread-safety: safe from any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/scopes.h"
#include "common/result.h"

namespace billing {

inline constexpr size_t kMaxApiKeyNameBytes = 200;
inline constexpr size_t kMaxApiKeys = 10000;

struct StoredApiKey {
  std::string prefix;    // "bk_1a2b3c4d"
  std::string key_hash;  // SHA-256 of the whole key, lower-case hex
  std::string name;
  ScopeSet scopes = kNoScopes;
  std::string created_at;  // ISO-8601
  std::string revoked_at;  // "" while active
  // A customer-bound key (integration.md "Access") acts for this customer only; "" = not bound.
  std::string customer_id = {};
};

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;
  virtual Status Insert(const StoredApiKey& key) = 0;
  virtual Result<std::optional<StoredApiKey>> FindByPrefix(const std::string& prefix) = 0;
  // Oldest first, revoked ones included.
  virtual Result<std::vector<StoredApiKey>> List() = 0;
  // Sets revoked_at (once; revoking again keeps the first time). kNotFound for an unknown prefix.
  virtual Status Revoke(const std::string& prefix, const std::string& revoked_at) = 0;
  // Keys ever created (active_only: not revoked).
  virtual Result<int64_t> Count(bool active_only) = 0;
};

}  // namespace billing
