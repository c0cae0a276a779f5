// Verification of HS256 JSON Web Tokens (RFC 7519 / RFC 7515 compact form), the alternative to
// API keys. Only alg "HS256" is accepted ("none" and every other algorithm are rejected before
// the signature is looked at); the signature is compared in constant time. Claims: `sub`
// (non-empty string, required), `exp` (number, required: tokens without an expiry are
// rejected), `nbf` (number, optional), `scope` (space-separated scope names; unknown names are
// ignored). `exp`/`nbf` get kJwtLeewaySeconds of clock skew.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/scopes.h"
#include "common/result.h"

namespace billing {

inline constexpr size_t kMaxJwtBytes = 8192;
inline constexpr size_t kMinJwtSecretBytes = 32;
inline constexpr int64_t kJwtLeewaySeconds = 60;
inline constexpr size_t kMaxJwtSubjectBytes = 256;
inline constexpr size_t kMaxJwtCustomerIdBytes = 64;

struct JwtClaims {
  std::string sub;
  ScopeSet scopes = kNoScopes;
  int64_t exp = 0;
  std::string customer_id = {};  // claim customer_id: a customer-bound caller; "" = not bound
};

// Verifies `token` with `secret` at `now_unix_s`. Errors are kUnauthenticated with a short
// reason safe to send to the client ("token expired", "bad signature", ...); they never contain
// the token or the secret.
Result<JwtClaims> VerifyJwtHs256(std::string_view token, std::string_view secret,
                                 int64_t now_unix_s);

// Signs `payload_json` (a JSON object text) with HS256: for tests and tooling.
std::string SignJwtHs256(std::string_view payload_json, std::string_view secret);

// base64url without padding (RFC 4648 §5), as JWTs use it.
std::string Base64UrlEncode(std::string_view bytes);
// Decodes base64url with or without padding; false on a character outside the alphabet.
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace billing
