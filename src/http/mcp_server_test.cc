// The MCP server's JSON-RPC handling (http/mcp_server.h); the official SDK client drives the
// real binary in tests/compat/mcp.test.mjs.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "http/mcp_server.h"

namespace billing::http {
namespace {

namespace net = boost::asio;
using nlohmann::json;

// A tool that echoes its arguments, or fails when asked to.
class EchoTool final : public Tool {
 public:
  const std::string& id() const override { return id_; }
  const std::string& key() const override { return key_; }
  const std::string& description() const override { return id_; }
  const json& input_schema() const override { return schema_; }
  const json& output_schema() const override { return schema_; }
  json Execute(const json& input, const ToolContext&) const override {
    if (input.value("fail", false))
      return ToolErrorResult(Error::Invalid("fail", "fail must be false"));
    return {{"success", true}, {"echo", input}};
  }

 private:
  std::string id_ = "echo-tool", key_ = "echoTool";
  json schema_ = {{"type", "object"}, {"properties", json::object()}};
};

class McpServerTest : public ::testing::Test {
 protected:
  McpServerTest() {
    tools_.Add(std::make_unique<EchoTool>());
    server_ =
        std::make_unique<McpServer>(tools_, McpServerInfo{"billing", "Billing tools", "9.9", "d"});
  }

  HttpResponse Post(const std::string& body, const std::string& accept = "application/json") {
    const McpServer::RunTool run = [this](const Tool& tool, const json& args,
                                          const std::string& call_id) -> net::awaitable<json> {
      calls_.push_back(call_id);
      co_return tool.Execute(args, ToolContext{});
    };
    net::io_context io;
    auto done = net::co_spawn(
        io,
        [&]() -> net::awaitable<HttpResponse> {
          co_return co_await server_->HandlePost(body, accept, run);
        },
        net::use_future);
    io.run();
    return done.get();
  }
  json PostJson(const std::string& body) { return json::parse(Post(body).body()); }

  ToolRegistry tools_;
  std::unique_ptr<McpServer> server_;
  std::vector<std::string> calls_;
};

TEST_F(McpServerTest, InitializeAgreesOnAVersionAndNotificationsAreAccepted) {
  json init = PostJson(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26"}})");
  EXPECT_EQ(init["result"]["protocolVersion"], "2025-03-26");
  EXPECT_EQ(init["result"]["serverInfo"]["version"], "9.9");
  EXPECT_EQ(init["result"]["capabilities"]["tools"]["listChanged"], false);
  json newer = PostJson(
      R"({"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2099-01-01"}})");
  EXPECT_EQ(newer["result"]["protocolVersion"], kMcpProtocolVersions[0]);
  HttpResponse note = Post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(note.result_int(), 202);
  EXPECT_TRUE(note.body().empty());
  EXPECT_EQ(PostJson(R"({"jsonrpc":"2.0","id":"p","method":"ping"})")["result"], json::object());
}

TEST_F(McpServerTest, ToolsAreListedAndCalledAndTheirErrorsAreToolErrors) {
  json list = PostJson(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  ASSERT_EQ(list["result"]["tools"].size(), 1u);
  EXPECT_EQ(list["result"]["tools"][0]["name"], "echo-tool");
  json ok = PostJson(
      R"({"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"echo-tool","arguments":{"a":1}}})");
  EXPECT_EQ(ok["result"]["isError"], false);
  EXPECT_EQ(ok["result"]["structuredContent"]["echo"]["a"], 1);
  EXPECT_EQ(json::parse(ok["result"]["content"][0]["text"].get<std::string>())["echo"]["a"], 1);
  json by_key =
      PostJson(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echoTool"}})");
  EXPECT_EQ(by_key["result"]["isError"], false);
  json failed = PostJson(
      R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo-tool","arguments":{"fail":true}}})");
  EXPECT_EQ(failed["result"]["isError"], true);
  EXPECT_EQ(failed["result"]["content"][0]["text"], "fail must be false");
  EXPECT_EQ(calls_, (std::vector<std::string>{"c1", "3", "4"}));
}

TEST_F(McpServerTest, MalformedMessagesAreJsonRpcErrorsAndRunNothing) {
  EXPECT_EQ(PostJson("{not json")["error"]["code"], -32700);
  EXPECT_EQ(PostJson(R"({"id":1,"method":"ping"})")["error"]["code"], -32600);
  EXPECT_EQ(PostJson(R"({"jsonrpc":"2.0","id":1,"method":"resources/list"})")["error"]["code"],
            -32601);
  EXPECT_EQ(
      PostJson(
          R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}})")["error"]
                                                                                       ["code"],
      -32602);
  EXPECT_EQ(
      PostJson(
          R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo-tool","arguments":[1]}})")
          ["error"]["code"],
      -32602);
  EXPECT_EQ(PostJson(R"({"jsonrpc":"2.0","id":{"x":1},"method":"ping"})")["error"]["code"], -32600);
  EXPECT_EQ(PostJson("[]")["error"]["code"], -32600);
  std::string big = "[";
  for (size_t i = 0; i <= kMaxMcpBatch; ++i)
    big += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  EXPECT_EQ(PostJson(big + "]")["error"]["code"], -32600);
  EXPECT_TRUE(calls_.empty());
}

TEST_F(McpServerTest, ABatchAnswersItsRequestsInOrderAndAStreamOnlyClientGetsOneEvent) {
  json batch = PostJson(
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},)"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/list"}])");
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0]["id"], 1);
  EXPECT_EQ(batch[1]["id"], 2);
  HttpResponse streamed = Post(R"({"jsonrpc":"2.0","id":9,"method":"ping"})", "text/event-stream");
  EXPECT_EQ(streamed[boost::beast::http::field::content_type], "text/event-stream");
  EXPECT_EQ(streamed.body(),
            "event: message\ndata: {\"id\":9,\"jsonrpc\":\"2.0\",\"result\":{}}\n\n");
}

}  // namespace
}  // namespace billing::http
