#include "security/data_cipher.h"

#include <sodium.h>

#include <cassert>

namespace billing::security {
namespace {

constexpr std::string_view kVersion = "v1";
constexpr size_t kMaxKeys = 16;
constexpr size_t kMaxKeyIdChars = 16;
constexpr size_t kMaxSealedChars = 64 * 1024;

bool ValidKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdChars) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<DataCipher> DataCipher::FromKeyList(std::string_view text) {
  if (sodium_init() < 0) return Error::Internal("libsodium failed to initialise");
  // Entries are separated by commas or newlines; '#' starts a comment that runs to the line end.
  std::string entries;
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    line = line.substr(0, line.find('#'));
    entries.append(line).push_back(',');
    pos = eol + 1;
  }
  std::vector<DataKey> keys;
  std::string_view all = entries;
  for (size_t start = 0; start < all.size() && keys.size() <= kMaxKeys;) {
    size_t end = all.find(',', start);
    if (end == std::string_view::npos) end = all.size();
    std::string_view entry = Trim(all.substr(start, end - start));
    start = end + 1;
    if (entry.empty()) continue;
    const size_t colon = entry.find(':');
    const std::string rule =
        "each data key must be '<id>:<64 hex digits>' (id: 1-16 of A-Z a-z 0-9 _ -)";
    if (colon == std::string_view::npos || !ValidKeyId(entry.substr(0, colon))) {
      return Error::Invalid("BILLING_DATA_KEYS", rule);
    }
    DataKey key;
    key.id = std::string(entry.substr(0, colon));
    std::string_view hex = entry.substr(colon + 1);
    size_t decoded = 0;
    if (hex.size() != 64 ||
        sodium_hex2bin(key.bytes.data(), key.bytes.size(), hex.data(), hex.size(), nullptr,
                       &decoded, nullptr) != 0 ||
        decoded != key.bytes.size()) {
      return Error::Invalid("BILLING_DATA_KEYS", rule);
    }
    for (const DataKey& k : keys) {
      if (k.id == key.id)
        return Error::Invalid("BILLING_DATA_KEYS", "data key id '" + key.id + "' is listed twice");
    }
    keys.push_back(key);
  }
  if (keys.empty()) return Error::Invalid("BILLING_DATA_KEYS", "no data key given");
  if (keys.size() > kMaxKeys) return Error::Invalid("BILLING_DATA_KEYS", "at most 16 data keys");
  return DataCipher(std::move(keys));
}

std::string DataCipher::GenerateKeyEntry(std::string_view id) {
  if (sodium_init() < 0) return "";
  std::array<uint8_t, 32> bytes{};
  crypto_aead_xchacha20poly1305_ietf_keygen(bytes.data());
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, bytes.data(), bytes.size());
  sodium_memzero(bytes.data(), bytes.size());
  return std::string(id) + ":" + hex;
}

Result<std::string> DataCipher::Seal(std::string_view plaintext,
                                     std::string_view associated) const {
  assert(!keys_.empty());
  const DataKey& key = keys_.front();
  std::vector<uint8_t> box(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() +
                           crypto_aead_xchacha20poly1305_ietf_ABYTES);
  uint8_t* nonce = box.data();
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long cipher_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(
          box.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &cipher_len,
          reinterpret_cast<const uint8_t*>(plaintext.data()), plaintext.size(),
          reinterpret_cast<const uint8_t*>(associated.data()), associated.size(), nullptr, nonce,
          key.bytes.data()) != 0) {
    return Error::Internal("encryption failed");
  }
  box.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + cipher_len);
  std::string b64(sodium_base64_ENCODED_LEN(box.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), box.data(), box.size(), sodium_base64_VARIANT_ORIGINAL);
  b64.resize(b64.size() - 1);  // the terminating NUL
  return std::string(kVersion) + ":" + key.id + ":" + b64;
}

std::string DataCipher::KeyIdOf(std::string_view sealed) {
  if (sealed.substr(0, kVersion.size() + 1) != std::string(kVersion) + ":") return "";
  std::string_view rest = sealed.substr(kVersion.size() + 1);
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos || !ValidKeyId(rest.substr(0, colon))) return "";
  return std::string(rest.substr(0, colon));
}

Result<std::string> DataCipher::Open(std::string_view sealed, std::string_view associated) const {
  const std::string key_id = KeyIdOf(sealed);
  if (key_id.empty() || sealed.size() > kMaxSealedChars) {
    return Error::Invalid("sealed", "not a sealed value");
  }
  const DataKey* key = nullptr;
  for (const DataKey& k : keys_) {
    if (k.id == key_id) key = &k;
  }
  if (key == nullptr)
    return Error::NotFound("data key '" + key_id + "' is not configured", "BILLING_DATA_KEYS");
  std::string_view b64 = sealed.substr(kVersion.size() + 1 + key_id.size() + 1);
  std::vector<uint8_t> box(b64.size());
  size_t box_len = 0;
  if (sodium_base642bin(box.data(), box.size(), b64.data(), b64.size(), nullptr, &box_len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      box_len < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                    crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return Error::Invalid("sealed", "not a sealed value");
  }
  std::string plain(box_len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES -
                        crypto_aead_xchacha20poly1305_ietf_ABYTES,
                    '\0');
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<uint8_t*>(plain.data()), &plain_len, nullptr,
          box.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          box_len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          reinterpret_cast<const uint8_t*>(associated.data()), associated.size(), box.data(),
          key->bytes.data()) != 0) {
    return Error::Precondition("sealed value does not authenticate (wrong key, tampered or moved)");
  }
  plain.resize(plain_len);
  return plain;
}

}  // namespace billing::security
