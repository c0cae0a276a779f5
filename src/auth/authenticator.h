// Authentication of HTTP callers: `Authorization: Bearer <credential>` where the credential is an
// API key ("bk_" + 64 hex digits; looked up by its public prefix in the ApiKeyStore and compared
// by SHA-256 hash in constant time) or an HS256 JWT (auth/jwt.h; secret BILLING_JWT_SECRET).
// Also the key helpers used by `billing-agent keys` and the start-up decision whether
// authentication is on (DecideAuth).
//
// Secrets (keys, tokens, the JWT secret) are never logged and never appear in error messages.
//
// Thread-safety: Authenticator is immutable after construction and safe from any thread (the
// store is thread-safe). The free functions are pure (GenerateApiKey uses OpenSSL's CSPRNG).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/key_store.h"
#include "auth/principal.h"
#include "common/result.h"

namespace billing {

inline constexpr std::string_view kApiKeyMarker = "bk_";
inline constexpr size_t kApiKeySecretHexDigits = 64;  // 32 random bytes
inline constexpr size_t kApiKeyPrefixHexDigits = 8;
inline constexpr size_t kMaxAuthorizationBytes = 8192;

// A new key: "bk_" + 32 random bytes as hex. kInternal if the CSPRNG fails.
Result<std::string> GenerateApiKey();
// SHA-256 of `key`, lower-case hex.
std::string HashApiKey(std::string_view key);
// "bk_1a2b3c4d" for a well-formed key ("bk_" + 64 lower-case hex digits), else "".
std::string ApiKeyPrefix(std::string_view key);

struct CreatedApiKey {
  std::string key;  // shown once; never stored
  StoredApiKey record;
};
// Generates and stores a key. `scopes` must not be empty (kInvalidArgument). `customer_id`: the
// customer a customer-bound key acts for ("" = not bound).
Result<CreatedApiKey> CreateApiKey(ApiKeyStore& store, const std::string& name, ScopeSet scopes,
                                   const std::string& created_at,
                                   const std::string& customer_id = "");

struct AuthOptions {
  bool enabled = true;
  std::string jwt_secret;  // "" = JWTs are not accepted
};

class Authenticator {
 public:
  // `store` may be null (API keys are then not accepted); it must outlive the authenticator.
  Authenticator(AuthOptions options, ApiKeyStore* store);

  bool enabled() const { return options_.enabled; }

  // The principal for an Authorization header value ("" when absent). When authentication is
  // off, the anonymous principal (all scopes). Errors: kUnauthenticated with a message safe
  // for the client; kInternal when the key table cannot be read.
  Result<Principal> Authenticate(std::string_view authorization) const;

 private:
  AuthOptions options_;
  ApiKeyStore* store_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

struct AuthDecision {
  bool enabled = true;
  bool development_mode = false;  // off on loopback: warn
};

// Whether authentication is on. `mode` is BILLING_AUTH: "on", "off" or "" (= on if any key was
// ever created or a JWT secret is set, else off). Refuses (kFailedPrecondition with the reason,
// for the log) to serve a non-loopback host without authentication or without credentials (no
// active key and no JWT secret); kInvalidArgument for another mode.
Result<AuthDecision> DecideAuth(std::string_view mode, const std::string& host, int64_t keys_ever,
                                int64_t active_keys, bool has_jwt_secret);

}  // namespace billing
