// DataCipher: encryption at rest for payment-method details (libsodium XChaCha20-Poly1305).
//
// Keys are 32 random bytes, each with a short id, given as "id:hex" entries (comma- or
// newline-separated) in BILLING_DATA_KEYS or in the file named by BILLING_DATA_KEY_FILE. The
// first key seals; every listed key opens, so a key can be rotated without downtime (README
// "Payment data": add the new key first, keep the old one after it, run
// `billing-agent data-key rotate`, then drop the old key).
//
// Sealed text: "v1:<key id>:<base64(nonce || ciphertext+tag)>"; the nonce is random (24 bytes),
// and `associated` data (the record's id) is authenticated, so a sealed value copied onto
// another record does not open.
//
// Thread-safety: immutable after construction; Seal/Open are safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace billing::security {

struct DataKey {
  std::string id;  // 1-16 characters [A-Za-z0-9_-]
  std::array<uint8_t, 32> bytes{};
};

class DataCipher {
 public:
  // Parses "id:hex64[,id:hex64...]" (commas or newlines). The first key seals.
  static Result<DataCipher> FromKeyList(std::string_view text);
  // A new random key formatted as a key-list entry: "<id>:<64 hex digits>".
  static std::string GenerateKeyEntry(std::string_view id);

  const std::string& current_key_id() const { return keys_.front().id; }
  const std::vector<DataKey>& keys() const { return keys_; }

  Result<std::string> Seal(std::string_view plaintext, std::string_view associated) const;
  // kInvalidArgument for text that is not sealed by this scheme; kNotFound for an unknown key id;
  // kFailedPrecondition when authentication fails (wrong key, tampered or moved value).
  Result<std::string> Open(std::string_view sealed, std::string_view associated) const;
  // The key id a sealed value names ("" when malformed).
  static std::string KeyIdOf(std::string_view sealed);

 private:
  explicit DataCipher(std::vector<DataKey> keys) : keys_(std::move(keys)) {}
  std::vector<DataKey> keys_;  // non-empty
};

}  // namespace billing::security
