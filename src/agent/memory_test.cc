// ConversationMemory and ParseMemoryRef: every body shape Mastra clients send, the History/Save
// round trip (tool calls and results included), other-resource threads, and history cleanup.
#include "agent/memory.h"
#include "store/backend.h"
#include "testing/test_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace billing {
namespace {

using nlohmann::json;

ChatMessage Msg(const std::string& role, const std::string& content) {
  ChatMessage m;
  m.role = role;
  m.content = content;
  return m;
}

ChatMessage Call(const std::string& id, const std::string& name) {
  ChatMessage m = Msg("assistant", "");
  m.tool_calls.push_back(ToolCall{id, name, {{"customerId", "CUST-001"}}, ""});
  return m;
}

ChatMessage Result_(const std::string& id, const std::string& name) {
  ChatMessage m = Msg("tool", "");
  m.tool_call_id = id;
  m.tool_name = name;
  m.tool_result = {{"ok", true}};
  return m;
}

std::optional<MemoryRef> Ref(const json& body) {
  auto r = ParseMemoryRef(body);
  EXPECT_TRUE(r.ok()) << body.dump() << ": " << r.error().message;
  return r.ok() ? r.value() : std::nullopt;
}

Error RefError(const json& body) {
  auto r = ParseMemoryRef(body);
  EXPECT_FALSE(r.ok()) << body.dump();
  return r.ok() ? Error() : r.error();
}

TEST(ParseMemoryRefTest, BodyShapes) {
  auto ref = Ref(json::parse(R"({"messages":"hi","memory":{"thread":"ct-2","resource":"cu-1"}})"));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->thread_id, "ct-2");
  EXPECT_EQ(ref->resource_id, "cu-1");
  EXPECT_FALSE(ref->read_only);

  ref = Ref(json::parse(
      R"({"memory":{"thread":{"id":"t1","title":"x","metadata":{}},"resource":"u1","readOnly":true}})"));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->thread_id, "t1");
  EXPECT_TRUE(ref->read_only);

  ref = Ref(json::parse(R"({"threadId":"ct-1","resourceId":"cu-1"})"));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->thread_id, "ct-1");
  EXPECT_EQ(ref->resource_id, "cu-1");

  ref = Ref(json::parse(R"({"threadId":"ct-1","resourceid":"cu-lower"})"));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->resource_id, "cu-lower");

  // memory wins over the deprecated fields.
  ref = Ref(json::parse(R"({"memory":{"thread":"a","resource":"b"},"threadId":"c","resourceId":"d"})"));
  EXPECT_EQ(ref->thread_id, "a");

  // No memory asked for.
  EXPECT_FALSE(Ref(json::parse(R"({"messages":"hi"})")));
  EXPECT_FALSE(Ref(json::parse(R"({"memory":null})")));
  EXPECT_FALSE(Ref(json::parse(R"({"resourceId":"u-only"})")));
  EXPECT_FALSE(Ref(json::array()));
}

TEST(ParseMemoryRefTest, Errors) {
  Error e = RefError(json::parse(R"({"messages":"hi","memory":{"thread":"tx"}})"));
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message,
            "A resource ID is required when using memory. Provide memory.resource in the request "
            "body.");
  EXPECT_EQ(e.field, "memory.resource");
  EXPECT_EQ(RefError(json::parse(R"({"threadId":"t"})")).field, "resourceId");
  EXPECT_EQ(RefError(json::parse(R"({"memory":{"resource":"u"}})")).field, "memory.thread");
  EXPECT_EQ(RefError(json::parse(R"({"memory":"t1"})")).field, "memory");
  EXPECT_EQ(RefError(json::parse(R"({"memory":{"thread":5,"resource":"u"}})")).field,
            "memory.thread");
  EXPECT_EQ(RefError(json::parse(R"({"memory":{"thread":{"id":[]},"resource":"u"}})")).field,
            "memory.thread.id");
  EXPECT_EQ(RefError(json::parse(R"({"memory":{"thread":"t","resource":{}}})")).field,
            "memory.resource");
  EXPECT_EQ(RefError(json::parse(R"({"memory":{"thread":"t","resource":"u","readOnly":"yes"}})")).field,
            "memory.readOnly");
  json long_id = {{"memory", {{"thread", std::string(300, 'x')}, {"resource", "u"}}}};
  EXPECT_EQ(RefError(long_id).field, "memory.thread");
}

TEST(SanitizeHistoryTest, DropsOrphansAndUnansweredCalls) {
  // Window starts with a tool result whose call was cut off.
  std::vector<ChatMessage> in = {Result_("c0", "t"), Msg("user", "q"), Call("c1", "t"),
                                 Result_("c1", "t"), Msg("assistant", "a")};
  auto out = SanitizeHistory(in);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].role, "user");
  EXPECT_EQ(out[1].tool_calls.size(), 1u);
  EXPECT_EQ(out[2].role, "tool");

  // A client-tool call nobody answered: the call is removed (the message too: no text).
  out = SanitizeHistory({Msg("user", "q"), Call("c9", "confetti"), Msg("user", "next")});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].content, "next");

  // Text kept when the call goes; a duplicate result is dropped.
  ChatMessage with_text = Call("c2", "t");
  with_text.content = "let me check";
  with_text.tool_calls.push_back(ToolCall{"c3", "t", json::object(), ""});
  out = SanitizeHistory({with_text, Result_("c3", "t"), Result_("c3", "t")});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].tool_calls.size(), 1u);
  EXPECT_EQ(out[0].tool_calls[0].id, "c3");
  EXPECT_EQ(out[0].content, "let me check");
}

class ConversationMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test_support::TestDbPath((std::filesystem::temp_directory_path() /
            ("conversation-memory-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")).string());
    Cleanup();
    auto store = OpenMemoryStore({path_.string(), 2}, clock_, random_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
  }
  void TearDown() override {
    store_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(path_.string() + suffix, ec);
    }
  }
  std::filesystem::path path_;
  FixedClock clock_{1795608000000};
  SeededRandom random_{7};
  std::unique_ptr<MemoryStore> store_;
};

TEST_F(ConversationMemoryTest, HistorySaveRoundTrip) {
  ConversationMemory memory(*store_);
  auto empty = memory.History("t1", "u1");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  ChatMessage final_text = Msg("assistant", "CUST-001 is Acme.");
  ASSERT_TRUE(memory
                  .Save("t1", "u1", {Msg("system", "not stored"), Msg("user", "who is CUST-001?")},
                        {Call("c1", "getCustomerTool"), Result_("c1", "getCustomerTool"), final_text})
                  .ok());
  auto history = memory.History("t1", "u1");
  ASSERT_TRUE(history.ok()) << history.error().message;
  ASSERT_EQ(history->size(), 4u);
  EXPECT_EQ((*history)[0].role, "user");
  EXPECT_EQ((*history)[0].content, "who is CUST-001?");
  ASSERT_EQ((*history)[1].tool_calls.size(), 1u);
  EXPECT_EQ((*history)[1].tool_calls[0].id, "c1");
  EXPECT_EQ((*history)[1].tool_calls[0].args, json({{"customerId", "CUST-001"}}));
  EXPECT_EQ((*history)[2].tool_call_id, "c1");
  EXPECT_EQ((*history)[2].tool_result, json({{"ok", true}}));
  EXPECT_EQ((*history)[3].content, "CUST-001 is Acme.");

  ASSERT_TRUE(memory.Save("t1", "u1", {Msg("user", "and CUST-002?")}, {Msg("assistant", "Beta")}).ok());
  history = memory.History("t1", "u1");
  ASSERT_EQ(history->size(), 6u);
  EXPECT_EQ(history->back().content, "Beta");

  // Nothing to save: no thread created.
  ASSERT_TRUE(memory.Save("t2", "u1", {}, {}).ok());
  EXPECT_FALSE(store_->GetThread("t2")->has_value());
}

TEST_F(ConversationMemoryTest, HistoryIsBoundedAndStartsClean) {
  ConversationMemoryOptions options;
  options.history_messages = 3;
  ConversationMemory memory(*store_, options);
  ASSERT_TRUE(memory
                  .Save("t", "u", {Msg("user", "q1")},
                        {Call("c1", "t"), Result_("c1", "t"), Msg("assistant", "a1")})
                  .ok());
  ASSERT_TRUE(memory.Save("t", "u", {Msg("user", "q2")}, {}).ok());
  auto history = memory.History("t", "u");
  ASSERT_TRUE(history.ok());
  // Stored: q1, call, result, a1, q2. Window = [result, a1, q2]: the orphan result is dropped.
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].content, "a1");
  EXPECT_EQ((*history)[1].content, "q2");
}

TEST_F(ConversationMemoryTest, OtherResourceIsAnError) {
  ConversationMemory memory(*store_);
  ASSERT_TRUE(memory.Save("t1", "alice", {Msg("user", "secret")}, {Msg("assistant", "ok")}).ok());
  auto history = memory.History("t1", "mallory");
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(history.error().message, "Thread t1 belongs to another resource");
  Status s = memory.Save("t1", "mallory", {Msg("user", "x")}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(memory.History("t1", "alice")->size(), 2u);
}

}  // namespace
}  // namespace billing
