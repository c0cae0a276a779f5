// BillingService over a real SQLite file: every rule of billing-rules.md, with all invariants
// checked after every operation.
#include "billing/service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include "billing/rules.h"
#include "store/backend.h"
#include "testing/test_backend.h"
#include "testing/dates.h"

namespace billing {
namespace {

constexpr int64_t kNov25_2026NoonMs = 1795608000000;  // 2026-11-25T12:00:00Z

using test_support::D;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = test_support::TestDbPath((std::filesystem::temp_directory_path() /
            ("billing-service-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db")).string());
    Cleanup();
    auto store = OpenStore({path_.string(), 4});
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store.value());
    BillingOptions options;
    options.processor_mode = ProcessorMode::kAlwaysApprove;
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, options);
    ASSERT_TRUE(service_->SeedIfEmpty().ok());
    ExpectInvariants();
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }
  void ExpectInvariants() {
    Status s = service_->CheckInvariants();
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  int64_t Balance(const std::string& id) {
    auto v = service_->GetCustomer(id);
    EXPECT_TRUE(v.ok());
    return v.ok() ? v->balance_cents : -1;
  }
  void SetMode(ProcessorMode mode) {
    BillingOptions options = service_->options();
    options.processor_mode = mode;
    service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, options);
  }

  std::filesystem::path path_;
  FixedClock clock_{kNov25_2026NoonMs};
  SeededRandom ids_{42};
  SeededRandom processor_{7};
  std::unique_ptr<Store> store_;
  std::unique_ptr<BillingService> service_;
};

TEST_F(ServiceTest, SeedBalancesComeFromTheLedger) {
  EXPECT_EQ(Balance("CUST-001"), 245000);
  EXPECT_EQ(Balance("CUST-002"), 0);
  EXPECT_EQ(Balance("CUST-003"), 87550);
  EXPECT_EQ(Balance("CUST-004"), 120000);
  EXPECT_EQ(Balance("cust-001"), 245000);  // ids are case-insensitive
  auto inv = service_->GetInvoice("INV-2025-001");
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(EffectiveStatus(*inv, service_->Today()), "overdue");
  EXPECT_EQ(DaysOverdue(*inv, service_->Today()), 406);
  // Seeding twice changes nothing.
  ASSERT_TRUE(service_->SeedIfEmpty().ok());
  EXPECT_EQ(Balance("CUST-001"), 245000);
}

TEST_F(ServiceTest, CreateInvoiceComputesTaxAndNumbersPerYear) {
  NewInvoice req{"cust-002", {{"Monthly subscription services", 1000, 150000}}, D("2026-12-15"), ""};
  auto inv = service_->CreateInvoice(req);
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  EXPECT_EQ(inv->id, "INV-2026-001");
  EXPECT_EQ(inv->subtotal_cents, 150000);
  EXPECT_EQ(inv->tax_cents, 12000);
  EXPECT_EQ(inv->total_cents, 162000);
  EXPECT_EQ(Balance("CUST-002"), 162000);
  ExpectInvariants();
  auto second = service_->CreateInvoice(req);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->id, "INV-2026-002");
  ExpectInvariants();
}

TEST_F(ServiceTest, LineItemsWithQuantities) {
  NewInvoice req{"CUST-001",
                 {{"Premium Plan", 1000, 19900}, {"Setup Fee", 1000, 5000}, {"Additional Storage units", 2000, 2500}},
                 D("2026-12-01"),
                 ""};
  auto inv = service_->CreateInvoice(req);
  ASSERT_TRUE(inv.ok());
  ASSERT_EQ(inv->items.size(), 3u);
  EXPECT_EQ(inv->items[2].amount_cents, 5000);
  EXPECT_EQ(inv->subtotal_cents, 29900);
  EXPECT_EQ(inv->tax_cents, 2392);
  EXPECT_EQ(inv->total_cents, 32292);
  ExpectInvariants();
}

TEST_F(ServiceTest, CreateInvoiceRulesChangeNothing) {
  const NewLineItem line{"Consulting", 1000, 10000};
  auto past = service_->CreateInvoice({"CUST-002", {line}, D("2025-11-15"), ""});
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().field, "dueDate");
  EXPECT_NE(past.error().message.find("must be in the future"), std::string::npos);
  auto today = service_->CreateInvoice({"CUST-002", {line}, D("2026-11-25"), ""});
  EXPECT_FALSE(today.ok());
  auto unknown = service_->CreateInvoice({"CUST-999", {line}, D("2026-12-31"), ""});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto suspended = service_->CreateInvoice({"CUST-004", {line}, D("2026-12-31"), ""});
  ASSERT_FALSE(suspended.ok());
  EXPECT_NE(suspended.error().message.find("suspended"), std::string::npos);
  auto empty = service_->CreateInvoice({"CUST-002", {}, D("2026-12-31"), ""});
  EXPECT_FALSE(empty.ok());
  auto zero = service_->CreateInvoice({"CUST-002", {{"Free", 1000, 0}}, D("2026-12-31"), ""});
  EXPECT_FALSE(zero.ok());
  auto huge = service_->CreateInvoice({"CUST-002", {{"Big", 1000, 100'000'001}}, D("2026-12-31"), ""});
  EXPECT_FALSE(huge.ok());
  EXPECT_EQ(Balance("CUST-002"), 0);
  auto list = service_->ListInvoices("", "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->invoices.size(), 5u);  // the sample's
  EXPECT_EQ(list->totals.count, 5);
  // A failed creation does not burn an invoice number.
  auto ok = service_->CreateInvoice({"CUST-002", {line}, D("2026-12-31"), ""});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->id, "INV-2026-001");
  ExpectInvariants();
}

TEST_F(ServiceTest, ShortInvoiceIdsResolveOrListCandidates) {
  auto inv = service_->GetInvoice("inv-001");
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->id, "INV-2025-001");
  ASSERT_TRUE(service_->CreateInvoice({"CUST-002", {{"X", 1000, 100}}, D("2026-12-31"), ""}).ok());
  auto ambiguous = service_->GetInvoice("INV-001");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, ErrorCode::kAmbiguous);
  EXPECT_EQ(ambiguous.error().candidates, (std::vector<std::string>{"INV-2025-001", "INV-2026-001"}));
  auto none = service_->GetInvoice("INV-077");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
}

TEST_F(ServiceTest, OverdueListIsDerivedOnRead) {
  auto overdue = service_->ListInvoices("", "overdue");
  ASSERT_TRUE(overdue.ok());
  ASSERT_EQ(overdue->invoices.size(), 2u);
  EXPECT_EQ(overdue->totals.count, 2);
  EXPECT_EQ(overdue->totals.by_currency.at(0).overdue_count, 2);
  EXPECT_EQ(overdue->totals.by_currency.at(0).total_cents, 245000 + 87550);
  EXPECT_EQ(overdue->invoices[0].id, "INV-2025-003");  // oldest due first
  EXPECT_EQ(overdue->invoices[1].id, "INV-2025-001");
  auto pending = service_->ListInvoices("", "pending");
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->invoices.empty());
  EXPECT_EQ(pending->totals.count, 0);
  clock_.Set(1759579200000);  // 2025-10-04: INV-2025-001 is not yet due
  auto early = service_->ListInvoices("", "overdue");
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->invoices.size(), 1u);
  EXPECT_EQ(early->totals.count, 1);
}

TEST_F(ServiceTest, MarkPaidRecordsACompletedPaymentInOneTransaction) {
  auto out = service_->MarkInvoicePaid("INV-001", "bank_transfer", "test");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->invoice.status, "paid");
  EXPECT_EQ(out->payment.amount_cents, 245000);
  EXPECT_EQ(out->payment.method, "bank_transfer");
  EXPECT_EQ(out->payment.status, "completed");
  EXPECT_EQ(out->payment.id, "PAY-007");  // after the sample's six
  EXPECT_EQ(Balance("CUST-001"), 0);
  ExpectInvariants();
  auto again = service_->MarkInvoicePaid("INV-2025-001", "", "test");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already paid"), std::string::npos);
  auto edit = service_->UpdateInvoice("INV-2025-001", {D("2026-12-31"), std::nullopt, std::nullopt});
  EXPECT_FALSE(edit.ok());  // a paid invoice is never edited
  auto cancel = service_->CancelInvoice("INV-2025-001");
  EXPECT_FALSE(cancel.ok());
  ExpectInvariants();
}

TEST_F(ServiceTest, PaymentWithoutInvoiceSettlesOldestFirst) {
  // CUST-003 owes 875.50 on INV-2025-003.
  auto out = service_->ProcessPayment({"CUST-003", 75000, "credit_card", "", "test"});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_TRUE(out->approved);
  EXPECT_EQ(out->new_balance_cents, 12550);
  ASSERT_EQ(out->payment.allocations.size(), 1u);
  EXPECT_EQ(out->payment.allocations[0].invoice_id, "INV-2025-003");
  EXPECT_TRUE(out->payment.transaction_id.rfind("txn_", 0) == 0);
  EXPECT_EQ(out->payment.transaction_id.size(), 4u + 24u);  // 96 bits
  auto inv = service_->GetInvoice("INV-2025-003");
  EXPECT_EQ(inv->status, "pending");  // partial: still open
  EXPECT_EQ(AmountDueCents(*inv), 12550);
  ExpectInvariants();
  // Overpaying leaves a credit, shown as a negative balance.
  auto over = service_->ProcessPayment({"CUST-003", 20000, "", "", "test"});
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->new_balance_cents, -7450);
  EXPECT_EQ(service_->GetInvoice("INV-2025-003")->status, "paid");
  ExpectInvariants();
}

TEST_F(ServiceTest, PaymentForAnInvoiceMayNotExceedWhatIsDue) {
  auto too_much = service_->ProcessPayment({"CUST-001", 245001, "credit_card", "INV-001", "t"});
  ASSERT_FALSE(too_much.ok());
  EXPECT_EQ(too_much.error().field, "amount");
  auto other = service_->ProcessPayment({"CUST-002", 100, "credit_card", "INV-2025-001", "t"});
  EXPECT_FALSE(other.ok());
  auto full = service_->ProcessPayment({"CUST-001", 245000, "credit_card", "INV-001", "t"});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(service_->GetInvoice("INV-2025-001")->status, "paid");
  EXPECT_EQ(full->new_balance_cents, 0);
  ExpectInvariants();
}

TEST_F(ServiceTest, PaymentValidation) {
  EXPECT_FALSE(service_->ProcessPayment({"CUST-999", 100, "", "", ""}).ok());
  EXPECT_FALSE(service_->ProcessPayment({"CUST-001", 0, "", "", ""}).ok());
  EXPECT_FALSE(service_->ProcessPayment({"CUST-001", -5, "", "", ""}).ok());
  EXPECT_FALSE(service_->ProcessPayment({"CUST-001", 100, "cheque", "", ""}).ok());
  // Suspended customers may pay down their debt.
  auto suspended = service_->ProcessPayment({"CUST-004", 20000, "paypal", "", ""});
  ASSERT_TRUE(suspended.ok());
  EXPECT_EQ(suspended->new_balance_cents, 100000);
  ExpectInvariants();
}

TEST_F(ServiceTest, DeclinedPaymentIsStoredAsFailedAndChangesNoBalance) {
  SetMode(ProcessorMode::kAlwaysDecline);
  auto out = service_->ProcessPayment({"CUST-003", 75000, "credit_card", "", ""});
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->approved);
  EXPECT_EQ(out->payment.status, "failed");
  EXPECT_FALSE(out->payment.failure_reason.empty());
  EXPECT_EQ(out->new_balance_cents, 87550);
  auto failed = service_->FailedPayments("");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->payments.size(), 4u);
  EXPECT_EQ(failed->totals.count, 4);
  EXPECT_EQ(failed->payments.front().id, out->payment.id);  // newest first
  ExpectInvariants();
}

TEST_F(ServiceTest, RandomProcessorApprovesAboutNinetyPercent) {
  SetMode(ProcessorMode::kRandom);
  int approved = 0;
  for (int i = 0; i < 200; ++i) {
    auto out = service_->ProcessPayment({"CUST-002", 100, "", "", ""});
    ASSERT_TRUE(out.ok());
    approved += out->approved;
  }
  EXPECT_GT(approved, 160);
  EXPECT_LT(approved, 200);
  ExpectInvariants();
}

TEST_F(ServiceTest, RefundsRestoreBalanceAndReopenTheInvoice) {
  // PAY-001 paid INV-2025-002 (750.00) for CUST-002.
  auto partial = service_->RefundPayment("pay-001", 25000, "Service credit");
  ASSERT_TRUE(partial.ok()) << partial.error().message;
  EXPECT_EQ(partial->payment.status, "partially_refunded");
  EXPECT_EQ(partial->new_balance_cents, 25000);
  EXPECT_EQ(partial->refund.id, "RFD-001");
  EXPECT_EQ(service_->GetInvoice("INV-2025-002")->status, "pending");
  ExpectInvariants();
  auto too_much = service_->RefundPayment("PAY-001", 50001, "");
  ASSERT_FALSE(too_much.ok());
  EXPECT_EQ(too_much.error().field, "amount");
  auto rest = service_->RefundPayment("PAY-001", std::nullopt, "");
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->refund.amount_cents, 50000);
  EXPECT_EQ(rest->payment.status, "refunded");
  EXPECT_EQ(rest->new_balance_cents, 75000);
  ExpectInvariants();
  auto again = service_->RefundPayment("PAY-001", std::nullopt, "");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already been fully refunded"), std::string::npos);
  auto failed = service_->RefundPayment("PAY-003", std::nullopt, "");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("nothing to refund"), std::string::npos);
  EXPECT_FALSE(service_->RefundPayment("PAY-999", std::nullopt, "").ok());
  ExpectInvariants();
}

TEST_F(ServiceTest, RefundTakesUnappliedCreditFirst) {
  auto pay = service_->ProcessPayment({"CUST-003", 100000, "", "", ""});  // 875.50 applied, 124.50 credit
  ASSERT_TRUE(pay.ok());
  auto refund = service_->RefundPayment(pay->payment.id, 12450, "");
  ASSERT_TRUE(refund.ok());
  EXPECT_EQ(refund->new_balance_cents, 0);
  EXPECT_EQ(service_->GetInvoice("INV-2025-003")->status, "paid");  // untouched
  auto more = service_->RefundPayment(pay->payment.id, 100, "");
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(service_->GetInvoice("INV-2025-003")->status, "pending");  // re-opened
  EXPECT_EQ(more->new_balance_cents, 100);
  ExpectInvariants();
}

TEST_F(ServiceTest, UpdateAndCancelOnlyWhileNothingIsPaid) {
  auto created = service_->CreateInvoice({"CUST-001", {{"Plan", 1000, 10000}}, D("2026-12-31"), ""});
  ASSERT_TRUE(created.ok());
  auto updated = service_->UpdateInvoice(created->id, {D("2027-01-31"), std::string("net 60"),
                                                       std::vector<NewLineItem>{{"Plan", 3000, 10000}}});
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->total_cents, 32400);
  EXPECT_EQ(updated->notes, "net 60");
  EXPECT_FALSE(service_->UpdateInvoice(created->id, {D("2020-01-01"), std::nullopt, std::nullopt}).ok());
  EXPECT_FALSE(service_->UpdateInvoice(created->id, {}).ok());
  ExpectInvariants();
  ASSERT_TRUE(service_->ProcessPayment({"CUST-001", 100, "", created->id, ""}).ok());
  EXPECT_FALSE(service_->UpdateInvoice(created->id, {std::nullopt, std::string("x"), std::nullopt}).ok());
  EXPECT_FALSE(service_->CancelInvoice(created->id).ok());
  auto other = service_->CreateInvoice({"CUST-001", {{"Plan", 1000, 10000}}, D("2026-12-31"), ""});
  const int64_t before = Balance("CUST-001");
  auto cancelled = service_->CancelInvoice(other->id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(Balance("CUST-001"), before - other->total_cents);
  EXPECT_FALSE(service_->CancelInvoice(other->id).ok());
  ExpectInvariants();
}

TEST_F(ServiceTest, CustomerFilters) {
  auto owing = service_->ListCustomers({"", "", "", true, std::nullopt});
  ASSERT_TRUE(owing.ok());
  ASSERT_EQ(owing->customers.size(), 3u);
  EXPECT_EQ(owing->totals.count, 3);
  EXPECT_EQ(owing->totals.by_currency.at(0).outstanding_cents, 245000 + 87550 + 120000);
  auto quarterly = service_->ListCustomers({"", "quarterly", "", std::nullopt, std::nullopt});
  ASSERT_EQ(quarterly->customers.size(), 2u);
  EXPECT_EQ(quarterly->customers.front().customer.id, "CUST-002");
  // Totals per currency: the USD and the JPY customer's, never added together.
  ASSERT_EQ(quarterly->totals.by_currency.size(), 2u);
  EXPECT_EQ(quarterly->totals.by_currency[0].currency, "JPY");
  EXPECT_EQ(quarterly->totals.by_currency[0].count, 1);
  EXPECT_EQ(quarterly->totals.by_currency[1].currency, "USD");
  CustomerQuery in_usd;
  in_usd.billing_cycle = "quarterly";
  in_usd.currency = "USD";
  auto quarterly_usd = service_->ListCustomers(in_usd);
  ASSERT_TRUE(quarterly_usd.ok());
  ASSERT_EQ(quarterly_usd->customers.size(), 1u);
  EXPECT_EQ(quarterly_usd->customers.front().customer.id, "CUST-002");
  ASSERT_EQ(quarterly_usd->totals.by_currency.size(), 1u);
  auto suspended = service_->ListCustomers({"suspended", "", "", std::nullopt, std::nullopt});
  ASSERT_EQ(suspended->customers.size(), 1u);
  auto min = service_->ListCustomers({"", "", "", std::nullopt, int64_t(100000)});
  EXPECT_EQ(min->customers.size(), 2u);
  EXPECT_EQ(min->totals.count, 2);
}

TEST_F(ServiceTest, ConcurrentCreationsGetDistinctConsecutiveNumbers) {
  constexpr int kThreads = 8, kPerThread = 5;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto inv = service_->CreateInvoice({"CUST-002", {{"X", 1000, 100}}, D("2026-12-31"), ""});
        ASSERT_TRUE(inv.ok());
        std::lock_guard lock(mu);
        ids.insert(inv->id);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(ids.size(), size_t(kThreads * kPerThread));
  for (int seq = 1; seq <= kThreads * kPerThread; ++seq) EXPECT_TRUE(ids.count(InvoiceId(2026, seq)));
  ExpectInvariants();
}

TEST_F(ServiceTest, ConcurrentRefundsNeverExceedThePayment) {
  std::vector<std::thread> threads;
  std::atomic<int> succeeded{0};
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&] {
      if (service_->RefundPayment("PAY-001", 10000, "").ok()) ++succeeded;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(succeeded.load(), 7);  // 7 x 100.00 <= 750.00 < 8 x 100.00
  ExpectInvariants();
}

TEST_F(ServiceTest, DataSurvivesReopen) {
  ASSERT_TRUE(service_->ProcessPayment({"CUST-003", 5000, "", "", ""}).ok());
  service_.reset();
  store_.reset();
  auto store = OpenStore({path_.string(), 4});
  ASSERT_TRUE(store.ok());
  store_ = std::move(store.value());
  service_ = std::make_unique<BillingService>(*store_, clock_, ids_, processor_, BillingOptions{});
  EXPECT_EQ(Balance("CUST-003"), 82550);
  ExpectInvariants();
}

}  // namespace
}  // namespace billing
