// Exact counts and totals at a size far past one page (issue #16): one customer gets 5,200
// invoices, 5,100 payments and 1,100 declined payments through the tool routes, over three runs
// of the real binary on one SQLite file (approve, then decline, then a later "today" so that most
// invoices are overdue). Every count and total the tools and the agent report is compared with
// the sums this test computes from what it created, plus the customer's sample rows (read once,
// at the start, in a page that holds them all).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "e2e/server_harness.h"
#include "testing/test_backend.h"
#include "money/money.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

constexpr const char* kCustomer = "CUST-002";  // active, pays by bank transfer
constexpr int kInvoices = 5200;
constexpr int kPayments = 5100;  // payment k pays (part of) invoice k
constexpr int kDeclined = 1100;
constexpr int kClients = 4;  // concurrent HTTP clients: the server group-commits their writes

json Execute(ServerProcess& server, const std::string& tool, const json& data) {
  HttpResult r = server.PostJson("/api/tools/" + tool + "/execute", {{"data", data}});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.Json();
}

// Runs work(k) for k in [0, n) on kClients threads.
template <typename Work>
void Parallel(int n, Work work) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      for (int k = next++; k < n; k = next++) work(k);
    });
  }
  for (std::thread& t : threads) t.join();
}

struct CreatedInvoice {
  std::string id;
  std::string due_date;
  int64_t total_cents = 0;
  int64_t paid_cents = 0;
};

// Figures the test expects, summed from rows it knows.
struct Expected {
  int64_t invoices = 0, invoice_total_cents = 0, invoice_due_cents = 0;
  int64_t overdue = 0, overdue_total_cents = 0, overdue_due_cents = 0;
  int64_t payments = 0, paid_cents = 0, refunded_cents = 0;
  int64_t failed = 0, failed_cents = 0;
};

std::string DueDate(int k) {
  // Spread over 200 days from 2026-11-26 (the harness's "today" is 2026-11-25).
  static const int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int year = 2026, month = 11, day = 26 + k % 200;
  while (day > kDaysInMonth[month - 1]) {
    day -= kDaysInMonth[month - 1];
    if (++month == 13) month = 1, ++year;
  }
  auto two = [](int n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
  return std::to_string(year) + "-" + two(month) + "-" + two(day);
}

bool Has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(scale_e2e, ExactCountsAndTotalsPastOnePageThroughToolsAndAgent) {
  char tmpl[] = "/tmp/billing-scale-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string db_path = test_support::TestDbPath(dir + "/billing.db");
  Expected want;
  std::vector<CreatedInvoice> invoices(kInvoices);
  const std::string later_today = "2027-03-01";

  // The customer's sample rows, each page holding all of them.
  json base_invoices, base_payments, base_failed;
  {
    ServerProcess server({}, {}, db_path);
    ASSERT_TRUE(server.started()) << server.Log();
    base_invoices =
        Execute(server, "manage-invoices", {{"action", "list"}, {"customerId", kCustomer}});
    base_payments =
        Execute(server, "process-payment", {{"action", "history"}, {"customerId", kCustomer}});
    base_failed =
        Execute(server, "process-payment", {{"action", "list_failed"}, {"customerId", kCustomer}});
    ASSERT_FALSE(base_invoices.value("hasMore", true));
    ASSERT_FALSE(base_payments.value("hasMore", true));
    ASSERT_FALSE(base_failed.value("hasMore", true));

    // 5,200 invoices.
    std::atomic<int> failures{0};
    Parallel(kInvoices, [&](int k) {
      const int64_t price_cents = 1000 + (int64_t(k) * 37) % 5000;
      json r = Execute(server, "manage-invoices",
                       {{"action", "create"},
                        {"customerId", kCustomer},
                        {"amount", FormatDecimal(price_cents, 2)},
                        {"description", "Scale line " + std::to_string(k)},
                        {"dueDate", DueDate(k)}});
      if (!r.value("success", false)) {
        if (failures++ < 3) ADD_FAILURE() << r.dump();
        return;
      }
      invoices[k] = {r["invoice"]["id"], DueDate(k), r["invoice"]["totalCents"].get<int64_t>(), 0};
    });
    ASSERT_EQ(failures.load(), 0);

    // 5,100 payments, each on its own invoice: every third pays it in full, the others half.
    Parallel(kPayments, [&](int k) {
      CreatedInvoice& inv = invoices[k];
      const int64_t amount = k % 3 == 0 ? inv.total_cents : inv.total_cents / 2;
      json r = Execute(server, "process-payment",
                       {{"action", "process"},
                        {"customerId", kCustomer},
                        {"invoiceId", inv.id},
                        {"paymentMethod", "bank_transfer"},
                        {"amount", FormatDecimal(amount, 2)}});
      if (!r.value("success", false) || r["payment"]["amountCents"] != amount) {
        if (failures++ < 3) ADD_FAILURE() << r.dump();
        return;
      }
      inv.paid_cents = amount;
    });
    ASSERT_EQ(failures.load(), 0);
  }
  {
    // 1,100 declined payments.
    ServerProcess server({{"BILLING_PAYMENT_MODE", "decline"}}, {}, db_path);
    ASSERT_TRUE(server.started()) << server.Log();
    std::atomic<int> failures{0};
    std::atomic<int64_t> declined_cents{0};
    Parallel(kDeclined, [&](int k) {
      const int64_t amount = 500 + k;
      json r = Execute(server, "process-payment",
                       {{"action", "process"},
                        {"customerId", kCustomer},
                        {"paymentMethod", "bank_transfer"},
                        {"amount", FormatDecimal(amount, 2)}});
      if (!r.value("declined", false)) {
        if (failures++ < 3) ADD_FAILURE() << r.dump();
        return;
      }
      declined_cents += amount;
    });
    ASSERT_EQ(failures.load(), 0);
    want.failed_cents = declined_cents.load();
  }

  // What the test expects "today" = 2027-03-01.
  auto add_invoice = [&](const std::string& status, const std::string& due_date, int64_t total,
                         int64_t due) {
    ++want.invoices;
    want.invoice_total_cents += total;
    want.invoice_due_cents += status == "cancelled" ? 0 : due;
    if ((status == "pending" || status == "overdue") && due > 0 && due_date < later_today) {
      ++want.overdue;
      want.overdue_total_cents += total;
      want.overdue_due_cents += due;
    }
  };
  for (const json& inv : base_invoices["invoices"]) {
    add_invoice(inv["status"], inv["dueDate"], inv["totalCents"], inv["amountDueCents"]);
  }
  for (const CreatedInvoice& inv : invoices) {
    const int64_t due = inv.total_cents - inv.paid_cents;
    add_invoice(due == 0 ? "paid" : "pending", inv.due_date, inv.total_cents, due);
  }
  want.payments = base_payments["count"].get<int64_t>() + kPayments + kDeclined;
  want.paid_cents = base_payments["totalPaidCents"].get<int64_t>();
  want.refunded_cents = base_payments["totalRefundedCents"].get<int64_t>();
  for (int k = 0; k < kPayments; ++k) want.paid_cents += invoices[k].paid_cents;
  want.failed = base_failed["count"].get<int64_t>() + kDeclined;
  want.failed_cents += base_failed["totalFailedCents"].get<int64_t>();
  ASSERT_GT(want.overdue, 1000);  // the old silent cap

  ServerProcess server({{"BILLING_TODAY", later_today}}, {}, db_path);
  ASSERT_TRUE(server.started()) << server.Log();

  // Through the tool routes.
  json all = Execute(server, "manage-invoices", {{"action", "list"}, {"customerId", kCustomer}});
  EXPECT_EQ(all["count"], want.invoices);
  EXPECT_EQ(all["returned"], 100);
  EXPECT_EQ(all["hasMore"], true);
  EXPECT_EQ(all["totalCents"], want.invoice_total_cents);
  EXPECT_EQ(all["amountDueCents"], want.invoice_due_cents);

  json overdue = Execute(server, "manage-invoices",
                         {{"action", "list"}, {"customerId", kCustomer}, {"status", "overdue"}});
  EXPECT_EQ(overdue["count"], want.overdue);
  EXPECT_EQ(overdue["totalCents"], want.overdue_total_cents);
  EXPECT_EQ(overdue["amountDueCents"], want.overdue_due_cents);

  // The last page of the overdue list ends exactly at the count.
  const int64_t last_offset = (want.overdue - 1) / 100 * 100;
  json last = Execute(server, "manage-invoices",
                      {{"action", "list"},
                       {"customerId", kCustomer},
                       {"status", "overdue"},
                       {"offset", last_offset}});
  EXPECT_EQ(last["returned"], want.overdue - last_offset);
  EXPECT_EQ(last["hasMore"], false);

  json history =
      Execute(server, "process-payment", {{"action", "history"}, {"customerId", kCustomer}});
  EXPECT_EQ(history["count"], want.payments);
  EXPECT_EQ(history["totalPaidCents"], want.paid_cents);
  EXPECT_EQ(history["totalRefundedCents"], want.refunded_cents);

  json failed =
      Execute(server, "process-payment", {{"action", "list_failed"}, {"customerId", kCustomer}});
  EXPECT_EQ(failed["count"], want.failed);
  EXPECT_EQ(failed["totalFailedCents"], want.failed_cents);

  json customer = Execute(server, "get-customer", {{"customerId", kCustomer}});
  int64_t open_count = 0, open_due = 0;
  for (const json& inv : base_invoices["invoices"]) {
    if (inv["status"] == "pending" || inv["status"] == "overdue") {
      ++open_count;
      open_due += inv["amountDueCents"].get<int64_t>();
    }
  }
  for (const CreatedInvoice& inv : invoices) {
    if (inv.total_cents > inv.paid_cents) {
      ++open_count;
      open_due += inv.total_cents - inv.paid_cents;
    }
  }
  EXPECT_EQ(customer["customer"]["openInvoiceCount"], open_count);
  EXPECT_EQ(customer["customer"]["overdueInvoiceCount"], want.overdue);
  EXPECT_EQ(customer["customer"]["openAmountDueCents"], open_due);

  // Through the agent (the local planner): the text names the page and the exact totals.
  auto ask = [&](const std::string& prompt) {
    HttpResult r = server.Ask(prompt);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().value("text", std::string());
  };
  std::string text = ask("Show payment history for customer CUST-002");
  EXPECT_TRUE(Has(text, "Showing the newest 50 of " + FormatCount(want.payments) + " payments"))
      << text.substr(0, 400);
  EXPECT_TRUE(Has(text, "Total paid: " + FormatMoney(want.paid_cents, Usd()))) << text;
  EXPECT_TRUE(Has(text, "over all " + FormatCount(want.payments) + " payments")) << text;

  text = ask("Show overdue invoices for CUST-002");
  EXPECT_TRUE(Has(text, "Found " + FormatCount(want.overdue) + " invoice(s)"))
      << text.substr(0, 400);
  EXPECT_TRUE(Has(text, "Showing the first 50 of " + FormatCount(want.overdue) + " invoices"))
      << text.substr(0, 400);
  EXPECT_TRUE(Has(text, "Total: " + FormatMoney(want.overdue_total_cents, Usd()) +
                            "; still due: " + FormatMoney(want.overdue_due_cents, Usd())))
      << text;

  text = ask("Show failed payments for CUST-002");
  EXPECT_TRUE(Has(text, "Found " + FormatCount(want.failed) + " failed payment(s)"))
      << text.substr(0, 400);
  EXPECT_TRUE(Has(text, "Total failed: " + FormatMoney(want.failed_cents, Usd()))) << text;

  text = ask("Show billing details for customer CUST-002");
  EXPECT_TRUE(Has(text, "across " + FormatCount(open_count) + " open invoices (" +
                            FormatCount(want.overdue) + " overdue)"))
      << text.substr(0, 600);
  EXPECT_TRUE(Has(text, "of " + FormatCount(open_count) +
                            "; amount due over all of them: " + FormatMoney(open_due, Usd())))
      << text.substr(0, 600);

  std::error_code ec;
  if (std::getenv("BILLING_E2E_KEEP") == nullptr) std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace billing::e2e
