// Idempotency-Key on mutating POSTs, with Stripe's semantics:
// - the first response to (caller, key) is stored with a hash of the request (method, target and
//   body) for `retention_ms` (24 h); a retry with the same request gets the stored response with
//   `Idempotent-Replayed: true`;
// - the same key with a different request is 422; a retry while the first is still running is 409,
//   on this instance (an in-memory set) or on another one on the same database (a mark in the
//   store, IdempotencyStore::MarkInFlight);
// - responses that mean "nothing ran" are not stored, so the caller may retry with the same key:
//   400 (validation), 401/403 (credentials), 409, 422, 429 and every 5xx.
// While the first request runs, its tool calls carry operation keys derived from the key
// (BillingService "Operation keys"), so even a retry after a crash between the ledger commit and
// the response store charges nothing twice.
//
// Thread-safety: Claim/Finish may be called from any thread; in-flight keys sit behind a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/clock.h"
#include "common/result.h"
#include "http/server.h"
#include "store/idempotency_store.h"

namespace billing::http {

struct IdempotencyOptions {
  int64_t retention_ms = 24LL * 3600 * 1000;
  // Instances on one database tell each other which keys are running (IdempotencyStore::
  // MarkInFlight). A mark of an instance that is gone is ignored at once; one older than the lease
  // is taken to be left by a request that was lost without an answer, so a retry may run after
  // it (its operation keys still keep it from charging twice).
  int64_t in_flight_lease_ms = 5LL * 60 * 1000;
  size_t max_in_flight = 10'000;
  size_t max_stored_body_bytes = 1024 * 1024;  // larger responses are not stored
  size_t max_key_bytes = 255;
};

class Idempotency {
 public:
  Idempotency(IdempotencyStore& store, const Clock& clock, IdempotencyOptions options = {});
  Idempotency(const Idempotency&) = delete;
  Idempotency& operator=(const Idempotency&) = delete;

  const IdempotencyOptions& options() const { return options_; }

  // 1-255 visible ASCII characters; else kInvalidArgument naming the header.
  Status ValidateKey(std::string_view key) const;
  // SHA-256 hex of the method, target and body.
  static std::string Fingerprint(const HttpRequest& request);
  // Whether a response with this status is stored for replay.
  static bool IsStorable(int status);

  // Marks (owner, key) as running until the lease is destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(Idempotency* owner, std::string slot) : owner_(owner), slot_(std::move(slot)) {}
    Lease(Lease&& other) noexcept : owner_(other.owner_), slot_(std::move(other.slot_)) {
      other.owner_ = nullptr;
    }
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    ~Lease();

   private:
    Idempotency* owner_ = nullptr;
    std::string slot_;
  };

  enum class Verdict { kProceed, kReplay, kMismatch, kInFlight, kBusy };
  struct Claim {
    Verdict verdict = Verdict::kProceed;
    std::optional<StoredResponse> stored;  // kReplay
    Lease lease;                           // kProceed
  };
  // Decides what to do with a request carrying `key`. Errors come from the store.
  Result<Claim> Begin(const std::string& owner, const std::string& key,
                      const std::string& fingerprint);
  // Stores the response of a request that was allowed to proceed (if IsStorable(status)).
  void Finish(const std::string& owner, const std::string& key, const std::string& fingerprint,
              int status, std::string_view content_type, std::string_view body);

  // The answer to replay: the stored status, content type and body, plus Idempotent-Replayed.
  static HttpResponse ReplayResponse(const StoredResponse& stored);

 private:
  IdempotencyStore& store_;
  const Clock& clock_;
  IdempotencyOptions options_;
  std::mutex mu_;
  std::unordered_set<std::string> in_flight_;  // owner '\n' key
  uint64_t saves_ = 0;                         // under mu_: purge every kPurgeEvery saves
};

}  // namespace billing::http
