#include "auth/authenticator.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <chrono>

#include <boost/asio/ip/address.hpp>

#include "auth/jwt.h"

namespace billing {
namespace {

Error Unauthenticated(std::string message) {
  return Error(ErrorCode::kUnauthenticated, std::move(message));
}

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<std::string> GenerateApiKey() {
  std::array<unsigned char, kApiKeySecretHexDigits / 2> bytes{};
  if (RAND_bytes(bytes.data(), int(bytes.size())) != 1) {
    return Error::Internal("the random number generator failed");
  }
  std::string key(kApiKeyMarker);
  key += Hex(bytes.data(), bytes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

std::string HashApiKey(std::string_view key) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return Hex(digest.data(), len);
}

std::string ApiKeyPrefix(std::string_view key) {
  if (key.size() != kApiKeyMarker.size() + kApiKeySecretHexDigits ||
      key.substr(0, kApiKeyMarker.size()) != kApiKeyMarker ||
      !IsLowerHex(key.substr(kApiKeyMarker.size()))) {
    return "";
  }
  return std::string(key.substr(0, kApiKeyMarker.size() + kApiKeyPrefixHexDigits));
}

Result<CreatedApiKey> CreateApiKey(ApiKeyStore& store, const std::string& name, ScopeSet scopes,
                                   const std::string& created_at, const std::string& customer_id) {
  if (scopes == kNoScopes) return Error::Invalid("scopes", "a key needs at least one scope");
  // A prefix clash (32 bits) is rare; try a few fresh keys.
  for (int attempt = 0; attempt < 5; ++attempt) {
    BILLING_ASSIGN_OR_RETURN(std::string key, GenerateApiKey());
    CreatedApiKey out;
    out.record.prefix = ApiKeyPrefix(key);
    out.record.key_hash = HashApiKey(key);
    out.record.name = name;
    out.record.scopes = scopes;
    out.record.created_at = created_at;
    out.record.customer_id = customer_id;
    Status s = store.Insert(out.record);
    if (s.ok()) {
      out.key = std::move(key);
      return out;
    }
    if (s.error().code != ErrorCode::kConflict) return s.error();
  }
  return Error(ErrorCode::kConflict, "could not find a free key prefix; try again");
}

Authenticator::Authenticator(AuthOptions options, ApiKeyStore* store)
    : options_(std::move(options)), store_(store) {}

Result<Principal> Authenticator::Authenticate(std::string_view authorization) const {
  if (!options_.enabled) return Principal::Anonymous();
  if (authorization.empty()) {
    return Unauthenticated("Authentication required: send Authorization: Bearer <API key or token>");
  }
  if (authorization.size() > kMaxAuthorizationBytes) return Unauthenticated("Invalid credentials");
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() <= kBearer.size()) {
    return Unauthenticated("Authorization must be 'Bearer <API key or token>'");
  }
  for (size_t i = 0; i < kBearer.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c) != kBearer[i]) {
      return Unauthenticated("Authorization must be 'Bearer <API key or token>'");
    }
  }
  std::string_view credential = authorization.substr(kBearer.size());
  while (!credential.empty() && credential.front() == ' ') credential.remove_prefix(1);
  while (!credential.empty() && credential.back() == ' ') credential.remove_suffix(1);

  if (credential.substr(0, kApiKeyMarker.size()) == kApiKeyMarker) {
    const std::string prefix = ApiKeyPrefix(credential);
    if (prefix.empty() || store_ == nullptr) return Unauthenticated("Invalid API key");
    Result<std::optional<StoredApiKey>> found = store_->FindByPrefix(prefix);
    if (!found.ok()) return Error::Internal("cannot read API keys: " + found.error().message);
    const std::string hash = HashApiKey(credential);
    // Compare even when no row matched, so timing does not tell whether a prefix exists.
    const std::string stored = found->has_value() ? (*found)->key_hash : std::string(hash.size(), '0');
    const bool same = stored.size() == hash.size() &&
                      CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) == 0;
    if (!found->has_value() || !same) return Unauthenticated("Invalid API key");
    if (!(*found)->revoked_at.empty()) return Unauthenticated("API key revoked");
    return Principal{"key:" + prefix, (*found)->scopes, true, (*found)->customer_id};
  }
  if (options_.jwt_secret.empty()) return Unauthenticated("Invalid API key");
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Result<JwtClaims> claims = VerifyJwtHs256(credential, options_.jwt_secret, now);
  if (!claims.ok()) return Unauthenticated("Invalid token: " + claims.error().message);
  return Principal{"jwt:" + claims->sub, claims->scopes, true, claims->customer_id};
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

Result<AuthDecision> DecideAuth(std::string_view mode, const std::string& host, int64_t keys_ever,
                                int64_t active_keys, bool has_jwt_secret) {
  AuthDecision d;
  if (mode == "on") {
    d.enabled = true;
  } else if (mode == "off") {
    d.enabled = false;
  } else if (mode.empty()) {
    d.enabled = keys_ever > 0 || has_jwt_secret;
  } else {
    return Error::Invalid("BILLING_AUTH", "BILLING_AUTH must be on or off, got '" +
                                              std::string(mode.substr(0, 32)) + "'");
  }
  const bool loopback = IsLoopbackHost(host);
  if (!d.enabled && !loopback) {
    return Error::Precondition(
        "refusing to start: authentication is off but the server would listen on " + host +
        ", which is not a loopback address; create an API key (billing-agent keys create "
        "--scopes ...) or set BILLING_JWT_SECRET, and do not set BILLING_AUTH=off");
  }
  if (d.enabled && !loopback && active_keys == 0 && !has_jwt_secret) {
    return Error::Precondition(
        "refusing to start: listening on " + host +
        " needs credentials, but there is no active API key and no BILLING_JWT_SECRET; create "
        "one with billing-agent keys create --scopes ...");
  }
  d.development_mode = !d.enabled;
  return d;
}

}  // namespace billing
