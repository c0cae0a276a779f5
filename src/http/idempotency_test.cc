#include "http/idempotency.h"

#include <gtest/gtest.h>

#include "testing/temp_db.h"

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenIdempotencyStore({db_.path(), 2});
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
    idempotency_ = std::make_unique<Idempotency>(*store_, clock_);
  }

  billing::test_support::TempDbFile db_{"billing-idempotency-test"};  // outlives the store below
  FixedClock clock_{1'795'608'000'000};
  std::unique_ptr<IdempotencyStore> store_;
  std::unique_ptr<Idempotency> idempotency_;
};

TEST_F(IdempotencyTest, FirstProceedsThenReplaysForTheRetentionWindow) {
  auto claim = idempotency_->Begin("key:a", "k1", "fp");
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(claim->verdict, Idempotency::Verdict::kProceed);
  idempotency_->Finish("key:a", "k1", "fp", 200, "application/json", "{\"ok\":true}");
  claim->lease = Idempotency::Lease();

  auto replay = idempotency_->Begin("key:a", "k1", "fp");
  ASSERT_TRUE(replay.ok());
  ASSERT_EQ(replay->verdict, Idempotency::Verdict::kReplay);
  HttpResponse r = Idempotency::ReplayResponse(*replay->stored);
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r["Idempotent-Replayed"], "true");
  EXPECT_EQ(r[bhttp::field::content_type], "application/json");
  EXPECT_EQ(r.body(), "{\"ok\":true}");

  auto mismatch = idempotency_->Begin("key:a", "k1", "other");
  ASSERT_TRUE(mismatch.ok());
  EXPECT_EQ(mismatch->verdict, Idempotency::Verdict::kMismatch);

  // Another caller's key of the same name is unrelated.
  auto other_owner = idempotency_->Begin("key:b", "k1", "other");
  ASSERT_TRUE(other_owner.ok());
  EXPECT_EQ(other_owner->verdict, Idempotency::Verdict::kProceed);

  // 24 hours later the key is free again.
  clock_.Set(1'795'608'000'000 + 24LL * 3600 * 1000 + 1);
  auto expired = idempotency_->Begin("key:a", "k1", "other");
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->verdict, Idempotency::Verdict::kProceed);
}

TEST_F(IdempotencyTest, ASecondClaimWhileTheFirstRunsIsInFlight) {
  auto first = idempotency_->Begin("anonymous", "k2", "fp");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->verdict, Idempotency::Verdict::kProceed);
  auto second = idempotency_->Begin("anonymous", "k2", "fp");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->verdict, Idempotency::Verdict::kInFlight);
  first->lease = Idempotency::Lease();  // the first ends without a storable response
  auto third = idempotency_->Begin("anonymous", "k2", "fp");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->verdict, Idempotency::Verdict::kProceed);
}

TEST_F(IdempotencyTest, OnlyResponsesOfRequestsThatRanAreStored) {
  for (int status : {200, 201, 404}) EXPECT_TRUE(Idempotency::IsStorable(status)) << status;
  for (int status : {400, 401, 403, 409, 422, 429, 500, 502, 503}) {
    EXPECT_FALSE(Idempotency::IsStorable(status)) << status;
  }
  idempotency_->Finish("anonymous", "k3", "fp", 502, "application/json", "{}");
  auto claim = idempotency_->Begin("anonymous", "k3", "fp");
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(claim->verdict, Idempotency::Verdict::kProceed);
}

TEST_F(IdempotencyTest, KeysAreValidated) {
  EXPECT_TRUE(idempotency_->ValidateKey("a").ok());
  EXPECT_TRUE(idempotency_->ValidateKey(std::string(255, 'x')).ok());
  EXPECT_FALSE(idempotency_->ValidateKey("").ok());
  EXPECT_FALSE(idempotency_->ValidateKey(std::string(256, 'x')).ok());
  EXPECT_FALSE(idempotency_->ValidateKey("has space").ok());
  EXPECT_FALSE(idempotency_->ValidateKey("tab\t").ok());
  Status s = idempotency_->ValidateKey("caf\xc3\xa9");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "Idempotency-Key");
}

TEST_F(IdempotencyTest, FingerprintCoversMethodTargetAndBody) {
  HttpRequest a{bhttp::verb::post, "/api/tools/x/execute", 11};
  a.body() = "{\"data\":1}";
  HttpRequest b = a;
  EXPECT_EQ(Idempotency::Fingerprint(a), Idempotency::Fingerprint(b));
  b.body() = "{\"data\":2}";
  EXPECT_NE(Idempotency::Fingerprint(a), Idempotency::Fingerprint(b));
  HttpRequest c = a;
  c.target("/api/tools/y/execute");
  EXPECT_NE(Idempotency::Fingerprint(a), Idempotency::Fingerprint(c));
  EXPECT_EQ(Idempotency::Fingerprint(a).size(), 64u);
}

}  // namespace
}  // namespace billing::http

namespace billing::http {
namespace {

TEST_F(IdempotencyTest, StoredBeforeTheFirstReturnsIsReplayedNotInFlight) {
  auto first = idempotency_->Begin("anonymous", "k4", "fp");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->verdict, Idempotency::Verdict::kProceed);
  // A stream stores its answer before the last chunk, while the first request still runs.
  idempotency_->Finish("anonymous", "k4", "fp", 200, "text/event-stream", "data: [DONE]\n\n");
  auto retry = idempotency_->Begin("anonymous", "k4", "fp");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->verdict, Idempotency::Verdict::kReplay);
  auto other = idempotency_->Begin("anonymous", "k4", "other");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->verdict, Idempotency::Verdict::kMismatch);
}

}  // namespace
}  // namespace billing::http
