// Unit tests of authentication and authorisation: key generation and hashing, the key store,
// JWT verification (valid, expired, not yet valid, bad signature, alg none), the scope table,
// the start-up decision, and scope enforcement in BillingTool::Execute.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "auth/authenticator.h"
#include "auth/jwt.h"
#include "auth/key_store.h"
#include "auth/scopes.h"
#include "tools/tool.h"
#include "store/backend.h"
#include "testing/test_backend.h"

namespace billing {
namespace {

using nlohmann::json;

const std::string kSecret = "0123456789abcdef0123456789abcdef-secret";
constexpr int64_t kNow = 1'800'000'000;

std::string Token(const json& payload, const std::string& secret = kSecret) {
  return SignJwtHs256(payload.dump(), secret);
}

TEST(auth_keys, GeneratedKeysHaveTheFormatAndDiffer) {
  auto a = GenerateApiKey();
  auto b = GenerateApiKey();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 3u + 64u);
  EXPECT_EQ(a->substr(0, 3), "bk_");
  EXPECT_NE(*a, *b);
  EXPECT_EQ(ApiKeyPrefix(*a), a->substr(0, 11));
  EXPECT_EQ(ApiKeyPrefix("bk_short"), "");
  EXPECT_EQ(ApiKeyPrefix("xx_" + a->substr(3)), "");
}

TEST(auth_keys, HashIsSha256Hex) {
  EXPECT_EQ(HashApiKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_NE(HashApiKey("bk_a"), HashApiKey("bk_b"));
}

class auth_store : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test_support::TestDbPath((std::filesystem::temp_directory_path() /
            ("auth-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")).string());
    Cleanup();
    auto store = OpenApiKeyStore({path_.string(), 2});
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
  }
  void TearDown() override {
    store_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + s);
  }
  std::filesystem::path path_;
  std::unique_ptr<ApiKeyStore> store_;
};

TEST_F(auth_store, StoresOnlyTheHashAndVerifies) {
  auto created = CreateApiKey(*store_, "ci", ScopeBit(Scope::kRead), "2026-11-25T00:00:00.000Z");
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].prefix, ApiKeyPrefix(created->key));
  EXPECT_EQ((*list)[0].key_hash, HashApiKey(created->key));
  EXPECT_EQ((*list)[0].key_hash.find(created->key.substr(3)), std::string::npos);

  Authenticator auth({true, ""}, store_.get());
  auto p = auth.Authenticate("Bearer " + created->key);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->id, "key:" + ApiKeyPrefix(created->key));
  EXPECT_EQ(p->scopes, ScopeBit(Scope::kRead));
  EXPECT_TRUE(p->authenticated);

  // Same prefix, different secret: rejected.
  std::string wrong = created->key;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(auth.Authenticate("Bearer " + wrong).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(auth.Authenticate("").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(auth.Authenticate("Basic abc").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(auth.Authenticate("Bearer bk_nope").error().code, ErrorCode::kUnauthenticated);

  ASSERT_TRUE(store_->Revoke((*list)[0].prefix, "2026-11-26T00:00:00.000Z").ok());
  auto revoked = auth.Authenticate("Bearer " + created->key);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(store_->Revoke("bk_00000000", "x").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*store_->Count(false), 1);
  EXPECT_EQ(*store_->Count(true), 0);
}

TEST_F(auth_store, ACustomerBoundKeyAuthenticatesAsBound) {
  auto created = CreateApiKey(*store_, "portal", ScopeBit(Scope::kRead),
                              "2026-11-25T00:00:00.000Z", "CUST-001");
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ((*store_->List())[0].customer_id, "CUST-001");
  Authenticator auth({true, ""}, store_.get());
  auto p = auth.Authenticate("Bearer " + created->key);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->customer_id, "CUST-001");
  auto open = CreateApiKey(*store_, "ops", ScopeBit(Scope::kRead), "2026-11-25T00:00:00.000Z");
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(auth.Authenticate("Bearer " + open->key)->customer_id, "");
}

TEST_F(auth_store, AuthenticationOffIsAnonymousWithAllScopes) {
  Authenticator auth({false, ""}, store_.get());
  auto p = auth.Authenticate("");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->authenticated);
  EXPECT_EQ(p->scopes, kAllScopes);
}

TEST(auth_jwt, ValidTokenGivesSubjectAndScopes) {
  auto c = VerifyJwtHs256(Token({{"sub", "alice"}, {"scope", "read payment other"}, {"exp", kNow + 60}}),
                          kSecret, kNow);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sub, "alice");
  EXPECT_EQ(c->scopes, ScopeBit(Scope::kRead) | ScopeBit(Scope::kPayment));

  Authenticator auth({true, kSecret}, nullptr);
  const json payload = {{"sub", "bob"}, {"scope", "refund"}, {"exp", 4'000'000'000}};
  auto p = auth.Authenticate("Bearer " + Token(payload));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->id, "jwt:bob");
  EXPECT_EQ(p->scopes, ScopeBit(Scope::kRefund));
}

TEST(auth_jwt, CustomerIdClaimBindsTheCaller) {
  auto bound = VerifyJwtHs256(
      Token({{"sub", "portal"}, {"customer_id", "CUST-001"}, {"exp", kNow + 60}}), kSecret, kNow);
  ASSERT_TRUE(bound.ok()) << bound.error().message;
  EXPECT_EQ(bound->customer_id, "CUST-001");
  auto unbound = VerifyJwtHs256(Token({{"sub", "ops"}, {"exp", kNow + 60}}), kSecret, kNow);
  ASSERT_TRUE(unbound.ok());
  EXPECT_EQ(unbound->customer_id, "");
  // A claim that is not an id is refused, not ignored: ignoring it would unbind the caller.
  for (const nlohmann::json& bad : {nlohmann::json(7), nlohmann::json(""),
                                    nlohmann::json(std::string(65, 'C')), nlohmann::json::array()}) {
    auto r = VerifyJwtHs256(Token({{"sub", "p"}, {"customer_id", bad}, {"exp", kNow + 60}}),
                            kSecret, kNow);
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  }
}

TEST(auth_jwt, ExpiredAndNotYetValidAreRejected) {
  auto expired = VerifyJwtHs256(Token({{"sub", "a"}, {"exp", kNow - 3600}}), kSecret, kNow);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
  auto early = VerifyJwtHs256(Token({{"sub", "a"}, {"exp", kNow + 7200}, {"nbf", kNow + 3600}}), kSecret, kNow);
  EXPECT_FALSE(early.ok());
  auto no_exp = VerifyJwtHs256(Token({{"sub", "a"}}), kSecret, kNow);
  EXPECT_FALSE(no_exp.ok());
  auto no_sub = VerifyJwtHs256(Token({{"exp", kNow + 60}}), kSecret, kNow);
  EXPECT_FALSE(no_sub.ok());
}

TEST(auth_jwt, BadSignatureIsRejected) {
  const json payload = {{"sub", "a"}, {"scope", "admin"}, {"exp", kNow + 60}};
  auto other = VerifyJwtHs256(Token(payload, std::string(40, 'x')), kSecret, kNow);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("signature"), std::string::npos);
  // A payload swapped under a valid signature.
  std::string token = Token(payload);
  const std::string forged_payload = Base64UrlEncode(json({{"sub", "b"}, {"scope", "admin"}, {"exp", kNow + 60}}).dump());
  const size_t d1 = token.find('.');
  const size_t d2 = token.find('.', d1 + 1);
  token = token.substr(0, d1 + 1) + forged_payload + token.substr(d2);
  EXPECT_FALSE(VerifyJwtHs256(token, kSecret, kNow).ok());
  EXPECT_FALSE(VerifyJwtHs256("a.b", kSecret, kNow).ok());
  EXPECT_FALSE(VerifyJwtHs256("not a token", kSecret, kNow).ok());
  EXPECT_FALSE(VerifyJwtHs256(std::string(kMaxJwtBytes + 1, 'a'), kSecret, kNow).ok());
}

TEST(auth_jwt, AlgNoneAndOtherAlgorithmsAreRejected) {
  const std::string payload = Base64UrlEncode(json({{"sub", "a"}, {"scope", "admin"}, {"exp", kNow + 60}}).dump());
  for (const char* header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"HS512"})", R"({"typ":"JWT"})",
                             R"({"alg":"RS256"})"}) {
    const std::string token = Base64UrlEncode(header) + "." + payload + ".";
    auto r = VerifyJwtHs256(token, kSecret, kNow);
    ASSERT_FALSE(r.ok()) << header;
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  }
}

TEST(auth_jwt, Base64UrlRoundTrip) {
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    std::string out;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(s), &out));
    EXPECT_EQ(out, s);
  }
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("ab+c", &out));
}

TEST(auth_scopes, TableMapsEveryActionToItsScope) {
  EXPECT_EQ(RequiredScope("get-customer", "").scope, Scope::kRead);
  EXPECT_EQ(RequiredScope("manage-invoices", "get").scope, Scope::kRead);
  EXPECT_EQ(RequiredScope("manage-invoices", "list").scope, Scope::kRead);
  EXPECT_EQ(RequiredScope("manage-invoices", "create").scope, Scope::kInvoice);
  EXPECT_EQ(RequiredScope("manage-invoices", "update").scope, Scope::kInvoice);
  EXPECT_EQ(RequiredScope("manage-invoices", "cancel").scope, Scope::kInvoice);
  EXPECT_EQ(RequiredScope("manage-invoices", "mark_paid").scope, Scope::kPayment);
  EXPECT_EQ(RequiredScope("process-payment", "history").scope, Scope::kRead);
  EXPECT_EQ(RequiredScope("process-payment", "list_failed").scope, Scope::kRead);
  EXPECT_EQ(RequiredScope("process-payment", "process").scope, Scope::kPayment);
  EXPECT_EQ(RequiredScope("process-payment", "refund").scope, Scope::kRefund);
  EXPECT_EQ(RequiredScope("unknown-tool", "x").scope, Scope::kAdmin);
  EXPECT_EQ(PermissionDeniedMessage(RequiredScope("process-payment", "refund")),
            "This caller lacks the 'refund' scope needed to refund payments");
}

TEST(auth_scopes, AdminImpliesAllAndListsParse) {
  EXPECT_TRUE(HasScope(ScopeBit(Scope::kAdmin), Scope::kRefund));
  EXPECT_FALSE(HasScope(ScopeBit(Scope::kRead), Scope::kRefund));
  auto s = ParseScopeList("read, invoice payment", true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(FormatScopes(*s), "read,invoice,payment");
  EXPECT_FALSE(ParseScopeList("read,root", true).ok());
  EXPECT_EQ(*ParseScopeList("read,root", false), ScopeBit(Scope::kRead));
}

TEST(auth_mode, DecisionFollowsKeysHostAndMode) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("10.1.2.3"));
  auto dev = DecideAuth("", "127.0.0.1", 0, 0, false);
  ASSERT_TRUE(dev.ok());
  EXPECT_FALSE(dev->enabled);
  EXPECT_TRUE(dev->development_mode);
  EXPECT_TRUE(DecideAuth("", "127.0.0.1", 1, 0, false)->enabled);  // a revoked key still counts
  EXPECT_TRUE(DecideAuth("", "127.0.0.1", 0, 0, true)->enabled);
  EXPECT_EQ(DecideAuth("off", "0.0.0.0", 3, 3, true).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(DecideAuth("", "0.0.0.0", 0, 0, false).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(DecideAuth("on", "0.0.0.0", 1, 0, false).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(DecideAuth("", "0.0.0.0", 1, 1, false)->enabled);
  EXPECT_EQ(DecideAuth("maybe", "127.0.0.1", 0, 0, false).error().code, ErrorCode::kInvalidArgument);
}

TEST(auth_tool, PermissionDeniedResultShape) {
  json r = PermissionDeniedResult(RequiredScope("process-payment", "refund"));
  EXPECT_EQ(r["error"], true);
  EXPECT_EQ(r["code"], "PERMISSION_DENIED");
  EXPECT_TRUE(IsPermissionDenied(r));
  EXPECT_FALSE(IsPermissionDenied(json{{"error", true}, {"code", "NOT_FOUND"}}));
}

}  // namespace
}  // namespace billing
