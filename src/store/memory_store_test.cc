// SqliteMemoryStore over a real SQLite file: thread CRUD, ordering, pagination, message order,
// cascade delete, input bounds, the ChatMessage round trip, reopening, and sharing the file with
// the ledger store.
#include "store/memory_store.h"
#include "store/backend.h"
#include "testing/test_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace billing {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1795608000000;  // 2026-11-25T12:00:00.000Z

ChatMessage Msg(const std::string& role, const std::string& content) {
  ChatMessage m;
  m.role = role;
  m.content = content;
  return m;
}

class MemoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test_support::TestDbPath((std::filesystem::temp_directory_path() /
            ("memory-store-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")).string());
    Cleanup();
    Open();
  }
  void TearDown() override {
    store_.reset();
    Cleanup();
  }
  void Open() {
    auto store = OpenMemoryStore({path_.string(), 4}, clock_, random_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(path_.string() + suffix, ec);
    }
  }
  MemoryThread Create(const std::string& id, const std::string& resource, int64_t at_ms) {
    clock_.Set(at_ms);
    NewThread t;
    t.id = id;
    t.resource_id = resource;
    auto created = store_->CreateThread(t);
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.ok() ? created.value() : MemoryThread{};
  }
  std::vector<std::string> Ids(const ThreadPage& page) {
    std::vector<std::string> out;
    for (const auto& t : page.threads) out.push_back(t.id);
    return out;
  }

  std::filesystem::path path_;
  FixedClock clock_{kT0};
  SeededRandom random_{42};
  std::unique_ptr<MemoryStore> store_;
};

TEST_F(MemoryStoreTest, CreateGetUpdateDelete) {
  NewThread t;
  t.id = "t-new";
  t.resource_id = "user-9";
  t.title = "My chat";
  t.metadata = {{"k", "v"}};
  auto created = store_->CreateThread(t);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->id, "t-new");
  EXPECT_EQ(created->created_at_ms, kT0);
  EXPECT_EQ(created->updated_at_ms, kT0);

  auto got = store_->GetThread("t-new");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->resource_id, "user-9");
  EXPECT_EQ((*got)->title, "My chat");
  EXPECT_EQ((*got)->metadata, json({{"k", "v"}}));

  clock_.Set(kT0 + 1000);
  ThreadUpdate update;
  update.title = "Renamed";
  auto updated = store_->UpdateThread("t-new", update);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->title, "Renamed");
  EXPECT_EQ(updated->metadata, json({{"k", "v"}}));  // untouched
  EXPECT_EQ(updated->created_at_ms, kT0);
  EXPECT_EQ(updated->updated_at_ms, kT0 + 1000);

  auto dup = store_->CreateThread(t);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);

  ASSERT_TRUE(store_->DeleteThread("t-new").ok());
  got = store_->GetThread("t-new");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  Status again = store_->DeleteThread("t-new");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  auto missing = store_->UpdateThread("nope", update);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(MemoryStoreTest, GeneratedIdAndNullMetadata) {
  NewThread t;
  t.resource_id = "u";
  auto created = store_->CreateThread(t);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->id.size(), 36u);  // a UUID
  EXPECT_TRUE(created->metadata.is_null());
  auto got = store_->GetThread(created->id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_TRUE((*got)->metadata.is_null());
  EXPECT_EQ((*got)->title, "");
}

TEST_F(MemoryStoreTest, ListOrderingAndPagination) {
  Create("a", "u1", kT0 + 1);
  Create("b", "u1", kT0 + 2);
  Create("c", "u1", kT0 + 3);
  Create("x", "u2", kT0 + 4);
  // Touch "a" so that it is the most recently updated.
  clock_.Set(kT0 + 10);
  ASSERT_TRUE(store_->AppendMessages("a", "u1", {Msg("user", "hi")}).ok());

  ThreadListQuery q;
  q.resource_id = "u1";
  auto page = store_->ListThreads(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 3);
  EXPECT_EQ(Ids(*page), (std::vector<std::string>{"c", "b", "a"}));  // createdAt desc

  q.descending = false;
  EXPECT_EQ(Ids(*store_->ListThreads(q)), (std::vector<std::string>{"a", "b", "c"}));
  q.order_by = ThreadOrderField::kUpdatedAt;
  q.descending = true;
  EXPECT_EQ(Ids(*store_->ListThreads(q)), (std::vector<std::string>{"a", "c", "b"}));

  q = ThreadListQuery{};
  q.resource_id = "u1";
  q.per_page = 2;
  page = store_->ListThreads(q);
  EXPECT_EQ(Ids(*page), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(page->total, 3);
  q.page = 1;
  EXPECT_EQ(Ids(*store_->ListThreads(q)), (std::vector<std::string>{"a"}));
  q.page = 2;
  EXPECT_TRUE(store_->ListThreads(q)->threads.empty());

  ThreadListQuery all;  // every resource
  page = store_->ListThreads(all);
  EXPECT_EQ(page->total, 4);
  EXPECT_EQ(Ids(*page).front(), "x");
}

TEST_F(MemoryStoreTest, Bounds) {
  NewThread t;
  t.resource_id = "";
  auto r = store_->CreateThread(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "resourceId");

  t.resource_id = "u";
  t.title = std::string(501, 'x');
  r = store_->CreateThread(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "title");
  t.title = std::string(500, 'x');
  EXPECT_TRUE(store_->CreateThread(t).ok());

  t.title = "";
  t.metadata = {{"big", std::string(17 * 1024, 'x')}};
  r = store_->CreateThread(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "metadata");
  t.metadata = json::array();
  r = store_->CreateThread(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "metadata");

  t.metadata = nullptr;
  t.id = std::string(300, 'i');
  r = store_->CreateThread(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "threadId");

  ThreadListQuery q;
  q.per_page = 101;
  EXPECT_FALSE(store_->ListThreads(q).ok());
  q.per_page = 0;
  EXPECT_FALSE(store_->ListThreads(q).ok());
  q.per_page = 10;
  q.page = -1;
  EXPECT_FALSE(store_->ListThreads(q).ok());

  MessageQuery mq;
  mq.per_page = 101;
  EXPECT_FALSE(store_->LoadMessages("t", mq).ok());

  std::vector<ChatMessage> too_many(kMaxAppendMessages + 1, Msg("user", "x"));
  auto appended = store_->AppendMessages("t", "u", too_many);
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(store_->GetThread("t")->has_value());  // nothing written

  // Unknown / absurd ids read as "no such thread".
  EXPECT_FALSE(store_->GetThread("")->has_value());
  EXPECT_FALSE(store_->GetThread(std::string(1000, 'z'))->has_value());
}

TEST_F(MemoryStoreTest, AppendAndLoadInOrder) {
  ChatMessage call = Msg("assistant", "");
  call.tool_calls.push_back(ToolCall{"call_1", "getCustomerTool", {{"customerId", "CUST-001"}}, ""});
  call.tool_calls.push_back(ToolCall{"call_2", "otherTool", nullptr, "{not json"});
  ChatMessage result = Msg("tool", "");
  result.tool_call_id = "call_1";
  result.tool_name = "getCustomerTool";
  result.tool_result = {{"id", "CUST-001"}, {"balance", 12.5}};
  auto first = store_->AppendMessages("t1", "u1", {Msg("user", "who is CUST-001?"), call, result});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].seq, 1);
  EXPECT_EQ((*first)[2].seq, 3);

  auto thread = store_->GetThread("t1");
  ASSERT_TRUE(thread.ok() && thread->has_value());  // created implicitly
  EXPECT_EQ((*thread)->resource_id, "u1");
  EXPECT_EQ((*thread)->title, "");

  clock_.Set(kT0 + 5000);
  ASSERT_TRUE(store_->AppendMessages("t1", "u1", {Msg("assistant", "Acme Corp.")}).ok());
  EXPECT_EQ((*store_->GetThread("t1"))->updated_at_ms, kT0 + 5000);

  auto page = store_->LoadMessages("t1", MessageQuery{});
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->total, 4);
  ASSERT_EQ(page->messages.size(), 4u);
  EXPECT_EQ(page->messages[0].message.content, "who is CUST-001?");
  const ChatMessage& loaded_call = page->messages[1].message;
  ASSERT_EQ(loaded_call.tool_calls.size(), 2u);
  EXPECT_EQ(loaded_call.tool_calls[0].id, "call_1");
  EXPECT_EQ(loaded_call.tool_calls[0].name, "getCustomerTool");
  EXPECT_EQ(loaded_call.tool_calls[0].args, json({{"customerId", "CUST-001"}}));
  EXPECT_EQ(loaded_call.tool_calls[1].raw_args, "{not json");
  const ChatMessage& loaded_result = page->messages[2].message;
  EXPECT_EQ(loaded_result.role, "tool");
  EXPECT_EQ(loaded_result.tool_call_id, "call_1");
  EXPECT_EQ(loaded_result.tool_name, "getCustomerTool");
  EXPECT_EQ(loaded_result.tool_result, result.tool_result);
  EXPECT_EQ(page->messages[3].message.content, "Acme Corp.");
  EXPECT_EQ(page->messages[3].seq, 4);
  EXPECT_EQ(page->messages[3].created_at_ms, kT0 + 5000);

  MessageQuery last2;
  last2.last_n = 2;
  page = store_->LoadMessages("t1", last2);
  ASSERT_EQ(page->messages.size(), 2u);
  EXPECT_EQ(page->messages[0].seq, 3);  // oldest first
  EXPECT_EQ(page->messages[1].seq, 4);

  MessageQuery paged;
  paged.per_page = 3;
  paged.page = 1;
  page = store_->LoadMessages("t1", paged);
  ASSERT_EQ(page->messages.size(), 1u);
  EXPECT_EQ(page->messages[0].seq, 4);
  EXPECT_EQ(page->total, 4);

  EXPECT_TRUE(store_->LoadMessages("unknown", MessageQuery{})->messages.empty());
}

TEST_F(MemoryStoreTest, OtherResourceIsRefused) {
  ASSERT_TRUE(store_->AppendMessages("t1", "alice", {Msg("user", "hi")}).ok());
  auto r = store_->AppendMessages("t1", "mallory", {Msg("user", "me too")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().message, "Thread t1 belongs to another resource");
  EXPECT_EQ(store_->LoadMessages("t1", MessageQuery{})->total, 1);
}

TEST_F(MemoryStoreTest, DeleteCascadesToMessages) {
  ASSERT_TRUE(store_->AppendMessages("t1", "u", {Msg("user", "a"), Msg("assistant", "b")}).ok());
  ASSERT_TRUE(store_->AppendMessages("t2", "u", {Msg("user", "c")}).ok());
  ASSERT_TRUE(store_->DeleteThread("t1").ok());
  EXPECT_EQ(store_->LoadMessages("t1", MessageQuery{})->total, 0);
  EXPECT_EQ(store_->LoadMessages("t2", MessageQuery{})->total, 1);
  // A new thread with the old id starts empty, at seq 1.
  auto again = store_->AppendMessages("t1", "u", {Msg("user", "fresh")});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].seq, 1);
}

TEST_F(MemoryStoreTest, UpdateResourceMovesMessages) {
  ASSERT_TRUE(store_->AppendMessages("t1", "u1", {Msg("user", "a")}).ok());
  ThreadUpdate update;
  update.resource_id = "u2";
  update.metadata = json{{"x", 1}};
  auto updated = store_->UpdateThread("t1", update);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->resource_id, "u2");
  EXPECT_EQ(store_->LoadMessages("t1", MessageQuery{})->messages[0].resource_id, "u2");
  EXPECT_TRUE(store_->AppendMessages("t1", "u2", {Msg("user", "b")}).ok());
  ThreadUpdate bad;
  bad.title = std::string(600, 'x');
  EXPECT_EQ(store_->UpdateThread("t1", bad).error().field, "title");
}

TEST_F(MemoryStoreTest, SurvivesReopenAndSharesTheLedgerFile) {
  ASSERT_TRUE(store_->AppendMessages("t1", "u", {Msg("user", "remember me")}).ok());
  store_.reset();
  // The ledger store opens the same file (migrations already applied: no error).
  auto ledger = OpenStore({path_.string(), 2});
  ASSERT_TRUE(ledger.ok()) << ledger.error().message;
  Open();
  auto page = store_->LoadMessages("t1", MessageQuery{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->messages.size(), 1u);
  EXPECT_EQ(page->messages[0].message.content, "remember me");
  // Both work side by side.
  EXPECT_TRUE(ledger.value()->Read([](StoreTx& tx) -> Status {
    auto n = tx.CountCustomers();
    if (!n.ok()) return n.error();
    return OkStatus();
  }).ok());
  EXPECT_TRUE(store_->AppendMessages("t1", "u", {Msg("assistant", "ok")}).ok());
}

TEST_F(MemoryStoreTest, ConcurrentAppendsKeepSeqDense) {
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(store_->AppendMessages("t", "u", {Msg("user", std::to_string(w * 100 + i))}).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  MessageQuery q;
  q.last_n = 100;
  auto page = store_->LoadMessages("t", q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->messages.size(), 40u);
  for (size_t i = 0; i < page->messages.size(); ++i) EXPECT_EQ(page->messages[i].seq, int64_t(i + 1));
}

TEST(ChatMessageJsonTest, RoundTripAndCorruptRows) {
  ChatMessage m;
  m.role = "assistant";
  m.content = "text";
  m.tool_calls.push_back(ToolCall{"c1", "t", {{"a", 1}}, ""});
  auto back = ChatMessageFromJson(ChatMessageToJson(m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->content, "text");
  EXPECT_EQ(back->tool_calls[0].args, json({{"a", 1}}));
  EXPECT_FALSE(ChatMessageFromJson(json::array()).ok());
  EXPECT_FALSE(ChatMessageFromJson(json{{"content", "no role"}}).ok());
  EXPECT_FALSE(ChatMessageFromJson(json{{"role", "user"}, {"toolCalls", 3}}).ok());
  EXPECT_FALSE(ChatMessageFromJson(json{{"role", 1}}).ok());
  EXPECT_EQ(IsoFromUnixMs(kT0), "2026-11-25T12:00:00.000Z");
}

}  // namespace
}  // namespace billing
