#include "http/tool_approval.h"

#include <gtest/gtest.h>

namespace billing::http {
namespace {

PendingRun Pending(const std::string& run_id, const std::string& call_id,
                   const std::string& owner) {
  auto state = std::make_shared<SuspendedRun>();
  state->out.run_id = run_id;
  state->in_tools = true;
  ToolCall call;
  call.id = call_id;
  call.name = "get-customer";
  state->current.model.tool_calls.push_back(call);
  return PendingRun{GenerateRequest{}, std::move(state), owner, "message-1"};
}

TEST(PendingApprovalsTest, HandsARunBackOnceToItsOwnerForItsPendingCall) {
  FixedClock clock(1'000'000);
  PendingApprovals approvals(clock);
  approvals.Put(Pending("run-1", "call_1", "key-a"));
  EXPECT_FALSE(approvals.Take("run-1", "call_1", "key-b"));  // another caller
  EXPECT_FALSE(approvals.Take("run-1", "call_2", "key-a"));  // another call
  EXPECT_FALSE(approvals.Take("run-2", "call_1", "key-a"));  // another run
  std::optional<PendingRun> taken = approvals.Take("run-1", "call_1", "key-a");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->state->pending_call().id, "call_1");
  EXPECT_FALSE(approvals.Take("run-1", "call_1", "key-a"));  // only once
  EXPECT_EQ(approvals.size(), 0u);
}

TEST(PendingApprovalsTest, ARunExpiresAfterItsTime) {
  FixedClock clock(1'000'000);
  PendingApprovals approvals(clock, 8, 4, /*ttl_ms=*/60'000);
  approvals.Put(Pending("run-1", "call_1", "key-a"));
  clock.Set(1'000'000 + 59'999);
  approvals.Put(Pending("run-2", "call_1", "key-a"));
  clock.Set(1'000'000 + 60'000);
  EXPECT_FALSE(approvals.Take("run-1", "call_1", "key-a"));
  EXPECT_TRUE(approvals.Take("run-2", "call_1", "key-a"));
}

TEST(PendingApprovalsTest, BoundedInAllAndPerCallerTheOldestGoingFirst) {
  FixedClock clock(1'000'000);
  PendingApprovals approvals(clock, /*capacity=*/4, /*per_owner=*/2, 60'000);
  approvals.Put(Pending("a1", "c", "a"));
  approvals.Put(Pending("a2", "c", "a"));
  approvals.Put(Pending("a3", "c", "a"));  // a1 goes: a holds at most 2
  EXPECT_EQ(approvals.size(), 2u);
  approvals.Put(Pending("b1", "c", "b"));
  approvals.Put(Pending("c1", "c", "c"));
  approvals.Put(Pending("d1", "c", "d"));  // full: the oldest (a2) goes
  EXPECT_EQ(approvals.size(), 4u);
  EXPECT_FALSE(approvals.Take("a1", "c", "a"));
  EXPECT_FALSE(approvals.Take("a2", "c", "a"));
  for (const char* run : {"a3", "b1", "c1", "d1"}) {
    const std::string owner(1, run[0]);
    EXPECT_TRUE(approvals.Take(run, "c", owner)) << run;
  }
}

TEST(PendingApprovalsTest, TheSameRunIdReplacesTheEarlierOne) {
  FixedClock clock(1'000'000);
  PendingApprovals approvals(clock);
  approvals.Put(Pending("run-1", "call_1", "a"));
  approvals.Put(Pending("run-1", "call_2", "a"));
  EXPECT_EQ(approvals.size(), 1u);
  EXPECT_FALSE(approvals.Take("run-1", "call_1", "a"));
  EXPECT_TRUE(approvals.Take("run-1", "call_2", "a"));
}

}  // namespace
}  // namespace billing::http
