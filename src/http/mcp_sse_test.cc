#include "http/mcp_sse.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace billing::http {
namespace {

TEST(McpSseSessionsTest, BoundedInAllAndPerCallerAndOnlyTheOpenerFindsASession) {
  SeededRandom random(7);
  boost::asio::io_context io;
  McpSseSessions sessions(random, /*capacity=*/3, /*per_owner=*/2);
  auto a1 = sessions.Open("key:a", io.get_executor());
  auto a2 = sessions.Open("key:a", io.get_executor());
  ASSERT_NE(a1, nullptr);
  ASSERT_NE(a2, nullptr);
  EXPECT_NE(a1->id, a2->id);
  EXPECT_EQ(sessions.Open("key:a", io.get_executor()), nullptr) << "at most 2 per caller";
  auto b1 = sessions.Open("key:b", io.get_executor());
  ASSERT_NE(b1, nullptr);
  EXPECT_EQ(sessions.Open("key:c", io.get_executor()), nullptr) << "at most 3 in all";
  EXPECT_EQ(sessions.Find(a1->id, "key:a"), a1);
  EXPECT_EQ(sessions.Find(a1->id, "key:b"), nullptr) << "another caller's session";
  EXPECT_EQ(sessions.Find("nope", "key:a"), nullptr);
  sessions.Close(a1->id);
  EXPECT_EQ(sessions.Find(a1->id, "key:a"), nullptr);
  EXPECT_NE(sessions.Open("key:c", io.get_executor()), nullptr) << "room again after a close";
}

TEST(McpSseSessionsTest, AnOutboxHoldsABoundedNumberOfUndeliveredMessages) {
  SeededRandom random(7);
  boost::asio::io_context io;
  McpSseSessions sessions(random);
  auto session = sessions.Open("dev", io.get_executor());
  ASSERT_NE(session, nullptr);
  for (size_t i = 0; i < McpSseSessions::kMaxOutbox; ++i) {
    ASSERT_TRUE(sessions.Deliver(session, McpSseMessageEvent("{}")).ok());
  }
  Status full = sessions.Deliver(session, McpSseMessageEvent("{}"));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(session->outbox.size(), McpSseSessions::kMaxOutbox);
  EXPECT_EQ(McpSseMessageEvent(R"({"id":1})"), "event: message\ndata: {\"id\":1}\n\n");
  io.run();  // the wake-ups find no stream waiting: nothing happens
}

}  // namespace
}  // namespace billing::http
