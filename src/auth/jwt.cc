#include "auth/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cmath>

#include <nlohmann/json.hpp>

namespace billing {
namespace {

using nlohmann::json;

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

Error Unauthenticated(std::string message) {
  return Error(ErrorCode::kUnauthenticated, std::move(message));
}

std::string HmacSha256(std::string_view data, std::string_view key) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac.data(), &len);
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

// A JSON number claim as seconds; false when absent, true with *ok=false when malformed.
bool NumericClaim(const json& payload, const char* name, int64_t* value, bool* ok) {
  auto it = payload.find(name);
  if (it == payload.end()) return false;
  *ok = it->is_number() && std::abs(it->get<double>()) < 1e15;
  if (*ok) *value = static_cast<int64_t>(it->get<double>());
  return true;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3f];
  return out;
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  out->clear();
  out->reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

std::string SignJwtHs256(std::string_view payload_json, std::string_view secret) {
  std::string input = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                      Base64UrlEncode(payload_json);
  const std::string sig = HmacSha256(input, secret);
  return input + "." + Base64UrlEncode(sig);
}

Result<JwtClaims> VerifyJwtHs256(std::string_view token, std::string_view secret,
                                 int64_t now_unix_s) {
  if (token.size() > kMaxJwtBytes) return Unauthenticated("token too long");
  if (secret.size() < kMinJwtSecretBytes) return Unauthenticated("JWTs are not accepted");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Unauthenticated("malformed token");
  }
  std::string header_text, payload_text, signature;
  if (!Base64UrlDecode(token.substr(0, dot1), &header_text) ||
      !Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1), &payload_text) ||
      !Base64UrlDecode(token.substr(dot2 + 1), &signature)) {
    return Unauthenticated("malformed token");
  }
  const json header = json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return Unauthenticated("malformed token header");
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
    return Unauthenticated("unsupported token algorithm (only HS256 is accepted)");
  }
  const std::string expected = HmacSha256(token.substr(0, dot2), secret);
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return Unauthenticated("bad token signature");
  }
  const json payload = json::parse(payload_text, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return Unauthenticated("malformed token payload");
  JwtClaims claims;
  auto sub = payload.find("sub");
  if (sub == payload.end() || !sub->is_string() || sub->get<std::string>().empty() ||
      sub->get<std::string>().size() > kMaxJwtSubjectBytes) {
    return Unauthenticated("token has no valid sub claim");
  }
  claims.sub = sub->get<std::string>();
  bool ok = true;
  if (!NumericClaim(payload, "exp", &claims.exp, &ok)) return Unauthenticated("token has no exp claim");
  if (!ok) return Unauthenticated("token exp claim is not a number");
  if (now_unix_s >= claims.exp + kJwtLeewaySeconds) return Unauthenticated("token expired");
  int64_t nbf = 0;
  if (NumericClaim(payload, "nbf", &nbf, &ok)) {
    if (!ok) return Unauthenticated("token nbf claim is not a number");
    if (now_unix_s + kJwtLeewaySeconds < nbf) return Unauthenticated("token not yet valid");
  }
  if (auto scope = payload.find("scope"); scope != payload.end()) {
    if (!scope->is_string()) return Unauthenticated("token scope claim is not a string");
    Result<ScopeSet> scopes = ParseScopeList(scope->get<std::string>(), /*strict=*/false);
    if (scopes.ok()) claims.scopes = *scopes;
  }
  if (auto customer = payload.find("customer_id"); customer != payload.end()) {
    if (!customer->is_string() || customer->get<std::string>().empty() ||
        customer->get<std::string>().size() > kMaxJwtCustomerIdBytes) {
      return Unauthenticated("token customer_id claim is not an id");
    }
    claims.customer_id = customer->get<std::string>();
  }
  return claims;
}

}  // namespace billing
