#include "http/idempotency.h"

#include <spdlog/spdlog.h>

#include "billing/audit.h"

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;

constexpr uint64_t kPurgeEvery = 256;
constexpr int kPurgeBatch = 1000;

std::string Slot(const std::string& owner, const std::string& key) {
  return owner + '\n' + key;
}

}  // namespace

Idempotency::Idempotency(IdempotencyStore& store, const Clock& clock, IdempotencyOptions options)
    : store_(store), clock_(clock), options_(options) {}

Idempotency::Lease::~Lease() {
  if (owner_ == nullptr) return;
  std::lock_guard<std::mutex> lock(owner_->mu_);
  owner_->in_flight_.erase(slot_);
}

Idempotency::Lease& Idempotency::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Lease released(std::move(*this));  // gives up this slot (if any) at the end of the scope
    owner_ = other.owner_;
    slot_ = std::move(other.slot_);
    other.owner_ = nullptr;
  }
  return *this;
}

Status Idempotency::ValidateKey(std::string_view key) const {
  bool visible = !key.empty() && key.size() <= options_.max_key_bytes;
  for (char c : key) visible = visible && c >= 0x21 && c <= 0x7e;
  if (!visible) {
    return Error::Invalid("Idempotency-Key", "Idempotency-Key must be 1 to " +
                                                 std::to_string(options_.max_key_bytes) +
                                                 " visible ASCII characters");
  }
  return OkStatus();
}

std::string Idempotency::Fingerprint(const HttpRequest& request) {
  std::string text;
  text.reserve(request.target().size() + request.body().size() + 16);
  text.append(request.method_string());
  text.push_back(' ');
  text.append(request.target());
  text.push_back('\n');
  text.append(request.body());
  Result<std::string> hash = Sha256Hex(text);
  return hash.ok() ? std::move(hash.value()) : std::string();
}

bool Idempotency::IsStorable(int status) {
  if (status >= 500) return false;
  switch (status) {
    case 400:
    case 401:
    case 403:
    case 409:
    case 422:
    case 429:
      return false;
    default:
      return true;
  }
}

Result<Idempotency::Claim> Idempotency::Begin(const std::string& owner, const std::string& key,
                                              const std::string& fingerprint) {
  Claim claim;
  std::string slot = Slot(owner, key);
  bool running = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running = in_flight_.count(slot) != 0;
    if (!running) {
      if (in_flight_.size() >= options_.max_in_flight) {
        claim.verdict = Verdict::kBusy;
        return claim;
      }
      in_flight_.insert(slot);
    }
  }
  if (running) {
    // A streamed answer is stored before its last chunk is sent, while the first request still
    // holds the key: a client that saw the end and retries gets the replay, not a 409.
    Result<std::optional<StoredResponse>> stored =
        store_.Find(owner, key, clock_.NowUnixMs() - options_.retention_ms);
    if (!stored.ok()) return stored.error();
    if (!stored.value()) {
      claim.verdict = Verdict::kInFlight;
      return claim;
    }
    claim.verdict = stored.value()->fingerprint == fingerprint ? Verdict::kReplay : Verdict::kMismatch;
    claim.stored = std::move(stored.value());
    return claim;
  }
  // From here the slot is ours: a concurrent request with the same key gets kInFlight.
  claim.lease = Lease(this, std::move(slot));
  const int64_t now_ms = clock_.NowUnixMs();
  Result<std::optional<StoredResponse>> stored = store_.Find(owner, key, now_ms - options_.retention_ms);
  if (!stored.ok()) return stored.error();  // the lease releases the slot
  if (!stored.value()) {
    // Not answered yet: tell the other instances this key runs here, unless one of them runs it.
    std::optional<StoredResponse> raced;
    Result<IdempotencyStore::Mark> mark =
        store_.MarkInFlight(owner, key, now_ms, now_ms - options_.in_flight_lease_ms,
                            now_ms - options_.retention_ms, &raced);
    if (!mark.ok()) return mark.error();
    if (*mark == IdempotencyStore::Mark::kHeldElsewhere) {
      claim.verdict = Verdict::kInFlight;
      claim.lease = Lease();
      return claim;
    }
    stored.value() = std::move(raced);  // kStored: answered between Find and the mark
  }
  if (stored.value()) {
    claim.verdict =
        stored.value()->fingerprint == fingerprint ? Verdict::kReplay : Verdict::kMismatch;
    claim.stored = std::move(stored.value());
    claim.lease = Lease();
  }
  return claim;
}

void Idempotency::Finish(const std::string& owner, const std::string& key,
                         const std::string& fingerprint, int status, std::string_view content_type,
                         std::string_view body) {
  if (!IsStorable(status) || body.size() > options_.max_stored_body_bytes) {
    // Nothing to replay: the key is free again for a retry, on any instance.
    if (Status s = store_.ClearInFlight(owner, key); !s.ok()) {
      spdlog::warn("idempotency: could not clear the in-flight mark of a key (it expires): {}",
                   s.error().message);
    }
    return;
  }
  const int64_t now_ms = clock_.NowUnixMs();
  StoredResponse r{fingerprint, status, std::string(content_type), std::string(body), now_ms};
  if (Status s = store_.Save(owner, key, r); !s.ok()) {
    // The change itself is safe (operation keys); only the replay of this response is lost.
    spdlog::error("idempotency: could not store the response for a key: {}", s.error().message);
    (void)store_.ClearInFlight(owner, key);
    return;
  }
  bool purge = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    purge = ++saves_ % kPurgeEvery == 0;
  }
  if (purge) {
    Result<int64_t> removed = store_.Purge(now_ms - options_.retention_ms, kPurgeBatch);
    if (!removed.ok()) spdlog::warn("idempotency: purge failed: {}", removed.error().message);
  }
}

HttpResponse Idempotency::ReplayResponse(const StoredResponse& stored) {
  HttpResponse response{static_cast<bhttp::status>(stored.status), 11};
  if (!stored.content_type.empty()) response.set(bhttp::field::content_type, stored.content_type);
  response.set("Idempotent-Replayed", "true");
  response.body() = stored.body;
  return response;
}

}  // namespace billing::http
