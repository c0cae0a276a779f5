// The pure parts of webhook delivery (webhook_worker.h): the signature header (checked against
// HMAC-SHA256 values computed independently, with Python's hmac module), the body, and which
// addresses the SSRF guard lets the worker connect to.
#include "integration/webhook_worker.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <nlohmann/json.hpp>

namespace billing {
namespace {

TEST(WebhookSignatureTest, IsStripesSchemeWithOneV1PerSecret) {
  const std::string body = R"({"a":1})";
  EXPECT_EQ(WebhookSignature(1700000000, body, {"whsec_test"}),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
  // During a rotation the old secret signs too, after the new one.
  EXPECT_EQ(WebhookSignature(1700000000, body, {"whsec_test", "whsec_old"}),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789,"
            "v1=b9d801502bb535e960ee9aeee7a294b082bda5089d79c7db610b85116ce6faa6");
}

TEST(WebhookBodyTest, IsTheEventEnvelope) {
  WebhookDelivery d;
  d.event_id = "evt_0123456789abcdef01234567";
  d.event_type = "invoice.paid";
  d.event_created_at = "2026-11-25T12:00:00.000Z";
  d.event_data_json = R"({"id":"INV-2026-001","totalCents":108000})";
  d.event_request_id = "req_1";
  const nlohmann::json body = nlohmann::json::parse(WebhookBody(d));
  EXPECT_EQ(body["id"], d.event_id);
  EXPECT_EQ(body["object"], "event");
  EXPECT_EQ(body["type"], "invoice.paid");
  EXPECT_EQ(body["created"], 1795608000);
  EXPECT_EQ(body["data"]["object"]["totalCents"], 108000);
  EXPECT_EQ(body["request"]["id"], "req_1");
  EXPECT_TRUE(body["request"]["idempotencyKey"].is_null());
}

bool Public(const char* text) {
  sockaddr_storage storage{};
  if (inet_pton(AF_INET, text, &reinterpret_cast<sockaddr_in*>(&storage)->sin_addr) == 1) {
    storage.ss_family = AF_INET;
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, text, &reinterpret_cast<sockaddr_in6*>(&storage)->sin6_addr), 1)
        << text;
    storage.ss_family = AF_INET6;
  }
  return IsPublicAddress(reinterpret_cast<const sockaddr*>(&storage));
}

TEST(SsrfGuardTest, OnlyPublicAddressesAreReachable) {
  for (const char* blocked :
       {"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::",
        "fe80::1", "fd00:ec2::254", "fc00::5", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1"}) {
    EXPECT_FALSE(Public(blocked)) << blocked;
  }
  for (const char* open :
       {"8.8.8.8", "172.32.0.1", "1.1.1.1", "203.0.114.5", "2606:4700::1111", "::ffff:8.8.8.8"}) {
    EXPECT_TRUE(Public(open)) << open;
  }
}

}  // namespace
}  // namespace billing
