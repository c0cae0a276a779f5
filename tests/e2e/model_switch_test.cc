// Model switching (Mastra's model picker; docs/studio.md "Model switching") on the real binary:
// an administrator switches the agent from the local planner to an OpenAI model (the in-process
// fake) and back; the agent's description follows; runs use the model chosen; bad requests and
// callers without the admin scope change nothing.
#include <string>

#include <gtest/gtest.h>

#include "e2e/server_harness.h"
#include "fake_openai/fake_openai_server.h"

namespace billing::e2e {
namespace {

using fake_openai::FakeOpenAiServer;
using fake_openai::ScriptedReply;
using nlohmann::json;
using Env = std::map<std::string, std::string>;

constexpr const char* kAgentPath = "/api/agents/billingApiAgent";

class model_switch_e2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(fake_.Start(&error)) << error;
  }
  Env OpenAiEnv() const {
    return {{"OPENAI_API_KEY", "test-key"},
            {"OPENAI_BASE_URL", fake_.base_url()},
            {"BILLING_MODEL", "local"},
            {"BILLING_MODEL_TIMEOUT_MS", "5000"}};
  }
  size_t ChatRequests() {
    size_t n = 0;
    for (const auto& r : fake_.requests())
      n += r.target.find("chat/completions") != std::string::npos;
    return n;
  }
  static std::pair<std::string, std::string> ModelOf(ServerProcess& server) {
    json agent = server.Get(kAgentPath).Json();
    return {agent.value("provider", ""), agent.value("modelId", "")};
  }
  FakeOpenAiServer fake_;
};

TEST_F(model_switch_e2e, AnAdministratorSwitchesToOpenAiAndBack) {
  ServerProcess server(OpenAiEnv());
  ASSERT_TRUE(server.started()) << server.Log();
  json providers = server.Get("/api/agents/providers").Json()["providers"];
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[1]["id"], "openai");
  EXPECT_EQ(providers[1]["connected"], true) << "the key is set";
  EXPECT_EQ(providers[1]["models"][0], "gpt-4o-mini");
  EXPECT_EQ(ModelOf(server), (std::pair<std::string, std::string>{"local", "billing-planner"}));

  HttpResult switched = server.PostJson(std::string(kAgentPath) + "/model",
                                        {{"provider", "openai"}, {"modelId", "gpt-4.1-mini"}});
  ASSERT_EQ(switched.status, 200) << switched.body;
  EXPECT_EQ(switched.Json(), json({{"message", "Agent model updated"}}));
  EXPECT_EQ(ModelOf(server), (std::pair<std::string, std::string>{"openai", "gpt-4.1-mini"}));
  json listed = server.Get("/api/agents").Json()["billingApiAgent"];
  EXPECT_EQ(listed["modelId"], "gpt-4.1-mini");

  fake_.Enqueue(ScriptedReply::Text("Hello from the switched model."));
  HttpResult answer = server.Ask("hello");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.Json()["text"], "Hello from the switched model.");
  ASSERT_EQ(ChatRequests(), 1u);
  EXPECT_EQ(fake_.requests().back().json["model"], "gpt-4.1-mini");

  HttpResult reset = server.PostJson(std::string(kAgentPath) + "/model/reset", json::object());
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(reset.Json(), json({{"message", "Agent model reset to original"}}));
  EXPECT_EQ(ModelOf(server), (std::pair<std::string, std::string>{"local", "billing-planner"}));
  HttpResult local = server.Ask("What is the outstanding balance of CUST-001?");
  ASSERT_EQ(local.status, 200);
  EXPECT_NE(local.Json()["text"].get<std::string>().find("$2,450.00"), std::string::npos);
  EXPECT_EQ(ChatRequests(), 1u) << "the local planner asks no one";
}

TEST_F(model_switch_e2e, BadSwitchesAreRefusedNamingTheFieldAndChangeNothing) {
  ServerProcess server(OpenAiEnv());
  ASSERT_TRUE(server.started()) << server.Log();
  struct Case {
    json body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"provider", "anthropic"}, {"modelId", "claude"}},
       "provider must be one of: local, openai"},
      {{{"provider", "openai"}, {"modelId", "gpt 4o; rm"}}, "modelId must be"},
      {{{"provider", "openai"}, {"modelId", std::string(65, 'a')}}, "modelId must be"},
      {{{"provider", "local"}, {"modelId", "other"}}, "billing-planner"},
      {{{"modelId", "gpt-4o"}}, "provider is required"},
      {{{"provider", "openai"}, {"modelId", 4}}, "modelId is required"},
  };
  for (const Case& c : cases) {
    HttpResult r = server.PostJson(std::string(kAgentPath) + "/model", c.body);
    EXPECT_EQ(r.status, 400) << c.body.dump();
    EXPECT_NE(r.Json().value("error", "").find(c.field), std::string::npos) << r.body;
    EXPECT_EQ(ModelOf(server), (std::pair<std::string, std::string>{"local", "billing-planner"}));
  }
  HttpResult not_json = server.Request("POST", std::string(kAgentPath) + "/model", "{nope",
                                       {{"Content-Type", "application/json"}});
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(server.PostJson("/api/agents/otherAgent/model", {{"provider", "local"}}).status, 404);
}

TEST_F(model_switch_e2e, OpenAiWithoutAKeyCannotBeChosen) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  HttpResult r = server.PostJson(std::string(kAgentPath) + "/model",
                                 {{"provider", "openai"}, {"modelId", "gpt-4o-mini"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.Json().value("error", "").find("set OPENAI_API_KEY"), std::string::npos) << r.body;
  EXPECT_EQ(ModelOf(server), (std::pair<std::string, std::string>{"local", "billing-planner"}));
}

TEST_F(model_switch_e2e, OnlyAnAdministratorMaySwitch) {
  Env env = OpenAiEnv();
  env["BILLING_AUTH"] = "on";
  ServerProcess server(env);
  ASSERT_TRUE(server.started()) << server.Log();
  const std::map<std::string, std::string> writer = {
      {"Authorization", BearerForNewKey(server, "read,invoice,payment,refund")}};
  const std::map<std::string, std::string> admin = {
      {"Authorization", BearerForNewKey(server, "admin")}};
  const json body = {{"provider", "openai"}, {"modelId", "gpt-4o"}};
  HttpResult refused = server.PostJson(std::string(kAgentPath) + "/model", body, writer);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.Json().value("error", "").find("admin"), std::string::npos) << refused.body;
  EXPECT_EQ(
      server.PostJson(std::string(kAgentPath) + "/model/reset", json::object(), writer).status,
      403);
  EXPECT_EQ(server.Get(kAgentPath, admin).Json()["modelId"], "billing-planner");
  HttpResult allowed = server.PostJson(std::string(kAgentPath) + "/model", body, admin);
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_EQ(server.Get(kAgentPath, writer).Json()["modelId"], "gpt-4o");
  EXPECT_EQ(server.PostJson("/api/agents/billingApiAgent/model", body).status, 401);
}

}  // namespace
}  // namespace billing::e2e
