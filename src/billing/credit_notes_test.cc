// Invoice drafts and credit notes (automated-billing.md "Invoice lifecycle", "Credit notes";
// docs/invoices.md): drafts have no number and owe nothing until finalized; credit notes are
// numbered CN-<year>-<seq>, credit tax in proportion, reduce the amount due first and refund or
// keep as credit what was paid; the customer's credit pays the next invoice. Every invariant
// (credit notes' and payments' applied amounts included) is checked after each step. Runs on
// both backends (pg.CreditNotesTest.*).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "billing/rules.h"
#include "billing/service.h"
#include "testing/seeded_ledger.h"
#include "testing/dates.h"

namespace billing {
namespace {

using test_support::D;

class CreditNotesTest : public test_support::SeededLedgerTest {
 protected:
  CreditNotesTest() : SeededLedgerTest("billing-cn-test") {}
  void SetUp() override {
    SeededLedgerTest::SetUp();  // payments always approved
    clock_.Set(D("2026-12-06").DaysSinceEpoch() * 86'400'000 + 43'200'000);
  }
  // An invoice of CUST-002 (no open invoices, nothing owed) for `cents` before 8% tax.
  Invoice NewInvoice(int64_t cents, bool draft = false, const char* customer = "CUST-002") {
    billing::NewInvoice req;
    req.customer_id = customer;
    req.items = {{"Consulting", 1000, cents}};
    req.due_date = D("2027-01-05");
    req.actor = Actor("dev");
    req.draft = draft;
    auto inv = service_->CreateInvoice(req);
    EXPECT_TRUE(inv.ok()) << inv.error().message;
    ExpectInvariants();
    return inv.ok() ? *inv : Invoice{};
  }
  Payment Pay(const std::string& invoice_id, int64_t cents, const char* customer = "CUST-002") {
    PaymentRequest req;
    req.customer_id = customer;
    req.invoice_id = invoice_id;
    req.amount_cents = cents;
    req.method = "bank_transfer";
    req.actor = Actor("dev");
    auto out = service_->ProcessPayment(req);
    EXPECT_TRUE(out.ok()) << out.error().message;
    ExpectInvariants();
    return out.ok() ? out->payment : Payment{};
  }
  Result<CreditNoteOutcome> Credit(const std::string& invoice_id, std::optional<int64_t> cents,
                                   const std::string& refund_to = "",
                                   std::vector<CreditLineRequest> lines = {}) {
    NewCreditNote req;
    req.invoice_id = invoice_id;
    req.amount_cents = cents;
    req.lines = std::move(lines);
    req.refund_to = refund_to;
    req.actor = Actor("dev");
    auto out = service_->CreateCreditNote(req);
    ExpectInvariants();
    return out;
  }
  int64_t Balance(const char* customer = "CUST-002") {
    auto v = service_->GetCustomer(customer);
    EXPECT_TRUE(v.ok());
    return v.ok() ? v->balance_cents : 0;
  }
  int64_t EventCount(const std::string& type) {
    auto events = service_->ListEvents("", type, 1000);
    EXPECT_TRUE(events.ok());
    return events.ok() ? int64_t(events->size()) : -1;
  }

};

TEST_F(CreditNotesTest, ADraftHasNoNumberOwesNothingAndFinalizesIntoTheNextNumber) {
  const int64_t balance = Balance();
  const Invoice before = NewInvoice(10000);  // INV-2026-001
  EXPECT_EQ(before.id, "INV-2026-001");
  const Invoice draft = NewInvoice(50000, /*draft=*/true);
  EXPECT_EQ(draft.id, "draft_1");
  EXPECT_EQ(draft.status, "draft");
  EXPECT_EQ(draft.total_cents, 54000);  // preview with the customer's rate
  EXPECT_EQ(AmountDueCents(draft), 0);
  EXPECT_EQ(Balance(), balance + 10800);  // the draft owes nothing
  auto listed = service_->ListInvoices("CUST-002", "");
  ASSERT_TRUE(listed.ok());
  for (const Invoice& inv : listed->invoices) EXPECT_NE(inv.id, "draft_1");
  auto drafts = service_->ListInvoices("", "draft");
  ASSERT_TRUE(drafts.ok());
  ASSERT_EQ(drafts->totals.count, 1);
  EXPECT_EQ(drafts->totals.by_currency.at(0).total_cents, 54000);
  EXPECT_EQ(drafts->invoices[0].id, "draft_1");

  // Freely editable: lines and due date.
  InvoiceUpdate up;
  up.items = std::vector<NewLineItem>{{"Consulting", 2000, 30000}};
  auto edited = service_->UpdateInvoice("DRAFT-1", up, Actor("dev"));
  ASSERT_TRUE(edited.ok()) << edited.error().message;
  EXPECT_EQ(edited->total_cents, 64800);
  ExpectInvariants();

  // Another invoice numbered meanwhile: the draft takes the next number when finalized.
  NewInvoice(2000);  // INV-2026-002
  auto final = service_->FinalizeInvoice("draft_1", Actor("dev"));
  ASSERT_TRUE(final.ok()) << final.error().message;
  EXPECT_EQ(final->id, "INV-2026-003");
  EXPECT_EQ(final->status, "pending");
  EXPECT_EQ(final->total_cents, 64800);
  EXPECT_EQ(final->issue_date, D("2026-12-06"));
  ExpectInvariants();
  EXPECT_EQ(Balance(), balance + 10800 + 2160 + 64800);
  // The draft's id now names the invoice; the draft is gone from the drafts.
  auto by_draft_id = service_->GetInvoice("draft_1");
  ASSERT_TRUE(by_draft_id.ok());
  EXPECT_EQ(by_draft_id->id, "INV-2026-003");
  EXPECT_EQ(service_->ListInvoices("", "draft")->totals.count, 0);
  // Finalized: immutable once paid, and never finalized twice.
  auto again = service_->FinalizeInvoice("draft_1", Actor("dev"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().field, "invoiceId");
  // Events: invoice.created for the draft, invoice.finalized for the invoice.
  auto events = service_->ListEvents("", "invoice.finalized", 1000);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->back().object_id, "INV-2026-003");
  auto created = service_->ListEvents("", "invoice.created", 1000);
  bool draft_created = false;
  for (const Event& e : *created) draft_created |= e.object_id == "draft_1";
  EXPECT_TRUE(draft_created);
}

TEST_F(CreditNotesTest, DraftsAreDeletedNotCancelledAndFinalizeChecksTheDueDate) {
  const Invoice draft = NewInvoice(50000, /*draft=*/true);
  // Due date passed by the time it is finalized: refused, nothing changes.
  clock_.Set(D("2027-01-06").DaysSinceEpoch() * 86'400'000);
  auto late = service_->FinalizeInvoice(draft.id, Actor("dev"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().field, "dueDate");
  EXPECT_EQ(service_->GetInvoice(draft.id)->status, "draft");
  // A draft is not owed: no payment, no credit note.
  EXPECT_FALSE(Credit(draft.id, 100).ok());
  // Cancel deletes it.
  auto gone = service_->CancelInvoice(draft.id, Actor("dev"));
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ(gone->status, "deleted");
  auto read = service_->GetInvoice(draft.id);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(EventCount("invoice.deleted"), 1);
  EXPECT_FALSE(service_->DeleteDraft("INV-2025-001", Actor("dev")).ok());
  ExpectInvariants();
}

TEST_F(CreditNotesTest, ACreditNoteOnAnOpenInvoiceReducesWhatIsDueWithTaxInProportion) {
  const Invoice inv = NewInvoice(100000);  // $1,000 + $80 = $1,080
  const int64_t balance = Balance();
  auto cn = Credit(inv.id, 5000);  // $50 of the total, tax included
  ASSERT_TRUE(cn.ok()) << cn.error().message;
  EXPECT_EQ(cn->credit_note.id, "CN-2026-001");
  EXPECT_EQ(cn->credit_note.total_cents, 5000);
  EXPECT_EQ(cn->credit_note.tax_cents, 370);  // 5000 * 8000 / 108000 = 370.37
  EXPECT_EQ(cn->credit_note.subtotal_cents, 4630);
  EXPECT_EQ(cn->credit_note.due_reduced_cents, 5000);
  EXPECT_EQ(cn->invoice.credited_cents, 5000);
  EXPECT_EQ(AmountDueCents(cn->invoice), 103000);
  EXPECT_EQ(Balance(), balance - 5000);
  // The rest, credited in full: the tax credited adds up to the invoice's tax exactly.
  auto rest = Credit(inv.id, 103000);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_EQ(rest->credit_note.id, "CN-2026-002");
  EXPECT_EQ(rest->credit_note.tax_cents, 8000 - 370);
  EXPECT_EQ(rest->invoice.status, "paid");  // nothing is due on it any more
  EXPECT_EQ(AmountDueCents(rest->invoice), 0);
  EXPECT_EQ(Balance(), balance - 108000);
  // Nothing left to credit.
  auto more = Credit(inv.id, 1);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error().field, "invoiceId");
  EXPECT_EQ(EventCount("credit_note.created"), 2);
}

TEST_F(CreditNotesTest, OnAPaidInvoiceTheExcessIsRefundedNewestPaymentFirst) {
  const Invoice inv = NewInvoice(100000);  // $1,080
  const Payment first = Pay(inv.id, 60000);
  const Payment second = Pay(inv.id, 48000);
  ASSERT_EQ(service_->GetInvoice(inv.id)->status, "paid");
  const int64_t balance = Balance();
  // Unsaid where the money goes: refused, nothing changes.
  auto unsaid = Credit(inv.id, 50000);
  ASSERT_FALSE(unsaid.ok());
  EXPECT_EQ(unsaid.error().field, "refundTo");
  EXPECT_EQ(service_->GetInvoice(inv.id)->credited_cents, 0);

  auto cn = Credit(inv.id, 50000, "refund");
  ASSERT_TRUE(cn.ok()) << cn.error().message;
  EXPECT_EQ(cn->credit_note.refunded_cents, 50000);
  EXPECT_EQ(cn->credit_note.due_reduced_cents, 0);
  ASSERT_EQ(cn->refunds.size(), 2u);  // $480 from the newest payment, $20 from the first
  EXPECT_EQ(cn->refunds[0].payment_id, second.id);
  EXPECT_EQ(cn->refunds[0].amount_cents, 48000);
  EXPECT_EQ(cn->refunds[1].payment_id, first.id);
  EXPECT_EQ(cn->refunds[1].amount_cents, 2000);
  EXPECT_EQ(cn->invoice.status, "paid");  // still nothing due: it stays paid
  EXPECT_EQ(AmountDueCents(cn->invoice), 0);
  EXPECT_EQ(Balance(), balance);  // the money went back: nothing owed, no credit
  auto history = service_->History("CUST-002");
  ASSERT_TRUE(history.ok());
  for (const Payment& p : history->payments) {
    if (p.id == second.id) {
      EXPECT_EQ(p.status, "refunded");
    } else if (p.id == first.id) {
      EXPECT_EQ(p.status, "partially_refunded");
    }
  }
}

TEST_F(CreditNotesTest, KeptAsCreditTheNextInvoiceUsesItBeforeItIsOwed) {
  const Invoice inv = NewInvoice(100000);  // $1,080
  Pay(inv.id, 108000);
  const int64_t balance = Balance();
  auto cn = Credit(inv.id, 30000, "credit");
  ASSERT_TRUE(cn.ok()) << cn.error().message;
  EXPECT_EQ(cn->credit_note.credit_cents, 30000);
  EXPECT_TRUE(cn->refunds.empty());
  EXPECT_EQ(cn->new_balance_cents, balance - 30000);  // a credit of $300
  EXPECT_EQ(cn->invoice.status, "paid");

  // The next invoice ($216) is paid from the credit at once; the one after ($108 of $324) in part.
  const Invoice next = NewInvoice(20000);
  EXPECT_EQ(next.status, "paid");
  EXPECT_EQ(next.paid_cents, 21600);
  const Invoice after = NewInvoice(30000);
  EXPECT_EQ(after.status, "pending");
  EXPECT_EQ(after.paid_cents, 30000 - 21600);
  EXPECT_EQ(AmountDueCents(after), 32400 - 8400);
  EXPECT_EQ(Balance(), balance - 30000 + 21600 + 32400);
}

TEST_F(CreditNotesTest, LinesCreditQuantitiesOfTheInvoicesLines) {
  billing::NewInvoice req;
  req.customer_id = "CUST-002";
  req.items = {{"Seats", 10000, 2500}, {"Setup", 1000, 10000}};  // 10 x $25 + $100 = $350
  req.due_date = D("2027-01-05");
  req.actor = Actor("dev");
  auto inv = service_->CreateInvoice(req);
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->total_cents, 37800);
  // 3 seats: $75 + 8% = $81.
  auto three = Credit(inv->id, std::nullopt, "", {{1, 3000}});
  ASSERT_TRUE(three.ok()) << three.error().message;
  EXPECT_EQ(three->credit_note.subtotal_cents, 7500);
  EXPECT_EQ(three->credit_note.tax_cents, 600);
  ASSERT_EQ(three->credit_note.lines.size(), 1u);
  EXPECT_EQ(three->credit_note.lines[0].description, "Seats");
  // More seats than are left: refused, naming the line.
  auto too_many = Credit(inv->id, std::nullopt, "", {{1, 8000}});
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().field, "lines[0].quantity");
  auto no_line = Credit(inv->id, std::nullopt, "", {{3, 0}});
  ASSERT_FALSE(no_line.ok());
  EXPECT_EQ(no_line.error().field, "lines[0].line");
  // Everything left of both lines: the invoice ends credited in full, tax included.
  auto rest = Credit(inv->id, std::nullopt, "", {{1, 0}, {2, 0}});
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_EQ(rest->invoice.credited_cents, 37800);
  EXPECT_EQ(three->credit_note.tax_cents + rest->credit_note.tax_cents, 2800);
}

TEST_F(CreditNotesTest, BadRequestsNameTheFieldAndChangeNothing) {
  const Invoice inv = NewInvoice(10000);  // $108
  struct Case {
    std::optional<int64_t> amount;
    std::vector<CreditLineRequest> lines;
    std::string refund_to;
    const char* id;
    const char* field;
  };
  const Case cases[] = {
      {std::nullopt, {}, "", "", "amount"},        // neither amount nor lines
      {100, {{1, 0}}, "", "", "amount"},           // both
      {0, {}, "", "", "amount"},                   // zero
      {10801, {}, "", "", "amount"},               // more than the invoice
      {100, {}, "wire", "", "refundTo"},           // unknown destination
      {100, {}, "", "INV-2099-001", "invoiceId"},  // no such invoice
      {100, {}, "", "draft_99", "invoiceId"},      // no such draft
  };
  for (const Case& c : cases) {
    NewCreditNote req;
    req.invoice_id = *c.id ? c.id : inv.id;
    req.amount_cents = c.amount;
    req.lines = c.lines;
    req.refund_to = c.refund_to;
    auto out = service_->CreateCreditNote(req);
    ASSERT_FALSE(out.ok()) << c.field;
    EXPECT_EQ(out.error().field, c.field) << out.error().message;
  }
  ASSERT_TRUE(service_->CancelInvoice(NewInvoice(500).id, Actor("dev")).ok());
  EXPECT_FALSE(Credit("INV-2026-002", 100).ok());  // cancelled
  EXPECT_EQ(service_->GetInvoice(inv.id)->credited_cents, 0);
  EXPECT_EQ(EventCount("credit_note.created"), 0);
  ExpectInvariants();
  // A credited invoice is no longer edited or cancelled.
  ASSERT_TRUE(Credit(inv.id, 100).ok());
  InvoiceUpdate up;
  up.notes = "x";
  EXPECT_FALSE(service_->UpdateInvoice(inv.id, up, Actor("dev")).ok());
  EXPECT_FALSE(service_->CancelInvoice(inv.id, Actor("dev")).ok());
}

TEST_F(CreditNotesTest, AnOperationKeyIssuesTheNoteOnce) {
  const Invoice inv = NewInvoice(10000);
  NewCreditNote req;
  req.invoice_id = inv.id;
  req.amount_cents = 1000;
  req.operation_key = "op-cn-1";
  auto first = service_->CreateCreditNote(req);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = service_->CreateCreditNote(req);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->credit_note.id, first->credit_note.id);
  EXPECT_EQ(service_->GetInvoice(inv.id)->credited_cents, 1000);
  req.amount_cents = 2000;  // the same key for another note
  auto other = service_->CreateCreditNote(req);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);
  ExpectInvariants();
}

TEST_F(CreditNotesTest, ConcurrentNotesForTheLastAmountHaveOneWinner) {
  const Invoice inv = NewInvoice(10000);  // $108
  constexpr int kThreads = 4;
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      NewCreditNote req;
      req.invoice_id = inv.id;
      req.amount_cents = 6000;  // two of them would exceed the $108
      req.actor = Actor("dev");
      if (service_->CreateCreditNote(req).ok()) ++won;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(service_->GetInvoice(inv.id)->credited_cents, 6000);
  ExpectInvariants();
}

}  // namespace
}  // namespace billing
