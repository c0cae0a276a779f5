// The audit log: one hash-chained row per change, written in the change's own transaction;
// the chain verifies, tampering is found at the right row, the table refuses UPDATE/DELETE, and
// concurrent writers keep the chain valid. Also the `audit` command and GET /api/audit handler.
#include "billing/audit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "app/audit_command.h"
#include "billing/service.h"
#include "http/audit_routes.h"
#include "store/backend.h"
#include "testing/raw_db.h"
#include "testing/test_backend.h"
#include "testing/dates.h"

namespace billing {
namespace {

constexpr int64_t kNov25_2026NoonMs = 1795608000000;  // 2026-11-25T12:00:00Z

using test_support::D;

using test_support::RawDb;
using test_support::SqlQuote;

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test_support::TestDbPath((std::filesystem::temp_directory_path() /
            ("billing-audit-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")).string());
    Cleanup();
    auto store = OpenStore({path_.string(), 4});
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
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }
  void SetMode(ProcessorMode mode) {
    BillingOptions options;
    options.processor_mode = mode;
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, options);
  }
  std::vector<AuditEntry> All() {
    auto rows = service_->ListAudit(AuditQuery{}, 1000);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<AuditEntry>();
  }
  size_t Count() { return All().size(); }
  AuditEntry Last() {
    auto all = All();
    return all.empty() ? AuditEntry{} : all.back();
  }
  // Verifies the chain; returns the first broken seq (0 = intact).
  int64_t Verify(int64_t* rows = nullptr, std::string* why = nullptr) {
    int64_t checked = -1, broken = -1;
    Status s = service_->VerifyAudit(&checked, &broken, why);
    EXPECT_TRUE(s.ok());
    if (rows) *rows = checked;
    return broken;
  }
  static nlohmann::json J(const std::string& text) { return nlohmann::json::parse(text); }

  std::filesystem::path path_;
  FixedClock clock_{kNov25_2026NoonMs};
  SeededRandom ids_{42};
  SeededRandom processor_{7};
  std::unique_ptr<Store> store_;
  std::unique_ptr<BillingService> service_;
};

TEST(AuditChain, CanonicalFormIsUnambiguousAndHashIsSha256) {
  EXPECT_EQ(*Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(*Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  AuditEntry a, b;
  a.actor = "ab";
  a.action = "c";
  b.actor = "a";
  b.action = "bc";
  EXPECT_NE(AuditCanonical(a), AuditCanonical(b));
  EXPECT_NE(*AuditHash(a), *AuditHash(b));
  AuditEntry first;
  first.action = "x";
  ASSERT_TRUE(ChainAuditEntry(std::nullopt, first).ok());
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.prev_hash, std::string(kAuditGenesisHash));
  EXPECT_EQ(first.hash.size(), 64u);
  AuditEntry second;
  ASSERT_TRUE(ChainAuditEntry(first, second).ok());
  EXPECT_EQ(second.seq, 2);
  EXPECT_EQ(second.prev_hash, first.hash);
}

// Chain versions (issue #17): rows hashed by v1 before the upgrade and by v2 after verify
// together; v2 covers on_behalf_of; versions never go down; a v1 row cannot carry a claim.
AuditEntry Row(int version, const AuditEntry* prev, const std::string& actor,
               const std::string& on_behalf_of) {
  AuditEntry e;
  e.chain_version = version;
  e.seq = prev ? prev->seq + 1 : 1;
  e.prev_hash = prev ? prev->hash : std::string(kAuditGenesisHash);
  e.at = "2026-11-25T12:00:00.000Z";
  e.actor = actor;
  e.on_behalf_of = on_behalf_of;
  e.action = "payment.process";
  e.entity_type = "payment";
  e.entity_id = "PAY-" + std::to_string(e.seq);
  e.hash = *AuditHash(e);
  return e;
}

TEST(AuditChain, VersionOneRowsThenVersionTwoRowsVerify) {
  const AuditEntry a = Row(1, nullptr, "seed", "");
  const AuditEntry b = Row(1, &a, "cometchat:old-style", "");
  const AuditEntry c = Row(2, &b, "key:bk_1a2b3c4d", "cometchat:ceo");
  const AuditEntry d = Row(2, &c, "key:bk_1a2b3c4d", "");
  ChainVerifier v;
  std::string why;
  for (const AuditEntry* e : {&a, &b, &c, &d}) EXPECT_TRUE(v.Check(*e, &why)) << why;
  EXPECT_EQ(v.rows_checked(), 4);
  // v2's canonical form ends with the claim; v1's has none.
  EXPECT_EQ(AuditCanonical(c).rfind("billing-audit-v2", 0), 0u);
  EXPECT_NE(AuditCanonical(c).find("13:cometchat:ceo;"), std::string::npos);
  EXPECT_EQ(AuditCanonical(a).rfind("billing-audit-v1", 0), 0u);
  // The claim is in the hash: the same row with another claim hashes differently.
  AuditEntry other = c;
  other.on_behalf_of = "cometchat:someone-else";
  EXPECT_NE(*AuditHash(other), c.hash);
  // New rows are chained with the current version.
  AuditEntry next;
  ASSERT_TRUE(ChainAuditEntry(d, next).ok());
  EXPECT_EQ(next.chain_version, kAuditChainVersion);
}

TEST(AuditChain, VersionsNeverGoDownAndVersionOneRowsCarryNoClaim) {
  const AuditEntry a = Row(2, nullptr, "seed", "");
  const AuditEntry down = Row(1, &a, "key:bk_1a2b3c4d", "");
  ChainVerifier v;
  std::string why;
  ASSERT_TRUE(v.Check(a, &why)) << why;
  EXPECT_FALSE(v.Check(down, &why));
  EXPECT_NE(why.find("versions never go down"), std::string::npos) << why;

  ChainVerifier claim_on_v1;
  const AuditEntry claimed = Row(1, nullptr, "key:bk_1a2b3c4d", "cometchat:ceo");
  EXPECT_FALSE(claim_on_v1.Check(claimed, &why));
  EXPECT_NE(why.find("version 1 row"), std::string::npos) << why;

  ChainVerifier unknown;
  EXPECT_FALSE(unknown.Check(Row(3, nullptr, "seed", ""), &why));
  EXPECT_NE(why.find("unknown chain version 3"), std::string::npos) << why;
}

TEST_F(AuditTest, SeedLoadIsTheFirstRow) {
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].seq, 1);
  EXPECT_EQ(all[0].action, "seed.load");
  EXPECT_EQ(all[0].actor, "seed");
  EXPECT_EQ(all[0].prev_hash, std::string(kAuditGenesisHash));
  auto after = J(all[0].after_json);
  EXPECT_EQ(after["customers"].size(), 6u);  // four in USD, one in EUR, one in JPY
  EXPECT_EQ(after["invoices"].size(), 5u);
  EXPECT_EQ(after["payments"].size(), 6u);
  ASSERT_TRUE(service_->SeedIfEmpty().ok());  // no-op: no second row
  int64_t rows = 0;
  EXPECT_EQ(Verify(&rows), 0);
  EXPECT_EQ(rows, 1);
}

TEST_F(AuditTest, EveryOperationWritesExactlyOneRowAndFailuresWriteNone) {
  size_t n = Count();
  // invoice.create
  NewInvoice req{"CUST-002", {{"Consulting", 2000, 10000}}, D("2026-12-15"), "note", "alice", "req-1"};
  auto inv = service_->CreateInvoice(req);
  ASSERT_TRUE(inv.ok());
  ASSERT_EQ(Count(), ++n);
  AuditEntry e = Last();
  EXPECT_EQ(e.action, "invoice.create");
  EXPECT_EQ(e.entity_type, "invoice");
  EXPECT_EQ(e.entity_id, inv->id);
  EXPECT_EQ(e.actor, "alice");
  EXPECT_EQ(e.request_id, "req-1");
  EXPECT_EQ(e.at, "2026-11-25T12:00:00.000Z");
  EXPECT_EQ(e.before_json, "null");
  EXPECT_EQ(J(e.after_json)["totalCents"], 21600);

  // invoice.update
  InvoiceUpdate up;
  up.notes = "updated";
  ASSERT_TRUE(service_->UpdateInvoice(inv->id, up, "bob", "req-2").ok());
  ASSERT_EQ(Count(), ++n);
  e = Last();
  EXPECT_EQ(e.action, "invoice.update");
  EXPECT_EQ(e.actor, "bob");
  EXPECT_EQ(e.request_id, "req-2");
  EXPECT_EQ(J(e.before_json)["notes"], "note");
  EXPECT_EQ(J(e.after_json)["notes"], "updated");

  // payment.process (approved, pays the invoice in full)
  PaymentRequest pay{"CUST-002", 21600, "", inv->id, "carol", "req-3"};
  auto paid = service_->ProcessPayment(pay);
  ASSERT_TRUE(paid.ok());
  ASSERT_TRUE(paid->approved);
  ASSERT_EQ(Count(), ++n);
  e = Last();
  EXPECT_EQ(e.action, "payment.process");
  EXPECT_EQ(e.entity_id, paid->payment.id);
  EXPECT_EQ(e.request_id, "req-3");
  EXPECT_EQ(J(e.after_json)["status"], "completed");
  EXPECT_EQ(J(e.after_json)["invoicesPaid"][0], inv->id);

  // payment.refund (partial)
  auto refund = service_->RefundPayment(paid->payment.id, 600, "goodwill", "dave", "req-4");
  ASSERT_TRUE(refund.ok());
  ASSERT_EQ(Count(), ++n);
  e = Last();
  EXPECT_EQ(e.action, "payment.refund");
  EXPECT_EQ(J(e.before_json)["refundedCents"], 0);
  EXPECT_EQ(J(e.after_json)["refundedCents"], 600);
  EXPECT_EQ(J(e.after_json)["refund"]["id"], refund->refund.id);
  EXPECT_EQ(J(e.after_json)["invoicesReopened"][0], inv->id);

  // invoice.mark_paid (the 600 still due)
  auto marked = service_->MarkInvoicePaid(inv->id, "bank_transfer", "erin", "req-5");
  ASSERT_TRUE(marked.ok());
  ASSERT_EQ(Count(), ++n);
  e = Last();
  EXPECT_EQ(e.action, "invoice.mark_paid");
  EXPECT_EQ(J(e.before_json)["status"], "pending");
  EXPECT_EQ(J(e.after_json)["status"], "paid");
  EXPECT_EQ(J(e.after_json)["payment"]["amountCents"], 600);

  // invoice.cancel
  auto other = service_->CreateInvoice({"CUST-001", {{"Extra", 1000, 5000}}, D("2026-12-31"), "", "", ""});
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(Count(), ++n);
  ASSERT_TRUE(service_->CancelInvoice(other->id, "frank", "req-6").ok());
  ASSERT_EQ(Count(), ++n);
  e = Last();
  EXPECT_EQ(e.action, "invoice.cancel");
  EXPECT_EQ(J(e.after_json)["status"], "cancelled");

  // A declined payment is a change (a failed payment is stored): audited with status failed.
  SetMode(ProcessorMode::kAlwaysDecline);
  auto declined = service_->ProcessPayment({"CUST-001", 1000, "", "", "gina", "req-7"});
  ASSERT_TRUE(declined.ok());
  ASSERT_FALSE(declined->approved);
  ASSERT_EQ(Count(), ++n);
  e = Last();
  EXPECT_EQ(e.action, "payment.process");
  EXPECT_EQ(J(e.after_json)["status"], "failed");
  SetMode(ProcessorMode::kAlwaysApprove);

  // Failed operations write nothing.
  EXPECT_FALSE(service_->CreateInvoice({"CUST-004", {{"X", 1000, 100}}, D("2026-12-31"), "", "", ""}).ok());
  EXPECT_FALSE(service_->CreateInvoice({"CUST-999", {{"X", 1000, 100}}, D("2026-12-31"), "", "", ""}).ok());
  EXPECT_FALSE(service_->UpdateInvoice(inv->id, up).ok());             // paid
  EXPECT_FALSE(service_->CancelInvoice(inv->id).ok());                 // paid
  EXPECT_FALSE(service_->CancelInvoice(other->id).ok());               // already cancelled
  EXPECT_FALSE(service_->MarkInvoicePaid(inv->id, "", "x").ok());      // already paid
  EXPECT_FALSE(service_->ProcessPayment({"CUST-999", 100, "", "", "", ""}).ok());
  EXPECT_FALSE(service_->RefundPayment("PAY-002", std::nullopt, "", "x").ok());  // failed payment
  EXPECT_FALSE(service_->RefundPayment("PAY-999", std::nullopt, "", "x").ok());
  EXPECT_EQ(Count(), n);

  int64_t rows = 0;
  EXPECT_EQ(Verify(&rows), 0);
  EXPECT_EQ(rows, int64_t(n));
  EXPECT_TRUE(service_->CheckInvariants().ok());
}

TEST_F(AuditTest, AuditRowIsInTheSameTransactionAsTheChange) {
  // Make every audit insert fail: the change itself must roll back with it.
  RawDb raw(path_.string());
  ASSERT_TRUE(raw.RefuseAuditInserts(true));
  auto inv = service_->CreateInvoice({"CUST-002", {{"X", 1000, 100}}, D("2026-12-31"), "", "", ""});
  EXPECT_FALSE(inv.ok());
  auto pay = service_->ProcessPayment({"CUST-001", 1000, "", "", "", ""});
  EXPECT_FALSE(pay.ok());
  ASSERT_TRUE(raw.RefuseAuditInserts(false));
  auto invoices = service_->ListInvoices("CUST-002", "");
  ASSERT_TRUE(invoices.ok());
  EXPECT_EQ(invoices->invoices.size(), 1u);  // only the seed invoice
  auto history = service_->History("CUST-001");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->payments.size(), 1u);  // only the seed payment
  // The invoice counter rolled back too: the next invoice is still INV-2026-001.
  auto next = service_->CreateInvoice({"CUST-002", {{"X", 1000, 100}}, D("2026-12-31"), "", "", ""});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->id, "INV-2026-001");
  EXPECT_EQ(Count(), 2u);
  EXPECT_EQ(Verify(), 0);
}

TEST_F(AuditTest, TriggersRefuseUpdateAndDelete) {
  RawDb raw(path_.string());
  std::string message;
  EXPECT_FALSE(raw.Exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1", &message));
  EXPECT_NE(message.find("audit_log is append-only"), std::string::npos) << message;
  EXPECT_FALSE(raw.Exec("DELETE FROM audit_log WHERE seq = 1", &message));
  EXPECT_NE(message.find("audit_log is append-only"), std::string::npos) << message;
  EXPECT_FALSE(raw.Exec("DELETE FROM audit_log", &message));
  EXPECT_EQ(Count(), 1u);
  EXPECT_EQ(Last().actor, "seed");
  EXPECT_EQ(Verify(), 0);
}

class TamperTest : public AuditTest {
 protected:
  void SetUp() override {
    AuditTest::SetUp();
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(service_->ProcessPayment({"CUST-001", 1000 + i, "", "", std::string("u").append(std::to_string(i)), ""}).ok());
    }
    ASSERT_EQ(Count(), 6u);
    ASSERT_EQ(Verify(), 0);
    raw_ = std::make_unique<RawDb>(path_.string());
    ASSERT_TRUE(raw_->DropAuditAppendOnlyTriggers());
  }
  std::unique_ptr<RawDb> raw_;
};

TEST_F(TamperTest, EditedRowIsFoundAtItsSeq) {
  ASSERT_TRUE(raw_->Exec("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3"));
  int64_t rows = 0;
  std::string why;
  EXPECT_EQ(Verify(&rows, &why), 3);
  EXPECT_EQ(rows, 2);
  EXPECT_NE(why.find("hash does not match"), std::string::npos) << why;
}

TEST_F(TamperTest, RehashedRowIsFoundAtTheNextRow) {
  AuditEntry row3 = All()[2];
  row3.after_json = R"({"amountCents":1})";
  row3.hash = *AuditHash(row3);
  ASSERT_TRUE(raw_->Exec("UPDATE audit_log SET after_json = " + SqlQuote(row3.after_json) +
                       ", hash = " + SqlQuote(row3.hash) + " WHERE seq = 3"));
  std::string why;
  EXPECT_EQ(Verify(nullptr, &why), 4);
  EXPECT_NE(why.find("prev_hash does not match the hash of row 3"), std::string::npos) << why;
}

TEST_F(TamperTest, TamperedOnBehalfOfIsFoundAtItsSeq) {
  PaymentRequest claimed{"CUST-001", 500, "", ""};
  claimed.actor = Actor{"key:bk_1a2b3c4d", "cometchat:ceo-of-company"};
  ASSERT_TRUE(service_->ProcessPayment(claimed).ok());
  ASSERT_EQ(Verify(), 0);
  EXPECT_EQ(Last().actor, "key:bk_1a2b3c4d");
  EXPECT_EQ(Last().on_behalf_of, "cometchat:ceo-of-company");
  EXPECT_EQ(Last().chain_version, 2);
  // Another name written into the claim is found at that row.
  ASSERT_TRUE(raw_->Exec("UPDATE audit_log SET on_behalf_of = 'cometchat:someone-else' WHERE seq = 7"));
  std::string why;
  EXPECT_EQ(Verify(nullptr, &why), 7);
  EXPECT_NE(why.find("hash does not match"), std::string::npos) << why;
}

TEST_F(TamperTest, AClaimAddedToAnUnclaimedRowOrADowngradedVersionIsFound) {
  ASSERT_TRUE(raw_->Exec("UPDATE audit_log SET on_behalf_of = 'cometchat:ceo' WHERE seq = 3"));
  EXPECT_EQ(Verify(), 3);
  ASSERT_TRUE(raw_->Exec("UPDATE audit_log SET on_behalf_of = '' WHERE seq = 3"));
  EXPECT_EQ(Verify(), 0);
  // Relabelling a v2 row as v1 (whose hash would not cover a claim) breaks its hash.
  ASSERT_TRUE(raw_->Exec("UPDATE audit_log SET chain_version = 1 WHERE seq = 4"));
  std::string why;
  EXPECT_EQ(Verify(nullptr, &why), 4);
}

TEST_F(TamperTest, DeletedRowIsFound) {
  ASSERT_TRUE(raw_->Exec("DELETE FROM audit_log WHERE seq = 4"));
  std::string why;
  EXPECT_EQ(Verify(nullptr, &why), 5);
  EXPECT_NE(why.find("follows seq 3"), std::string::npos) << why;
}

TEST_F(TamperTest, FirstRowTamperAndCommandReportIt) {
  ASSERT_TRUE(raw_->Exec("UPDATE audit_log SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 1"));
  EXPECT_EQ(Verify(), 1);
  std::ostringstream out, err;
  EXPECT_EQ(RunAuditCommand(path_.string(), {"verify"}, out, err), 1);
  EXPECT_EQ(out.str().rfind("audit chain broken at row 1: ", 0), 0u) << out.str();
}

TEST_F(AuditTest, ConcurrentWritersKeepAValidChain) {
  // Two stores with connection pools of their own on one file (as two processes would be), four
  // threads each writing through them.
  auto second = OpenSqliteStore({path_.string(), 4, 5000, /*share_pool=*/false});
  ASSERT_TRUE(second.ok());
  BillingOptions options;
  options.processor_mode = ProcessorMode::kAlwaysApprove;
  BillingService other(*second.value(), clock_, ids_, processor_, options);
  constexpr int kThreads = 4, kPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      BillingService& svc = (t % 2 == 0) ? *service_ : other;
      for (int i = 0; i < kPerThread; ++i) {
        auto r = svc.ProcessPayment(
            {std::string("CUST-00").append(std::to_string(1 + t % 3)), 100 + i, "", "", std::string("t").append(std::to_string(t)), ""});
        if (!r.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  int64_t rows = 0;
  EXPECT_EQ(Verify(&rows), 0);
  EXPECT_EQ(rows, 1 + kThreads * kPerThread);
  auto all = All();
  for (size_t k = 0; k < all.size(); ++k) EXPECT_EQ(all[k].seq, int64_t(k + 1));
}

TEST_F(AuditTest, VerifyWalksSeveralBatches) {
  for (int i = 0; i < 520; ++i) {
    ASSERT_TRUE(service_->ProcessPayment({"CUST-002", 100, "", "", "", ""}).ok());
  }
  int64_t rows = 0;
  EXPECT_EQ(Verify(&rows), 0);
  EXPECT_EQ(rows, 521);
}

TEST_F(AuditTest, CommandVerifyAndList) {
  ASSERT_TRUE(service_->ProcessPayment({"CUST-001", 5000, "", "", "alice", "req-9"}).ok());
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunAuditCommand(path_.string(), {"verify"}, out, err), 0) << err.str();
    EXPECT_EQ(out.str(), "audit chain OK: 2 rows\n");
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunAuditCommand("", {"verify", "--db", path_.string()}, out, err), 0) << err.str();
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunAuditCommand(path_.string(), {"list", "--after", "1", "--limit", "5"}, out, err), 0);
    std::istringstream lines(out.str());
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line);
      EXPECT_EQ(j["seq"], 2);
      EXPECT_EQ(j["action"], "payment.process");
      EXPECT_EQ(j["actor"], "alice");
      EXPECT_EQ(j["requestId"], "req-9");
      EXPECT_EQ(j["after"]["amountCents"], 5000);
      ++count;
    }
    EXPECT_EQ(count, 1);
  }
  {
    std::ostringstream out, err;
    EXPECT_EQ(RunAuditCommand(path_.string(), {"list"}, out, err), 0);
    const std::string text = out.str();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  }
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{}, {"frobnicate"}, {"list", "--limit", "0"}, {"list", "--after"},
        {"verify", "--after", "1"}}) {
    std::ostringstream out, err;
    EXPECT_EQ(RunAuditCommand(path_.string(), bad, out, err), 2);
    EXPECT_FALSE(err.str().empty());
  }
  {
    std::string db = path_.string();
    char a0[] = "billing-agent", a1[] = "audit", a2[] = "verify", a3[] = "--db";
    char* argv[] = {a0, a1, a2, a3, db.data(), nullptr};
    EXPECT_TRUE(IsAuditCommand(5, argv));
    EXPECT_FALSE(IsAuditCommand(1, argv));
    EXPECT_EQ(RunAuditCommand(5, argv), 0);
  }
  std::ostringstream out, err;
  EXPECT_EQ(RunAuditCommand(path_.string() + ".missing", {"verify"}, out, err), 2);
  EXPECT_FALSE(std::filesystem::exists(path_.string() + ".missing"));
}

TEST_F(AuditTest, HttpListPagesThroughTheLog) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(service_->ProcessPayment({"CUST-001", 100, "", "", "", ""}).ok());
  }
  namespace bhttp = boost::beast::http;
  auto get = [&](const std::string& target) {
    http::HttpRequest req{bhttp::verb::get, target, 11};
    return http::AuditListResponse(*service_, req);
  };
  auto r = get("/api/audit?limit=2");
  ASSERT_EQ(r.result(), bhttp::status::ok);
  auto body = nlohmann::json::parse(r.body());
  ASSERT_EQ(body["entries"].size(), 2u);
  EXPECT_EQ(body["entries"][0]["action"], "seed.load");
  EXPECT_EQ(body["nextAfter"], 2);
  body = nlohmann::json::parse(get("/api/audit?after=2&limit=100").body());
  ASSERT_EQ(body["entries"].size(), 2u);
  EXPECT_EQ(body["entries"][1]["seq"], 4);
  EXPECT_EQ(body["entries"][1]["prevHash"], body["entries"][0]["hash"]);
  EXPECT_EQ(body["nextAfter"], 4);
  body = nlohmann::json::parse(get("/api/audit?after=4").body());
  EXPECT_TRUE(body["entries"].empty());
  EXPECT_EQ(body["nextAfter"], 4);
  EXPECT_EQ(get("/api/audit").result(), bhttp::status::ok);
  EXPECT_EQ(get("/api/audit?limit=101").result(), bhttp::status::bad_request);
  EXPECT_EQ(get("/api/audit?limit=0").result(), bhttp::status::bad_request);
  EXPECT_EQ(get("/api/audit?after=-1").result(), bhttp::status::bad_request);
  EXPECT_EQ(get("/api/audit?after=x").result(), bhttp::status::bad_request);
  http::HttpRequest post{bhttp::verb::post, "/api/audit", 11};
  EXPECT_EQ(http::AuditListResponse(*service_, post).result(), bhttp::status::method_not_allowed);
}

}  // namespace
}  // namespace billing
