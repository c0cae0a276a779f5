// BillingService::RunBilling (billing/service.h): finalizes the period drafts whose grace period
// ended (draft_service.cc), then bills every subscription period that started on or before a date
// and has no invoice yet (automated-billing.md "Billing runs"), then collects and duns.
//
// Exactly once: each period handled is inserted into subscription_periods, whose key is
// (subscription, period start), in the same transaction as its invoice, and every write holds the
// writers' lock (SQLite's single writer; PostgreSQL's advisory lock), so a run repeated, two runs
// at once or two instances never bill a period twice; a conflict on that key rolls the batch back
// and the next run finds the period handled. A run commits in batches of kRunBatch subscriptions,
// so a run cut off (crash, SIGKILL) keeps what it committed and is simply run again.
#include <set>
#include <string>
#include <vector>

#include "billing/audit.h"
#include "billing/periods.h"
#include "billing/service.h"
#include "billing/service_internal.h"

namespace billing {
namespace {

using internal::Change;

constexpr int kRunBatch = 20;  // subscriptions per write transaction
// Bound on the batches of one run: 10 million subscriptions' worth.
constexpr int64_t kMaxRunBatches = 10'000'000 / kRunBatch;

// What one batch did; merged into the report only once its transaction committed.
struct BatchResult {
  int64_t subscriptions = 0, billed = 0, skipped = 0, canceled = 0, plan_changes = 0;
  std::vector<std::string> invoice_ids;
  std::vector<std::string> capped;
  std::string last_date;
  int64_t last_number = 0;
  size_t rows = 0;
};

}  // namespace

Result<BillingRunReport> BillingService::RunBilling(const Date& as_of, const Actor& actor,
                                                    const std::string& request_id) {
  // Invoices are issued on their period's start: a run ahead of today would issue invoices dated
  // in the future. Tests and demos move today itself (an injected clock, BILLING_TODAY).
  if (Today() < as_of) {
    return Error::Invalid("asOf", "asOf " + as_of.ToString() + " is after today (" +
                                      Today().ToString() +
                                      "); a run bills periods that have started");
  }
  BillingRunReport report;
  report.as_of = as_of;
  // Period drafts whose grace period ended become invoices first (and are collected below).
  BILLING_TRY(FinalizeDueDrafts(actor, request_id, &report));
  std::set<std::string> capped;  // handled to the bound in this run: not again in this run
  std::string after_date;
  int64_t after_number = 0;
  for (int64_t batch = 0; batch < kMaxRunBatches; ++batch) {
    // A look first, in a read: a run with nothing due (most runs of the timer) writes nothing.
    // Later batches follow a full one, so something was due: the write itself looks.
    if (batch == 0) {
      bool any_due = false;
      Status peek = store_.Read([&](StoreTx& tx) -> Status {
        BILLING_ASSIGN_OR_RETURN(std::vector<Subscription> due,
                                 tx.DueSubscriptions({as_of, after_date, after_number}, 1));
        any_due = !due.empty();
        return OkStatus();
      });
      if (!peek.ok()) return peek.error();
      if (!any_due) break;
    }
    BatchResult r;
    Status s = store_.Write([&](StoreTx& tx) -> Status {
      r = BatchResult{};  // a re-run (store.h) starts from nothing
      BILLING_ASSIGN_OR_RETURN(std::vector<Subscription> due,
                               tx.DueSubscriptions({as_of, after_date, after_number}, kRunBatch));
      r.rows = due.size();
      for (Subscription& sub : due) {
        r.last_date = sub.next_bill_date;
        r.last_number = sub.number;
        if (capped.count(sub.id) > 0) continue;
        BILLING_ASSIGN_OR_RETURN(Customer customer,
                                 RequireCustomer(tx, sub.customer_id, "customerId"));
        ++r.subscriptions;
        int periods = 0;
        while (!sub.next_bill_date.empty() && sub.next_bill_date <= as_of.ToString()) {
          if (periods == kMaxPeriodsPerRun) {
            r.capped.push_back(sub.id);
            break;
          }
          // What was set to happen at this period start happens before it is billed.
          if (sub.periods_billed > 0 && sub.cancel_at_period_end) {
            const nlohmann::json before = SubscriptionAuditJson(sub);
            sub.status = "canceled";
            sub.canceled_at = sub.next_bill_date;
            sub.next_bill_date.clear();
            sub.pending_plan_id.clear();
            sub.pending_quantity = 0;
            BILLING_TRY(SaveSubscription(tx, sub, "subscription.cancel", "subscription.canceled",
                                         before, actor, request_id, ""));
            ++r.canceled;
            break;
          }
          if (!sub.pending_plan_id.empty()) {
            const nlohmann::json before = SubscriptionAuditJson(sub);
            sub.plan_id = sub.pending_plan_id;
            sub.quantity = sub.pending_quantity;
            sub.pending_plan_id.clear();
            sub.pending_quantity = 0;
            BILLING_TRY(SaveSubscription(tx, sub, "subscription.update", "subscription.updated",
                                         before, actor, request_id, ""));
            ++r.plan_changes;
          }
          BILLING_ASSIGN_OR_RETURN(std::optional<Plan> plan, tx.FindPlan(sub.plan_id));
          if (!plan) return Error::Internal("subscription " + sub.id + " names a missing plan");
          std::optional<Invoice> inv;
          BILLING_TRY(BillPeriod(tx, sub, *plan, customer, actor, request_id, "", &inv));
          ++periods;
          if (inv) {
            ++r.billed;
            if (report.invoice_ids.size() + r.invoice_ids.size() < size_t(kMaxPageRows)) {
              r.invoice_ids.push_back(inv->id);
            }
          } else {
            ++r.skipped;
          }
        }
      }
      return OkStatus();
    });
    if (!s.ok()) return s.error();
    report.batches += r.rows > 0 ? 1 : 0;
    report.subscriptions += r.subscriptions;
    report.periods_billed += r.billed;
    report.periods_skipped += r.skipped;
    report.canceled += r.canceled;
    report.plan_changes += r.plan_changes;
    report.invoice_ids.insert(report.invoice_ids.end(), r.invoice_ids.begin(), r.invoice_ids.end());
    for (const std::string& id : r.capped) {
      capped.insert(id);
      report.capped.push_back(id);
    }
    if (r.rows < size_t(kRunBatch)) break;
    after_date = r.last_date;
    after_number = r.last_number;
  }
  // Then what the day asks of the invoices: charges and retries due, overdue marks, dunning.
  BILLING_TRY(CollectDue(as_of, actor, request_id, &report));
  BILLING_TRY(RunDunning(as_of, actor, request_id, &report));
  return report;
}

}  // namespace billing
