// MemoryApi::Handle with constructed requests: the 0.x and 1.x response shapes (field sets of
// shared/spec/mastra-captures/*/memory.txt), routing, and input errors.
#include "http/memory_routes.h"
#include "store/backend.h"
#include "testing/test_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

constexpr int64_t kT0 = 1795593640943;  // 2026-11-25T08:00:40.943Z

std::set<std::string> Keys(const json& object) {
  std::set<std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it) out.insert(it.key());
  return out;
}

ChatMessage Msg(const std::string& role, const std::string& content) {
  ChatMessage m;
  m.role = role;
  m.content = content;
  return m;
}

class MemoryRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test_support::TestDbPath((std::filesystem::temp_directory_path() /
            ("memory-routes-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")).string());
    Cleanup();
    auto store = OpenMemoryStore({path_.string(), 2}, clock_, random_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
    api_ = std::make_unique<MemoryApi>(*store_);
  }
  void TearDown() override {
    api_.reset();
    store_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::remove(path_.string() + suffix, ec);
    }
  }

  std::optional<HttpResponse> Call(bhttp::verb method, const std::string& target,
                                   const std::string& body = "", const std::string& bound = "") {
    HttpRequest request{method, target, 11};
    if (!body.empty()) {
      request.set(bhttp::field::content_type, "application/json");
      request.body() = body;
      request.prepare_payload();
    }
    return api_->Handle(request, bound);
  }
  // Calls and expects a JSON answer with `status`.
  json Expect(bhttp::verb method, const std::string& target, bhttp::status status,
              const std::string& body = "", const std::string& bound = "") {
    auto response = Call(method, target, body, bound);
    EXPECT_TRUE(response.has_value()) << target;
    if (!response) return json();
    EXPECT_EQ(response->result(), status) << target << " → " << response->body();
    EXPECT_EQ(response->at(bhttp::field::content_type), "application/json");
    json parsed = json::parse(response->body(), nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << response->body();
    return parsed;
  }
  json Get(const std::string& target, bhttp::status status = bhttp::status::ok) {
    return Expect(bhttp::verb::get, target, status);
  }

  // thread-2 of user-1 as in the captures: a question, a tool call with its result, an answer.
  void SeedWeatherThread() {
    clock_.Set(kT0);
    ChatMessage call = Msg("assistant", "");
    call.tool_calls.push_back(ToolCall{"call_2", "weatherTool", {{"location", "Paris"}}, ""});
    ChatMessage result = Msg("tool", "");
    result.tool_call_id = "call_2";
    result.tool_name = "weatherTool";
    result.tool_result = {{"temperature", 21}, {"conditions", "sunny in Paris"}};
    ASSERT_TRUE(store_
                    ->AppendMessages("thread-2", "user-1",
                                     {Msg("user", "weather in Paris?"), call, result,
                                      Msg("assistant", "It is 21°C and sunny in Paris.")})
                    .ok());
  }

  std::filesystem::path path_;
  FixedClock clock_{kT0};
  SeededRandom random_{3};
  std::unique_ptr<MemoryStore> store_;
  std::unique_ptr<MemoryApi> api_;
};

const std::set<std::string> kThreadKeys = {"id", "resourceId", "title", "createdAt", "updatedAt",
                                           "metadata"};

TEST_F(MemoryRoutesTest, NotOurRoutes) {
  EXPECT_FALSE(Call(bhttp::verb::get, "/api/agents"));
  EXPECT_FALSE(Call(bhttp::verb::get, "/api/memoryx/status"));
  EXPECT_FALSE(Call(bhttp::verb::get, "/api/memory/unknown"));
  EXPECT_FALSE(Call(bhttp::verb::options, "/api/memory/threads"));
  EXPECT_FALSE(Call(bhttp::verb::put, "/api/memory/threads/t1"));
  EXPECT_FALSE(Call(bhttp::verb::post, "/api/memory/status"));
  EXPECT_FALSE(Call(bhttp::verb::get, "/api/memory/threads/t1/messages/x/y/z/w"));
  EXPECT_FALSE(Call(bhttp::verb::get, "/api/memory/threads//messages"));
}

TEST_F(MemoryRoutesTest, Status) {
  EXPECT_EQ(Get("/api/memory/status?agentId=billingApiAgent"),
            json::parse(R"({"result":true,"memoryType":"local"})"));
  EXPECT_EQ(Get("/api/memory/status"), json::parse(R"({"result":true,"memoryType":"local"})"));
  EXPECT_EQ(Get("/api/memory/status?agentId=nope", bhttp::status::not_found),
            json::parse(R"({"error":"Agent with name nope not found"})"));
}

TEST_F(MemoryRoutesTest, CreateGetPatchDeleteAsInTheCaptures) {
  json created = Expect(bhttp::verb::post, "/api/memory/threads?agentId=billingApiAgent",
                        bhttp::status::ok,
                        R"({"resourceId":"user-9","title":"My chat","metadata":{"k":"v"},)"
                        R"("threadId":"t-new","agentId":"billingApiAgent"})");
  EXPECT_EQ(Keys(created), kThreadKeys);
  EXPECT_EQ(created["id"], "t-new");
  EXPECT_EQ(created["resourceId"], "user-9");
  EXPECT_EQ(created["title"], "My chat");
  EXPECT_EQ(created["metadata"], json({{"k", "v"}}));
  EXPECT_EQ(created["createdAt"], "2026-11-25T08:00:40.943Z");
  EXPECT_EQ(created["updatedAt"], created["createdAt"]);

  json got = Get("/api/memory/threads/t-new?agentId=billingApiAgent");
  EXPECT_EQ(got, created);

  clock_.Set(kT0 + 13);
  json patched = Expect(bhttp::verb::patch, "/api/memory/threads/t-new", bhttp::status::ok,
                        R"({"title":"Renamed"})");
  EXPECT_EQ(Keys(patched), kThreadKeys);
  EXPECT_EQ(patched["title"], "Renamed");
  EXPECT_EQ(patched["metadata"], json({{"k", "v"}}));
  EXPECT_EQ(patched["updatedAt"], "2026-11-25T08:00:40.956Z");

  EXPECT_EQ(Expect(bhttp::verb::delete_, "/api/memory/threads/t-new", bhttp::status::ok),
            json::parse(R"({"result":"Thread deleted"})"));
  EXPECT_EQ(Get("/api/memory/threads/t-new", bhttp::status::not_found),
            json::parse(R"({"error":"Thread not found"})"));
  EXPECT_EQ(Expect(bhttp::verb::delete_, "/api/memory/threads/t-new", bhttp::status::not_found),
            json::parse(R"({"error":"Thread not found"})"));
  EXPECT_EQ(Expect(bhttp::verb::patch, "/api/memory/threads/t-new", bhttp::status::not_found, "{}"),
            json::parse(R"({"error":"Thread not found"})"));

  // Without threadId: a generated id, metadata null, title "".
  json generated = Expect(bhttp::verb::post, "/api/memory/threads", bhttp::status::ok,
                          R"({"resourceId":"cu-1"})");
  EXPECT_EQ(generated["id"].get<std::string>().size(), 36u);
  EXPECT_TRUE(generated["metadata"].is_null());
  EXPECT_EQ(generated["title"], "");
}

TEST_F(MemoryRoutesTest, ListThreadsLegacyAndV1Shapes) {
  clock_.Set(kT0);
  ASSERT_TRUE(store_->AppendMessages("thread-1", "user-1", {Msg("user", "a")}).ok());
  clock_.Set(kT0 + 100);
  ASSERT_TRUE(store_->AppendMessages("thread-2", "user-1", {Msg("user", "b")}).ok());
  ASSERT_TRUE(store_->AppendMessages("thread-3", "user-2", {Msg("user", "c")}).ok());

  // 0.x: lowercase resourceid → array, newest first.
  json legacy = Get("/api/memory/threads?resourceid=user-1&agentId=billingApiAgent");
  ASSERT_TRUE(legacy.is_array());
  ASSERT_EQ(legacy.size(), 2u);
  EXPECT_EQ(legacy[0]["id"], "thread-2");
  EXPECT_EQ(legacy[1]["id"], "thread-1");
  EXPECT_EQ(Keys(legacy[0]), kThreadKeys);
  EXPECT_TRUE(legacy[0]["metadata"].is_null());

  // 1.x: resourceId → object.
  json v1 = Get("/api/memory/threads?resourceId=user-1&agentId=billingApiAgent");
  EXPECT_EQ(Keys(v1), (std::set<std::string>{"threads", "total", "page", "perPage", "hasMore"}));
  EXPECT_EQ(v1["total"], 2);
  EXPECT_EQ(v1["page"], 0);
  EXPECT_EQ(v1["perPage"], 100);
  EXPECT_EQ(v1["hasMore"], false);
  EXPECT_EQ(v1["threads"][0]["id"], "thread-2");

  json none = Get("/api/memory/threads?resourceId=user-legacy");
  EXPECT_EQ(none, json::parse(R"({"threads":[],"total":0,"page":0,"perPage":100,"hasMore":false})"));

  json paged = Get("/api/memory/threads?resourceId=user-1&page=0&perPage=1"
                   "&orderBy%5Bfield%5D=createdAt&orderBy%5Bdirection%5D=ASC");
  EXPECT_EQ(paged["threads"].size(), 1u);
  EXPECT_EQ(paged["threads"][0]["id"], "thread-1");
  EXPECT_EQ(paged["hasMore"], true);
  EXPECT_EQ(paged["perPage"], 1);

  json all = Get("/api/memory/threads?page=0");  // 1.x: resourceId optional with paging
  EXPECT_EQ(all["total"], 3);

  json clamped = Get("/api/memory/threads?resourceId=user-1&perPage=5000");
  EXPECT_EQ(clamped["perPage"], 100);
}

TEST_F(MemoryRoutesTest, ListThreadsErrors) {
  EXPECT_EQ(Get("/api/memory/threads?agentId=billingApiAgent", bhttp::status::bad_request),
            json::parse(R"({"error":"Argument \"resourceId\" is required"})"));
  EXPECT_EQ(Get("/api/memory/threads?resourceId=u&perPage=0", bhttp::status::bad_request)["error"],
            "perPage must be an integer between 1 and 2147483647");
  EXPECT_EQ(Get("/api/memory/threads?resourceId=u&page=-1", bhttp::status::bad_request)["error"],
            "page must be an integer between 0 and 1000000");
  EXPECT_EQ(Get("/api/memory/threads?resourceId=u&page=abc", bhttp::status::bad_request)["error"],
            "page must be an integer between 0 and 1000000");
  EXPECT_EQ(
      Get("/api/memory/threads?resourceId=u&orderBy[field]=title", bhttp::status::bad_request)["error"],
      "orderBy[field] must be createdAt or updatedAt");
  EXPECT_EQ(Get("/api/memory/threads?resourceId=u&orderBy[direction]=up",
                bhttp::status::bad_request)["error"],
            "orderBy[direction] must be ASC or DESC");
  EXPECT_EQ(Get("/api/memory/threads?resourceId=" + std::string(300, 'r'),
                bhttp::status::bad_request)["error"],
            "resourceId must be at most 256 bytes");
  EXPECT_EQ(Get("/api/memory/threads?resourceId=u&agentId=other", bhttp::status::not_found)["error"],
            "Agent with name other not found");
}

TEST_F(MemoryRoutesTest, BodyErrors) {
  auto post = [&](const std::string& body) {
    return Expect(bhttp::verb::post, "/api/memory/threads", bhttp::status::bad_request, body)["error"];
  };
  EXPECT_EQ(post(R"({"title":"x"})"), "Argument \"resourceId\" is required");
  EXPECT_EQ(post(R"({"resourceId":""})"), "Argument \"resourceId\" is required");
  EXPECT_EQ(post(R"({"resourceId":7})"), "resourceId must be a string");
  EXPECT_EQ(post(R"({"resourceId":"u","title":3})"), "title must be a string");
  EXPECT_EQ(post(R"({"resourceId":"u","metadata":[1]})"), "metadata must be an object");
  EXPECT_EQ(post(R"({"resourceId":"u","threadId":{}})"), "threadId must be a string");
  EXPECT_EQ(post(R"({"resourceId":"u","title":")" + std::string(501, 'x') + R"("})"),
            "title must be at most 500 characters");
  EXPECT_EQ(post(R"({"resourceId":"u","metadata":{"a":")" + std::string(17000, 'x') + R"("}})"),
            "metadata must be at most 16384 bytes of JSON");
  EXPECT_EQ(post("[1]"), "Request body must be a JSON object");
  EXPECT_EQ(post("{").get<std::string>().rfind("Invalid JSON in request body", 0), 0u);
  EXPECT_EQ(post(""), Expect(bhttp::verb::post, "/api/memory/threads", bhttp::status::bad_request,
                             "")["error"]);

  ASSERT_TRUE(store_->AppendMessages("t1", "u", {Msg("user", "a")}).ok());
  EXPECT_EQ(Expect(bhttp::verb::patch, "/api/memory/threads/t1", bhttp::status::bad_request,
                   R"({"title":["x"]})")["error"],
            "title must be a string");
  EXPECT_EQ(Expect(bhttp::verb::post, "/api/memory/threads", bhttp::status::conflict,
                   R"({"resourceId":"u","threadId":"t1"})")["error"],
            "Thread t1 already exists");
}

TEST_F(MemoryRoutesTest, MessagesLegacyShape) {
  SeedWeatherThread();
  json body = Get("/api/memory/threads/thread-2/messages?agentId=billingApiAgent");
  EXPECT_EQ(Keys(body), (std::set<std::string>{"messages", "uiMessages", "legacyMessages"}));
  const json& messages = body["messages"];
  ASSERT_EQ(messages.size(), 4u);
  const std::set<std::string> core_keys = {"role", "id", "createdAt", "resourceId", "threadId",
                                           "type", "content"};
  for (const json& m : messages) EXPECT_EQ(Keys(m), core_keys) << m.dump();
  EXPECT_EQ(messages[0]["type"], "text");
  EXPECT_EQ(messages[0]["content"], "weather in Paris?");
  EXPECT_EQ(messages[0]["createdAt"], "2026-11-25T08:00:40.943Z");
  EXPECT_EQ(messages[0]["threadId"], "thread-2");
  EXPECT_EQ(messages[0]["resourceId"], "user-1");
  EXPECT_EQ(messages[1]["type"], "tool-call");
  EXPECT_EQ(messages[1]["content"][0],
            json::parse(R"({"type":"tool-call","toolCallId":"call_2","toolName":"weatherTool",)"
                        R"("args":{"location":"Paris"}})"));
  EXPECT_EQ(messages[2]["role"], "tool");
  EXPECT_EQ(messages[2]["type"], "tool-result");
  EXPECT_EQ(messages[2]["content"][0],
            json::parse(R"({"type":"tool-result","toolCallId":"call_2","toolName":"weatherTool",)"
                        R"("result":{"temperature":21,"conditions":"sunny in Paris"}})"));
  EXPECT_EQ(messages[3]["content"], "It is 21°C and sunny in Paris.");

  // uiMessages: user + one assistant turn (tool part, step-start, text), as in the 0.24 capture.
  const json& ui = body["uiMessages"];
  ASSERT_EQ(ui.size(), 2u);
  EXPECT_EQ(Keys(ui[0]), (std::set<std::string>{"id", "role", "metadata", "parts"}));
  EXPECT_EQ(Keys(ui[0]["metadata"]), (std::set<std::string>{"createdAt", "threadId", "resourceId"}));
  EXPECT_EQ(ui[0]["parts"], json::parse(R"([{"type":"text","text":"weather in Paris?"}])"));
  EXPECT_EQ(ui[1]["role"], "assistant");
  EXPECT_EQ(ui[1]["id"], messages[1]["id"]);
  EXPECT_EQ(ui[1]["parts"],
            json::parse(R"([{"type":"tool-weatherTool","toolCallId":"call_2","state":"output-available",)"
                        R"("input":{"location":"Paris"},"output":{"temperature":21,"conditions":"sunny in Paris"}},)"
                        R"({"type":"step-start"},{"type":"text","text":"It is 21°C and sunny in Paris."}])"));

  const json& legacy = body["legacyMessages"];
  ASSERT_EQ(legacy.size(), 2u);
  EXPECT_EQ(Keys(legacy[0]), (std::set<std::string>{"id", "role", "content", "createdAt", "parts",
                                                    "experimental_attachments"}));
  EXPECT_EQ(Keys(legacy[1]),
            (std::set<std::string>{"id", "role", "content", "createdAt", "parts", "toolInvocations"}));
  EXPECT_EQ(legacy[1]["content"], "It is 21°C and sunny in Paris.");
  EXPECT_EQ(legacy[1]["toolInvocations"][0],
            json::parse(R"({"state":"result","toolCallId":"call_2","toolName":"weatherTool",)"
                        R"("args":{"location":"Paris"},"result":{"temperature":21,"conditions":"sunny in Paris"}})"));
  EXPECT_EQ(legacy[1]["parts"][0]["type"], "tool-invocation");

  // ?limit=2 → the last two stored messages.
  json limited = Get("/api/memory/threads/thread-2/messages?limit=2");
  ASSERT_EQ(limited["messages"].size(), 2u);
  EXPECT_EQ(limited["messages"][0]["type"], "tool-result");
  EXPECT_EQ(limited["messages"][1]["content"], "It is 21°C and sunny in Paris.");
}

TEST_F(MemoryRoutesTest, MessagesV1Shape) {
  SeedWeatherThread();
  json body = Get("/api/memory/threads/thread-2/messages?agentId=billingApiAgent&perPage=10");
  EXPECT_EQ(Keys(body),
            (std::set<std::string>{"messages", "total", "page", "perPage", "hasMore", "uiMessages"}));
  EXPECT_TRUE(body["uiMessages"].is_null());
  EXPECT_EQ(body["total"], 4);
  EXPECT_EQ(body["page"], 0);
  EXPECT_EQ(body["perPage"], 10);
  EXPECT_EQ(body["hasMore"], false);
  const json& messages = body["messages"];
  ASSERT_EQ(messages.size(), 2u);
  const std::set<std::string> db_keys = {"id", "content", "role", "createdAt", "threadId",
                                         "resourceId"};
  EXPECT_EQ(Keys(messages[0]), db_keys);
  EXPECT_EQ(messages[0]["content"],
            json::parse(R"({"format":2,"parts":[{"type":"text","text":"weather in Paris?"}],)"
                        R"("content":"weather in Paris?"})"));
  EXPECT_EQ(messages[1]["role"], "assistant");
  EXPECT_EQ(messages[1]["content"]["format"], 2);
  EXPECT_EQ(messages[1]["content"]["content"], "It is 21°C and sunny in Paris.");
  EXPECT_EQ(messages[1]["content"]["parts"][0],
            json::parse(R"({"type":"tool-invocation","toolInvocation":{"state":"result",)"
                        R"("toolCallId":"call_2","toolName":"weatherTool","args":{"location":"Paris"},)"
                        R"("result":{"temperature":21,"conditions":"sunny in Paris"}}})"));

  json page = Get("/api/memory/threads/thread-2/messages?perPage=2&page=0");
  EXPECT_EQ(page["hasMore"], true);
  EXPECT_EQ(page["messages"].size(), 2u);  // user, and the assistant's call (no result yet)
  EXPECT_EQ(page["messages"][1]["content"]["parts"][0]["toolInvocation"]["state"], "call");
  json page2 = Get("/api/memory/threads/thread-2/messages?perPage=2&page=1");
  EXPECT_EQ(page2["hasMore"], false);
  // The result without its call in the page still shows as an assistant tool invocation.
  EXPECT_EQ(page2["messages"][0]["role"], "assistant");
  EXPECT_EQ(page2["messages"][0]["content"]["parts"][0]["toolInvocation"]["state"], "result");
}

TEST_F(MemoryRoutesTest, MessagesErrors) {
  EXPECT_EQ(Get("/api/memory/threads/nothread/messages", bhttp::status::not_found),
            json::parse(R"({"error":"Thread not found"})"));
  SeedWeatherThread();
  EXPECT_EQ(Get("/api/memory/threads/thread-2/messages?limit=0", bhttp::status::bad_request)["error"],
            "limit must be an integer between 1 and 2147483647");
  EXPECT_EQ(Get("/api/memory/threads/thread-2/messages?perPage=x", bhttp::status::bad_request)["error"],
            "perPage must be an integer between 1 and 2147483647");
  json big = Get("/api/memory/threads/thread-2/messages?limit=99999999999999999999");
  EXPECT_EQ(big["messages"].size(), 4u);
  // Percent-encoded thread ids.
  ASSERT_TRUE(store_->AppendMessages("a b/c", "u", {Msg("user", "x")}).ok());
  EXPECT_EQ(Get("/api/memory/threads/a%20b%2Fc")["id"], "a b/c");
}

}  // namespace
}  // namespace billing::http

namespace billing::http {
namespace {

// A customer-bound caller works in its own resource namespace: it sees its threads under the
// resource ids it gave, never another caller's (404 as if absent), and cannot list everything.
TEST_F(MemoryRoutesTest, ACustomerBoundCallerSeesOnlyItsOwnThreads) {
  SeedWeatherThread();  // thread-2 of user-1, an unbound caller's
  const std::string mine = "cust-001";  // canonicalised to CUST-001
  json created = Expect(bhttp::verb::post, "/api/memory/threads", bhttp::status::ok,
                        R"({"resourceId":"user-1","threadId":"t-mine","title":"Portal"})", mine);
  EXPECT_EQ(created["resourceId"], "user-1");  // shown as given
  // Stored under the customer's prefix: an unbound caller sees where it lives.
  EXPECT_EQ(Get("/api/memory/threads/t-mine")["resourceId"], "customer/CUST-001/user-1");
  EXPECT_EQ(BoundMemoryResource(mine, "user-1"), "customer/CUST-001/user-1");
  EXPECT_EQ(BoundMemoryResource("", "user-1"), "user-1");

  // The same resource id lists only the caller's own thread; the unbound one lists its own.
  json list = Expect(bhttp::verb::get, "/api/memory/threads?resourceId=user-1&page=0&perPage=10",
                     bhttp::status::ok, "", mine);
  ASSERT_EQ(list["threads"].size(), 1u) << list.dump();
  EXPECT_EQ(list["threads"][0]["id"], "t-mine");
  EXPECT_EQ(list["threads"][0]["resourceId"], "user-1");
  json legacy = Expect(bhttp::verb::get, "/api/memory/threads?resourceid=user-1",
                       bhttp::status::ok, "", mine);
  ASSERT_EQ(legacy.size(), 1u) << legacy.dump();
  json theirs = Get("/api/memory/threads?resourceId=user-1&page=0&perPage=10");
  ASSERT_EQ(theirs["threads"].size(), 1u) << theirs.dump();
  EXPECT_EQ(theirs["threads"][0]["id"], "thread-2");
  // Listing every resource is for unbound callers only.
  EXPECT_EQ(Get("/api/memory/threads?page=0&perPage=10")["total"], 2);
  EXPECT_EQ(Expect(bhttp::verb::get, "/api/memory/threads?page=0&perPage=10",
                   bhttp::status::bad_request, "", mine),
            json::parse(R"({"error":"Argument \"resourceId\" is required"})"));

  // Another caller's thread answers exactly as an absent one, on every route, and is unchanged.
  const json absent = json::parse(R"({"error":"Thread not found"})");
  for (const std::string& id : {std::string("thread-2"), std::string("no-such-thread")}) {
    SCOPED_TRACE(id);
    const std::string path = "/api/memory/threads/" + id;
    EXPECT_EQ(Expect(bhttp::verb::get, path, bhttp::status::not_found, "", mine), absent);
    EXPECT_EQ(Expect(bhttp::verb::get, path + "/messages", bhttp::status::not_found, "", mine),
              absent);
    EXPECT_EQ(Expect(bhttp::verb::get, path + "/messages?page=0&perPage=5",
                     bhttp::status::not_found, "", mine),
              absent);
    EXPECT_EQ(Expect(bhttp::verb::patch, path, bhttp::status::not_found,
                     R"({"title":"mine now","resourceId":"user-1"})", mine),
              absent);
    EXPECT_EQ(Expect(bhttp::verb::delete_, path, bhttp::status::not_found, "", mine), absent);
  }
  json still = Get("/api/memory/threads/thread-2");
  EXPECT_EQ(still["resourceId"], "user-1");
  EXPECT_EQ(still["title"], "");
  EXPECT_EQ(Get("/api/memory/threads/thread-2/messages?page=0&perPage=10")["total"], 4);

  // Its own thread: patch keeps it in the namespace, messages show the given resource id.
  ASSERT_TRUE(
      store_->AppendMessages("t-mine", "customer/CUST-001/user-1", {Msg("user", "hi")}).ok());
  json patched = Expect(bhttp::verb::patch, "/api/memory/threads/t-mine", bhttp::status::ok,
                        R"({"title":"Renamed","resourceId":"user-2"})", mine);
  EXPECT_EQ(patched["resourceId"], "user-2");
  EXPECT_EQ(Get("/api/memory/threads/t-mine")["resourceId"], "customer/CUST-001/user-2");
  json messages = Expect(bhttp::verb::get, "/api/memory/threads/t-mine/messages?page=0&perPage=5",
                         bhttp::status::ok, "", mine);
  ASSERT_EQ(messages["messages"].size(), 1u) << messages.dump();
  EXPECT_EQ(messages["messages"][0]["resourceId"], "user-2");  // moved with its thread
  // Another customer's key does not see it either.
  Expect(bhttp::verb::get, "/api/memory/threads/t-mine", bhttp::status::not_found, "", "CUST-002");
  Expect(bhttp::verb::delete_, "/api/memory/threads/t-mine", bhttp::status::ok, "", mine);
  Get("/api/memory/threads/t-mine", bhttp::status::not_found);
}

}  // namespace
}  // namespace billing::http
