#include "agent/model_switch.h"

#include <gtest/gtest.h>

namespace billing {
namespace {

// A model that only names itself (these tests never call it).
class NamedModel final : public Model {
 public:
  NamedModel(std::string provider, std::string id)
      : provider_(std::move(provider)), id_(std::move(id)) {}
  std::string provider() const override { return provider_; }
  std::string model_id() const override { return id_; }
  boost::asio::awaitable<Result<ModelResponse>> Complete(const ModelRequest&) override {
    co_return ModelResponse{};
  }

 private:
  std::string provider_, id_;
};

struct Fixture {
  int made = 0;
  ModelSwitch models{
      std::make_shared<NamedModel>("local", "billing-planner"),
      {ModelChoice{"local", "Local", "BILLING_MODEL", "", true, {"billing-planner"}},
       ModelChoice{"openai", "OpenAI", "OPENAI_API_KEY", "", true, {"gpt-4o-mini"}},
       ModelChoice{"other", "Other", "OTHER_KEY", "", false, {"x"}}},
      [this](const std::string& provider, const std::string& id) {
        ++made;
        return Result<std::shared_ptr<Model>>(std::make_shared<NamedModel>(provider, id));
      }};
};

TEST(ModelSwitchTest, SwitchesResetsAndKeepsMadeModelsForSwitchingBack) {
  Fixture f;
  EXPECT_EQ(f.models.model_id(), "billing-planner");
  ASSERT_TRUE(f.models.Switch("openai", "gpt-4o").ok());
  EXPECT_EQ(f.models.provider(), "openai");
  EXPECT_EQ(f.models.model_id(), "gpt-4o");
  f.models.Reset();
  EXPECT_EQ(f.models.model_id(), "billing-planner");
  ASSERT_TRUE(f.models.Switch("openai", "gpt-4o").ok());
  EXPECT_EQ(f.made, 1) << "made once, kept";
  ASSERT_TRUE(f.models.Switch("local", "billing-planner").ok());
  EXPECT_EQ(f.made, 1) << "the original is not made again";
  EXPECT_EQ(f.models.provider(), "local");
}

TEST(ModelSwitchTest, RefusesWhatItCannotRunAndChangesNothing) {
  Fixture f;
  Status unknown = f.models.Switch("anthropic", "claude");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "provider");
  Status off = f.models.Switch("other", "x");
  ASSERT_FALSE(off.ok());
  EXPECT_NE(off.error().message.find("set OTHER_KEY"), std::string::npos);
  std::vector<std::string> bad_ids = {"", "gpt 4o", "a/b"};
  bad_ids.emplace_back(65, 'a');
  for (const std::string& bad : bad_ids) {
    Status s = f.models.Switch("openai", bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().field, "modelId");
  }
  EXPECT_EQ(f.models.model_id(), "billing-planner");
  EXPECT_EQ(f.made, 0);
}

TEST(ModelSwitchTest, KeepsAtMostABoundedNumberOfMadeModels) {
  Fixture f;
  for (size_t i = 0; i < 3 * ModelSwitch::kMaxModels; ++i) {
    const std::string id = "model-" + std::string(1, char('a' + i));
    ASSERT_TRUE(f.models.Switch("openai", id).ok());
    EXPECT_EQ(f.models.model_id(), id);
  }
  // Switching back to a model forgotten by the bound makes it again.
  ASSERT_TRUE(f.models.Switch("openai", "model-a").ok());
  EXPECT_EQ(f.made, int(3 * ModelSwitch::kMaxModels) + 1);
}

}  // namespace
}  // namespace billing
