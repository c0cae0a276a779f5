#include "security/data_cipher.h"

#include <gtest/gtest.h>

namespace billing::security {
namespace {

const std::string kOld = "old:" + std::string(64, 'a');
const std::string kNew = "new:" + std::string(64, 'b');

TEST(DataCipherTest, SealOpenRoundTripWithAssociatedData) {
  auto cipher = DataCipher::FromKeyList(kNew);
  ASSERT_TRUE(cipher.ok()) << cipher.error().message;
  auto sealed = cipher->Seal(R"({"number":"4242424242424242"})", "PM-001");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->rfind("v1:new:", 0), 0u);
  EXPECT_EQ(sealed->find("4242"), std::string::npos);
  EXPECT_EQ(DataCipher::KeyIdOf(*sealed), "new");
  auto opened = cipher->Open(*sealed, "PM-001");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, R"({"number":"4242424242424242"})");
  // Two seals of the same text differ (random nonces).
  EXPECT_NE(*cipher->Seal("x", "PM-001"), *cipher->Seal("x", "PM-001"));
}

TEST(DataCipherTest, MovedTamperedOrForeignValuesDoNotOpen) {
  auto cipher = DataCipher::FromKeyList(kNew);
  ASSERT_TRUE(cipher.ok());
  const std::string sealed = *cipher->Seal("secret", "PM-001");
  auto moved = cipher->Open(sealed, "PM-002");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, ErrorCode::kFailedPrecondition);
  std::string tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(cipher->Open(tampered, "PM-001").ok());
  auto other = DataCipher::FromKeyList(kOld);
  auto unknown = other->Open(sealed, "PM-001");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(cipher->Open("plain text", "PM-001").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(cipher->Open("v1:new:!!!", "PM-001").error().code, ErrorCode::kInvalidArgument);
}

TEST(DataCipherTest, RotationOpensOldValuesAndSealsWithTheFirstKey) {
  auto old_ring = DataCipher::FromKeyList(kOld);
  const std::string sealed_old = *old_ring->Seal("card", "PM-001");
  auto both = DataCipher::FromKeyList(kNew + "," + kOld);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->current_key_id(), "new");
  EXPECT_EQ(*both->Open(sealed_old, "PM-001"), "card");
  EXPECT_EQ(DataCipher::KeyIdOf(*both->Seal("card", "PM-001")), "new");
  // A key file: one entry per line, comments allowed.
  auto file = DataCipher::FromKeyList("# keys\n" + kNew + "\n" + kOld + "\n");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->keys().size(), 2u);
}

TEST(DataCipherTest, BadKeyListsAreRefusedWithoutEchoingKeys) {
  for (const std::string& bad :
       {std::string(""), std::string("nokey"), "id:" + std::string(63, 'a'),
        "id:" + std::string(64, 'z'), "bad id:" + std::string(64, 'a'), kNew + "," + kNew}) {
    auto r = DataCipher::FromKeyList(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "BILLING_DATA_KEYS");
    EXPECT_EQ(r.error().message.find("aaaa"), std::string::npos);
  }
  auto generated = DataCipher::FromKeyList(DataCipher::GenerateKeyEntry("k1"));
  ASSERT_TRUE(generated.ok());
  EXPECT_EQ(generated->current_key_id(), "k1");
}

}  // namespace
}  // namespace billing::security

namespace billing::security {
namespace {

TEST(DataCipherTest, CommentsMayContainCommas) {
  auto r = DataCipher::FromKeyList("# first seals, all open\n" + kNew + "  # current, 2026\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->keys().size(), 1u);
}

}  // namespace
}  // namespace billing::security
