// Events, the outbox of every change (docs/events.md): each operation appends its events in its
// own transaction, in commit order, with random 96-bit ids; a failed operation appends none; an
// event that cannot be stored rolls the change back; the list pages by cursor and filters by
// type. Also the GET /api/events handler. Runs on both backends (pg.EventsTest.*).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "billing/service.h"
#include "http/events_routes.h"
#include "store/backend.h"
#include "testing/dates.h"
#include "testing/raw_db.h"
#include "testing/test_backend.h"

namespace billing {
namespace {

using test_support::D;

class EventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test_support::TestDbPath(
        (std::filesystem::temp_directory_path() /
         ("billing-events-test-" + std::to_string(::getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
            .string());
    Cleanup();
    auto store = OpenStore({path_, 4});
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
    SetMode(ProcessorMode::kAlwaysApprove);
    ASSERT_TRUE(service_->SeedIfEmpty().ok());
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm", ".keys"}) {
      std::error_code ec;
      std::filesystem::remove(path_ + suffix, ec);
    }
  }
  void SetMode(ProcessorMode mode) {
    BillingOptions options;
    options.processor_mode = mode;
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, options);
  }
  std::vector<Event> All(const std::string& type = "") {
    auto rows = service_->ListEvents("", type, 1000);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? *rows : std::vector<Event>();
  }
  std::vector<std::string> Types(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) out.push_back(e.type);
    return out;
  }

  std::string path_;
  FixedClock clock_{1795608000000};  // 2026-11-25T12:00:00Z
  SeededRandom ids_{7};
  SeededRandom processor_{8};
  std::unique_ptr<Store> store_;
  std::unique_ptr<BillingService> service_;
};

TEST_F(EventsTest, EveryChangeAppendsItsEventsInCommitOrder) {
  EXPECT_TRUE(All().empty()) << "the sample data is not a change anyone made";
  auto inv = service_->CreateInvoice({"CUST-002",
                                      {{"Setup", 1000, 50000}},
                                      D("2026-12-31"),
                                      "",
                                      "key:bk_1",
                                      "req-1",
                                      "",
                                      "idem-1"});
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  auto updated =
      service_->UpdateInvoice(inv->id, InvoiceUpdate{{}, std::string("net 30"), {}}, {}, "req-2");
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  auto paid =
      service_->ProcessPayment({"CUST-002", inv->total_cents, "", inv->id, "key:bk_1", "req-3"});
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  auto refund = service_->RefundPayment(paid->payment.id, 1000, "", {}, "req-4");
  ASSERT_TRUE(refund.ok()) << refund.error().message;
  auto other = service_->CreateInvoice({"CUST-003", {{"X", 1000, 100}}, D("2026-12-31"), ""});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(service_->CancelInvoice(other->id, {}, "req-6").ok());
  SetMode(ProcessorMode::kAlwaysDecline);
  auto declined = service_->ProcessPayment({"CUST-001", 500, "", "", "", "req-7"});
  ASSERT_TRUE(declined.ok()) << declined.error().message;
  EXPECT_FALSE(declined->approved);

  const std::vector<Event> events = All();
  EXPECT_EQ(Types(events),
            (std::vector<std::string>{"invoice.created", "invoice.finalized", "invoice.updated",
                                      "payment.succeeded", "invoice.paid", "refund.created",
                                      "invoice.updated", "invoice.created", "invoice.finalized",
                                      "invoice.cancelled", "payment.failed"}));
  std::set<std::string> ids;
  const std::regex id_form("evt_[0-9a-f]{24}");
  for (size_t k = 0; k < events.size(); ++k) {
    EXPECT_EQ(events[k].seq, int64_t(k + 1));
    EXPECT_TRUE(std::regex_match(events[k].id, id_form)) << events[k].id;
    ids.insert(events[k].id);
    EXPECT_EQ(events[k].created_at, "2026-11-25T12:00:00.000Z");
    auto data = nlohmann::json::parse(events[k].data_json, nullptr, false);
    ASSERT_FALSE(data.is_discarded()) << events[k].data_json;
    EXPECT_EQ(data.value("id", ""), events[k].object_id) << events[k].type;
  }
  EXPECT_EQ(ids.size(), events.size()) << "event ids are unique";
  // Each event names its object and carries it as it was after the change.
  EXPECT_EQ(events[0].object_id, inv->id);
  EXPECT_EQ(events[0].request_id, "req-1");
  EXPECT_EQ(events[0].idempotency_key, "idem-1");  // the request's Idempotency-Key, as sent
  EXPECT_EQ(events[1].idempotency_key, "idem-1");
  EXPECT_EQ(events[2].idempotency_key, "") << "a request without one";
  EXPECT_EQ(nlohmann::json::parse(events[2].data_json)["notes"], "net 30");
  EXPECT_EQ(events[3].object_id, paid->payment.id);
  EXPECT_EQ(nlohmann::json::parse(events[4].data_json)["status"], "paid");
  EXPECT_EQ(events[5].object_type, "refund");
  EXPECT_EQ(events[5].object_id, refund->refund.id);
  EXPECT_EQ(nlohmann::json::parse(events[5].data_json)["payment"]["id"], paid->payment.id);
  // The refund took $10.00 back from the invoice it paid: open again, $10.00 due.
  EXPECT_EQ(events[6].object_id, inv->id);
  const auto reopened = nlohmann::json::parse(events[6].data_json);
  EXPECT_EQ(reopened["status"], "pending");
  EXPECT_EQ(reopened["paidCents"], inv->total_cents - 1000);
  EXPECT_EQ(events[6].request_id, "req-4");
  EXPECT_EQ(nlohmann::json::parse(events[9].data_json)["status"], "cancelled");
  EXPECT_EQ(events[10].object_id, declined->payment.id);
  EXPECT_EQ(events[10].request_id, "req-7");
}

TEST_F(EventsTest, AFailedOperationAppendsNothing) {
  EXPECT_FALSE(service_->CreateInvoice({"CUST-002", {{"X", 1000, 100}}, D("2020-01-01"), ""}).ok());
  EXPECT_FALSE(service_->ProcessPayment({"CUST-404", 1000, "", "", "", ""}).ok());
  EXPECT_FALSE(service_->RefundPayment("PAY-001", 99'999'999, "").ok());
  EXPECT_FALSE(service_->CancelInvoice("INV-2099-001").ok());
  EXPECT_TRUE(All().empty());
}

TEST_F(EventsTest, AnEventThatCannotBeStoredRollsTheChangeBack) {
  test_support::RawDb raw(path_);
  ASSERT_TRUE(raw.RefuseInserts("events", true));
  EXPECT_FALSE(service_->ProcessPayment({"CUST-001", 1000, "", "", "", ""}).ok());
  EXPECT_FALSE(service_->CreateInvoice({"CUST-002", {{"X", 1000, 100}}, D("2026-12-31"), ""}).ok());
  ASSERT_TRUE(raw.RefuseInserts("events", false));
  auto history = service_->History("CUST-001");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->payments.size(), 1u) << "only the seed payment";
  auto next = service_->CreateInvoice({"CUST-002", {{"X", 1000, 100}}, D("2026-12-31"), ""});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->id, "INV-2026-001") << "the number was not used by the rolled-back invoice";
  EXPECT_EQ(All().size(), 2u);
  EXPECT_TRUE(service_->CheckInvariants().ok());
}

TEST_F(EventsTest, TheListPagesByCursorAndFiltersByType) {
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(service_->ProcessPayment({"CUST-003", 100 + k, "", "", "", ""}).ok());
  }
  ASSERT_TRUE(service_->CreateInvoice({"CUST-002", {{"X", 1000, 100}}, D("2026-12-31"), ""}).ok());
  const std::vector<Event> all = All();
  ASSERT_EQ(all.size(), 5u);
  // Pages of two, each after the last id of the one before.
  std::vector<std::string> walked;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto rows = service_->ListEvents(after, "", 2);
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    for (const Event& e : *rows) walked.push_back(e.id);
    if (rows->size() < 2) break;
    after = rows->back().id;
  }
  std::vector<std::string> expected;
  for (const Event& e : all) expected.push_back(e.id);
  EXPECT_EQ(walked, expected);
  // One type, after a cursor of another type.
  auto succeeded = service_->ListEvents(all[0].id, "payment.succeeded", 100);
  ASSERT_TRUE(succeeded.ok());
  EXPECT_EQ(succeeded->size(), 2u);
  EXPECT_EQ(Types(All("invoice.finalized")), std::vector<std::string>{"invoice.finalized"});
  // A cursor that names no event, and a type that does not exist, are errors naming the field.
  auto unknown = service_->ListEvents("evt_000000000000000000000000", "", 10);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().field, "after");
  auto bad_type = service_->ListEvents("", "invoice.exploded", 10);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad_type.error().field, "type");
}

http::HttpRequest Get(const std::string& target) {
  http::HttpRequest req{boost::beast::http::verb::get, target, 11};
  return req;
}

TEST_F(EventsTest, TheRouteListsPagesAndNamesTheBadParameter) {
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(service_->ProcessPayment({"CUST-003", 100 + k, "", "", "", ""}).ok());
  }
  namespace bhttp = boost::beast::http;
  auto first = http::EventListResponse(*service_, Get("/api/events?limit=2"));
  ASSERT_EQ(first.result(), bhttp::status::ok) << first.body();
  auto body = nlohmann::json::parse(first.body());
  ASSERT_EQ(body["events"].size(), 2u);
  EXPECT_EQ(body["events"][0]["type"], "payment.succeeded");
  EXPECT_EQ(body["events"][0]["objectType"], "payment");
  EXPECT_TRUE(body["events"][0]["data"].is_object());
  EXPECT_EQ(body["hasMore"], true);
  const std::string next = body["nextAfter"];
  EXPECT_EQ(next, body["events"][1]["id"]);
  auto second = http::EventListResponse(*service_, Get("/api/events?limit=2&after=" + next));
  auto body2 = nlohmann::json::parse(second.body());
  ASSERT_EQ(body2["events"].size(), 1u);
  EXPECT_EQ(body2["hasMore"], false);
  auto typed = nlohmann::json::parse(
      http::EventListResponse(*service_, Get("/api/events?type=payment.failed")).body());
  EXPECT_TRUE(typed["events"].empty());
  EXPECT_TRUE(typed["nextAfter"].is_null());

  auto bad_limit = http::EventListResponse(*service_, Get("/api/events?limit=0"));
  EXPECT_EQ(bad_limit.result(), bhttp::status::bad_request);
  EXPECT_EQ(nlohmann::json::parse(bad_limit.body())["field"], "limit");
  auto bad_type = http::EventListResponse(*service_, Get("/api/events?type=nope"));
  EXPECT_EQ(bad_type.result(), bhttp::status::bad_request);
  EXPECT_EQ(nlohmann::json::parse(bad_type.body())["field"], "type");
  auto too_long =
      http::EventListResponse(*service_, Get("/api/events?after=evt_" + std::string(80, 'a')));
  EXPECT_EQ(too_long.result(), bhttp::status::bad_request);
  EXPECT_EQ(nlohmann::json::parse(too_long.body())["field"], "after");
  std::string many = "/api/events?";
  for (int k = 0; k < 40; ++k) {
    many += 'p';  // appended piece by piece: GCC 12 warns falsely on "p" + std::string
    many += std::to_string(k);
    many += "=1&";
  }
  auto crowded = http::EventListResponse(*service_, Get(many));
  EXPECT_EQ(crowded.result(), bhttp::status::bad_request);
  EXPECT_EQ(nlohmann::json::parse(crowded.body())["field"], "query");
  auto empty_type = http::EventListResponse(*service_, Get("/api/events?type="));
  EXPECT_EQ(empty_type.result(), bhttp::status::bad_request);
  // A bad request changes nothing: the same three events are there.
  EXPECT_EQ(All().size(), 3u);
  auto gone = http::EventListResponse(*service_, Get("/api/events?after=evt_404"));
  EXPECT_EQ(gone.result(), bhttp::status::not_found);
  http::HttpRequest post{bhttp::verb::post, "/api/events", 11};
  EXPECT_EQ(http::EventListResponse(*service_, post).result(), bhttp::status::method_not_allowed);
}

// An outbox email that could not be rendered (a bug: the row says why) is refused by a re-send
// (kFailedPrecondition, a 422 through REST) and stays as it was; an unknown one is not found.
TEST_F(EventsTest, AnEmailThatCouldNotBeRenderedIsNotResent) {
  OutboxEmail broken;
  broken.event_id = "evt_000000000000000000000001";
  broken.kind = "invoice_issued";
  broken.customer_id = "CUST-001";
  broken.to_address = "billing@techcorp.example";
  broken.locale = "en";
  broken.status = "failed";
  broken.created_at = broken.next_attempt_at = clock_.NowIso8601();
  broken.last_error = "cannot render the message: invoice data has no total";
  ASSERT_TRUE(store_->Write([&](StoreTx& tx) { return tx.InsertEmail(broken); }).ok());
  auto listed = service_->ListEmails("CUST-001", 0, 10);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  const int64_t seq = listed->front().seq;
  clock_.Set(clock_.NowUnixMs() + 60'000);
  auto resent = service_->ResendEmail(seq);
  ASSERT_FALSE(resent.ok());
  EXPECT_EQ(resent.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(resent.error().message.find("has no message to send"), std::string::npos)
      << resent.error().message;
  auto after = service_->GetEmail(seq);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, "failed");
  EXPECT_EQ(after->attempts, 0);
  EXPECT_EQ(after->created_at, broken.created_at);
  EXPECT_EQ(after->last_error, broken.last_error);
  auto unknown = service_->ResendEmail(seq + 1000);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace billing
