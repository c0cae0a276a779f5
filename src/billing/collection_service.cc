// Automatic collection, retries and dunning (automated-billing.md "Collection, retries, dunning";
// docs/collection.md): BillingService::OpenCollection, CollectDue, RunDunning, ListDunning and
// the hooks that keep subscriptions' status and customers' dunning in step with the ledger
// (AfterInvoiceSettled, RefreshSubscriptionStatus, EvaluateDunning). The rules themselves (the
// retry schedule, hard declines, the steps due) are in collection_rules.h.
//
// Every charge, step and status change commits with its events and audit rows; a run commits in
// bounded batches and a run cut off is simply run again: a collection's next_attempt_date and a
// dunning step's key (invoice, day) make each happen once.
#include <map>
#include <string>
#include <vector>

#include "billing/audit.h"
#include "billing/collection_rules.h"
#include "billing/rules.h"
#include "billing/service.h"
#include "billing/service_internal.h"
#include "billing/transaction_id.h"

namespace billing {
namespace {

using internal::Change;
using internal::Money;

constexpr int kCollectBatch = 20;           // collections charged per write transaction
constexpr int kOverdueBatch = 100;          // invoices marked overdue per write transaction
constexpr int kDunningBatch = 100;          // customers in dunning evaluated per write transaction
constexpr int64_t kMaxBatches = 1'000'000;  // bound on the batches of one pass
constexpr int kMaxStepsShown = 16;

// The collection's state once its invoice is no longer owed.
const char* SettledState(const Invoice& inv) {
  return inv.status == "paid" ? "paid" : "stopped";
}

}  // namespace

ChargeDecision BillingService::Decide(const ChargeRequest& request) {
  if (options_.processor != nullptr) return options_.processor->Charge(request);
  if (Approve()) return ChargeDecision{true, ""};
  return ChargeDecision{false, "card_declined"};
}

Status BillingService::OpenCollection(StoreTx& tx, const Subscription& sub, const Invoice& inv) {
  Collection c;
  c.invoice_id = inv.id;
  c.subscription_id = sub.id;
  c.customer_id = inv.customer_id;
  c.method = sub.collection;
  c.issued_date = inv.issue_date;
  c.updated_at = clock_.NowIso8601();
  if (AmountDueCents(inv) == 0) {
    c.state = SettledState(inv);  // settled on issue by the customer's credit or a coupon
  } else if (sub.collection == "automatic") {
    c.state = "scheduled";
    c.next_attempt_date = inv.issue_date.ToString();  // charged when it is finalized
  } else {
    c.state = "awaiting_payment";
  }
  return tx.InsertCollection(c);
}

Status BillingService::RefreshSubscriptionStatus(StoreTx& tx, const std::string& subscription_id,
                                                 const Date& today, const Actor& actor,
                                                 const std::string& request_id) {
  BILLING_ASSIGN_OR_RETURN(std::optional<Subscription> sub, tx.FindSubscription(subscription_id));
  if (!sub || sub->status == "canceled") return OkStatus();
  BILLING_ASSIGN_OR_RETURN(std::optional<Collection> latest,
                           tx.LatestCollectionOf(subscription_id));
  if (!latest) return OkStatus();
  BILLING_ASSIGN_OR_RETURN(std::optional<Invoice> inv, tx.FindInvoice(latest->invoice_id));
  if (!inv) return Error::Internal("collection of a missing invoice " + latest->invoice_id);
  const bool declined = latest->state == "retrying" || latest->state == "hard_declined" ||
                        latest->state == "exhausted";
  const bool owed = inv->status == "pending" && AmountDueCents(*inv) > 0;
  const std::string want = owed && (declined || inv->due_date < today) ? "past_due" : "active";
  if (sub->status == want) return OkStatus();
  const nlohmann::json before = SubscriptionAuditJson(*sub);
  sub->status = want;
  return SaveSubscription(tx, *sub, "subscription.update",
                          want == "past_due" ? "subscription.past_due" : "subscription.updated",
                          before, actor, request_id, "");
}

Status BillingService::AfterInvoiceSettled(StoreTx& tx, const Invoice& inv, const Actor& actor,
                                           const std::string& request_id, bool evaluate_dunning) {
  const Date today = Today();
  BILLING_ASSIGN_OR_RETURN(std::optional<Collection> c, tx.FindCollection(inv.id));
  if (c) {
    if (c->state == "awaiting_payment" || c->state == "scheduled" || c->state == "retrying" ||
        c->state == "hard_declined" || c->state == "exhausted") {
      c->state = SettledState(inv);
      c->next_attempt_date.clear();  // retries stop once it is paid, cancelled or credited
      c->updated_at = clock_.NowIso8601();
      BILLING_TRY(tx.UpdateCollection(*c));
    }
    BILLING_TRY(RefreshSubscriptionStatus(tx, c->subscription_id, today, actor, request_id));
  }
  if (!evaluate_dunning) return OkStatus();
  return EvaluateDunning(tx, inv.customer_id, today, actor, request_id, false, nullptr);
}

Status BillingService::EvaluateDunning(StoreTx& tx, const std::string& customer_id,
                                       const Date& today, const Actor& actor,
                                       const std::string& request_id, bool take_steps,
                                       BillingRunReport* counts) {
  BILLING_ASSIGN_OR_RETURN(std::optional<DunningCase> dcase, tx.FindDunningCase(customer_id));
  if (!dcase) return OkStatus();
  BILLING_ASSIGN_OR_RETURN(Customer customer, RequireCustomer(tx, customer_id, "customerId"));
  BILLING_ASSIGN_OR_RETURN(std::optional<std::string> oldest_id,
                           tx.OldestDunnedInvoice(customer_id));
  if (!oldest_id) {
    // Nothing dunned is owed any more: the case closes, and a suspension by dunning ends with it
    // (a suspension by hand, which dunning never recorded as its own, stays).
    BILLING_TRY(tx.DeleteDunningCase(customer_id));
    if (dcase->suspended_by_dunning && customer.status == "suspended") {
      const nlohmann::json before = CustomerAuditJson(customer);
      BILLING_TRY(tx.SetCustomerStatus(customer.id, "active"));
      customer.status = "active";
      nlohmann::json after = CustomerAuditJson(customer);
      after["reason"] = "dunning";
      BILLING_TRY(Emit(tx, "customer.reinstated", "customer", customer.id, after, request_id, ""));
      BILLING_TRY(Audit(tx, Change(actor, request_id, "customer.reinstate", "customer", customer.id,
                                   before, after)));
      if (counts != nullptr) ++counts->customers_reinstated;
    }
    return OkStatus();
  }
  BILLING_ASSIGN_OR_RETURN(std::optional<Invoice> inv, tx.FindInvoice(*oldest_id));
  if (!inv) return Error::Internal("dunned invoice " + *oldest_id + " is missing");
  const int64_t days_past_due = today.DaysSinceEpoch() - inv->due_date.DaysSinceEpoch();
  const std::vector<DunningStep> due = StepsDue(options_.dunning, days_past_due);
  DunningCase next = *dcase;
  if (take_steps) {
    for (const DunningStep& step : due) {
      BILLING_ASSIGN_OR_RETURN(
          bool first, tx.InsertDunningStep(
                          DunningStepRecord{inv->id, step.day, step.action, customer.id, today}));
      if (!first) continue;  // each step once per invoice
      const nlohmann::json data = {{"customerId", customer.id},
                                   {"company", customer.company},
                                   {"invoiceId", inv->id},
                                   {"dueDate", inv->due_date.ToString()},
                                   {"daysPastDue", days_past_due},
                                   {"amountDueCents", AmountDueCents(*inv)},
                                   {"currency", inv->currency},
                                   {"step", {{"day", step.day}, {"action", step.action}}}};
      BILLING_TRY(
          Emit(tx, "dunning." + step.action, "customer", customer.id, data, request_id, ""));
      if (counts != nullptr) ++counts->dunning_steps;
      if (step.action == "suspend" && customer.status == "active") {
        const nlohmann::json before = CustomerAuditJson(customer);
        BILLING_TRY(tx.SetCustomerStatus(customer.id, "suspended"));
        customer.status = "suspended";
        next.suspended_by_dunning = true;
        nlohmann::json after = CustomerAuditJson(customer);
        after["reason"] = "dunning";
        after["invoiceId"] = inv->id;
        BILLING_TRY(Emit(tx, "customer.suspended", "customer", customer.id, after, request_id, ""));
        BILLING_TRY(Audit(tx, Change(actor, request_id, "customer.suspend", "customer", customer.id,
                                     before, after)));
        if (counts != nullptr) ++counts->customers_suspended;
      }
    }
    next.next_step_date.clear();
  } else if (!due.empty()) {
    // Steps may have come for this invoice that no run took yet (the customer's oldest dunned
    // invoice just changed): the next run looks (each step's key keeps it once).
    next.next_step_date = today.ToString();
  }
  // The day the next step comes, so that runs visit only the cases with something to do.
  if (next.next_step_date.empty()) {
    for (const DunningStep& step : options_.dunning) {
      if (step.day > days_past_due) {
        next.next_step_date =
            Date::FromDaysSinceEpoch(inv->due_date.DaysSinceEpoch() + step.day).ToString();
        break;
      }
    }
  }
  if (next.next_step_date != dcase->next_step_date ||
      next.suspended_by_dunning != dcase->suspended_by_dunning) {
    BILLING_TRY(tx.PutDunningCase(next));
  }
  return OkStatus();
}

Status BillingService::CollectDue(const Date& as_of, const Actor& actor,
                                  const std::string& request_id, BillingRunReport* report) {
  // Decided once per charge, even when a batch's body runs again (store.h): the processor's
  // answer and the transaction id.
  std::map<std::string, std::pair<ChargeDecision, std::string>> decided;
  for (int64_t batch = 0; batch < kMaxBatches; ++batch) {
    if (batch == 0) {
      // A look first, in a read: most runs of the timer have nothing to charge.
      bool any = false;
      BILLING_TRY(store_.Read([&](StoreTx& tx) -> Status {
        BILLING_ASSIGN_OR_RETURN(std::vector<Collection> due, tx.DueCollections(as_of, 1));
        any = !due.empty();
        return OkStatus();
      }));
      if (!any) return OkStatus();
    }
    BillingRunReport counts;
    size_t rows = 0;
    BILLING_TRY(store_.Write([&](StoreTx& tx) -> Status {
      counts = BillingRunReport{};
      BILLING_ASSIGN_OR_RETURN(std::vector<Collection> due,
                               tx.DueCollections(as_of, kCollectBatch));
      rows = due.size();
      for (Collection& c : due) {
        BILLING_ASSIGN_OR_RETURN(std::optional<Invoice> inv, tx.FindInvoice(c.invoice_id));
        if (!inv) return Error::Internal("collection of a missing invoice " + c.invoice_id);
        c.updated_at = clock_.NowIso8601();
        const int64_t amount = AmountDueCents(*inv);
        if (inv->status != "pending" || amount == 0) {
          c.state = SettledState(*inv);
          c.next_attempt_date.clear();
          BILLING_TRY(tx.UpdateCollection(c));
          continue;
        }
        BILLING_ASSIGN_OR_RETURN(Customer customer,
                                 RequireCustomer(tx, c.customer_id, "customerId"));
        // The customer's newest stored card if there is one, else its default method.
        BILLING_ASSIGN_OR_RETURN(
            std::vector<StoredCard> cards,
            tx.ListStoredCards(customer.id, 0, internal::kMaxStoredCardsPerCustomer));
        Payment p;
        BILLING_ASSIGN_OR_RETURN(p.number, tx.NextPaymentNumber());
        p.id = PaymentId(p.number);
        p.customer_id = customer.id;
        p.currency = customer.currency;
        p.invoice_id = inv->id;
        p.amount_cents = amount;
        p.method = customer.payment_method;
        ChargeRequest request{customer.id, inv->id, amount,         customer.currency,
                              p.method,    "",      c.attempts + 1, as_of};
        bool card_expired = false;
        if (!cards.empty()) {
          const StoredCard& card = cards.back();
          p.method = request.method = "credit_card";
          p.payment_method_id = request.payment_method_id = card.id;
          p.card_brand = card.brand;
          p.card_last4 = card.last4;
          card_expired = card.exp_year < as_of.year ||
                         (card.exp_year == as_of.year && card.exp_month < as_of.month);
        }
        const std::string key = c.invoice_id + "#" + std::to_string(request.attempt);
        auto it = decided.find(key);
        if (it == decided.end()) {
          // An expired card is declined as a processor would decline it, without a call.
          const ChargeDecision decision =
              card_expired ? ChargeDecision{false, "expired_card"} : Decide(request);
          it = decided.emplace(key, std::make_pair(decision, NewTransactionId(ids_))).first;
        }
        const ChargeDecision& decision = it->second.first;
        p.transaction_id = it->second.second;
        p.created_at = clock_.NowIso8601();
        p.actor = actor.principal;
        ++counts.charges;
        ++c.attempts;
        p.attempt = c.attempts;  // the payment success report tells first attempts from retries
        nlohmann::json paid_invoice;
        if (decision.approved) {
          p.status = "completed";
          BILLING_TRY(tx.InsertPayment(p));
          Allocation a{0, p.id, inv->id, amount, 0};
          BILLING_TRY(tx.InsertAllocation(a));
          p.allocations.push_back(a);
          inv->paid_cents += amount;
          inv->status = "paid";
          inv->paid_date = as_of.ToString();
          inv->payment_method = p.method;
          inv->updated_by = actor.principal;
          inv->updated_on_behalf_of = "";
          BILLING_TRY(tx.UpdateInvoice(*inv));
          paid_invoice = InvoiceAuditJson(*inv);
          c.state = "paid";
          c.next_attempt_date.clear();
          c.last_decline_code.clear();
        } else {
          ++counts.charges_declined;
          p.status = "failed";
          p.failure_reason = "Declined by the payment processor: " + decision.decline_code +
                             " (automatic collection, attempt " + std::to_string(c.attempts) + ")";
          BILLING_TRY(tx.InsertPayment(p));
          if (c.first_decline_date.empty()) c.first_decline_date = as_of.ToString();
          c.last_decline_code = decision.decline_code;
          Date first;
          Date::Parse(c.first_decline_date, &first);
          const std::optional<Date> next =
              IsHardDecline(decision.decline_code)
                  ? std::nullopt
                  : NextRetryDate(options_.retry_days, first, c.attempts - 1);
          if (next) {
            c.state = "retrying";
            c.next_attempt_date = next->ToString();
          } else {
            c.state = IsHardDecline(decision.decline_code) ? "hard_declined" : "exhausted";
            c.next_attempt_date.clear();
          }
        }
        BILLING_TRY(tx.UpdateCollection(c));
        const nlohmann::json payment = PaymentAuditJson(p);
        BILLING_TRY(Emit(tx, decision.approved ? "payment.succeeded" : "payment.failed", "payment",
                         p.id, payment, request_id, ""));
        if (decision.approved) {
          BILLING_TRY(Emit(tx, "invoice.paid", "invoice", inv->id, paid_invoice, request_id, ""));
        } else if (c.state == "retrying") {
          ++counts.retries_scheduled;
          BILLING_TRY(Emit(tx, "payment.retry_scheduled", "invoice", inv->id,
                           {{"invoiceId", inv->id},
                            {"subscriptionId", c.subscription_id},
                            {"paymentId", p.id},
                            {"attempt", c.attempts},
                            {"declineCode", c.last_decline_code},
                            {"nextAttemptDate", c.next_attempt_date}},
                           request_id, ""));
        }
        nlohmann::json after = payment;
        after["collection"] = {{"invoiceId", c.invoice_id},
                               {"state", c.state},
                               {"attempts", c.attempts},
                               {"nextAttemptDate", c.next_attempt_date},
                               {"declineCode", c.last_decline_code}};
        BILLING_TRY(Audit(
            tx, Change(actor, request_id, "payment.collect", "payment", p.id, nullptr, after)));
        BILLING_TRY(RefreshSubscriptionStatus(tx, c.subscription_id, as_of, actor, request_id));
        if (decision.approved) {
          BILLING_TRY(EvaluateDunning(tx, customer.id, as_of, actor, request_id, false, &counts));
        }
      }
      return OkStatus();
    }));
    report->charges += counts.charges;
    report->charges_declined += counts.charges_declined;
    report->retries_scheduled += counts.retries_scheduled;
    report->dunning_steps += counts.dunning_steps;
    report->customers_reinstated += counts.customers_reinstated;
    if (rows > 0) ++report->batches;
    if (rows < size_t(kCollectBatch)) return OkStatus();
  }
  return Error::Internal("collection did not finish within its batch bound");
}

Status BillingService::RunDunning(const Date& as_of, const Actor& actor,
                                  const std::string& request_id, BillingRunReport* report) {
  // Invoices seen overdue for the first time: invoice.overdue once each, and their customers
  // enter dunning.
  for (int64_t batch = 0; batch < kMaxBatches; ++batch) {
    if (batch == 0) {
      bool any = false;
      BILLING_TRY(store_.Read([&](StoreTx& tx) -> Status {
        BILLING_ASSIGN_OR_RETURN(std::vector<std::string> ids, tx.NewlyOverdueInvoices(as_of, 1));
        any = !ids.empty();
        return OkStatus();
      }));
      if (!any) break;
    }
    int64_t marked = 0;
    size_t rows = 0;
    BILLING_TRY(store_.Write([&](StoreTx& tx) -> Status {
      marked = 0;
      BILLING_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                               tx.NewlyOverdueInvoices(as_of, kOverdueBatch));
      rows = ids.size();
      for (const std::string& id : ids) {
        BILLING_ASSIGN_OR_RETURN(std::optional<Invoice> inv, tx.FindInvoice(id));
        if (!inv) return Error::Internal("overdue invoice " + id + " is missing");
        BILLING_TRY(tx.SetOverdueState(id, 1));
        nlohmann::json data = InvoiceAuditJson(*inv);
        data["status"] = "overdue";
        data["amountDueCents"] = AmountDueCents(*inv);
        BILLING_TRY(Emit(tx, "invoice.overdue", "invoice", id, data, request_id, ""));
        ++marked;
        if (!options_.dunning.empty()) {
          BILLING_ASSIGN_OR_RETURN(std::optional<DunningCase> open,
                                   tx.FindDunningCase(inv->customer_id));
          if (!open) {
            BILLING_TRY(
                tx.PutDunningCase(DunningCase{inv->customer_id, as_of, false, as_of.ToString()}));
          }
        }
        BILLING_ASSIGN_OR_RETURN(std::optional<Collection> c, tx.FindCollection(id));
        if (c) {
          BILLING_TRY(RefreshSubscriptionStatus(tx, c->subscription_id, as_of, actor, request_id));
        }
      }
      return OkStatus();
    }));
    report->invoices_overdue += marked;
    if (rows > 0) ++report->batches;
    if (rows < size_t(kOverdueBatch)) break;
  }
  // The customers in dunning whose next step has come (each evaluation moves its case's
  // next_step_date past `as_of` or clears it, so every batch makes progress).
  for (int64_t batch = 0; batch < kMaxBatches; ++batch) {
    std::vector<DunningCase> cases;
    BILLING_TRY(store_.Read([&](StoreTx& tx) -> Status {
      BILLING_ASSIGN_OR_RETURN(cases, tx.DueDunningCases(as_of, kDunningBatch));
      return OkStatus();
    }));
    if (cases.empty()) return OkStatus();
    BillingRunReport counts;
    BILLING_TRY(store_.Write([&](StoreTx& tx) -> Status {
      counts = BillingRunReport{};
      for (const DunningCase& dcase : cases) {
        BILLING_TRY(
            EvaluateDunning(tx, dcase.customer_id, as_of, actor, request_id, true, &counts));
      }
      return OkStatus();
    }));
    report->dunning_steps += counts.dunning_steps;
    report->customers_suspended += counts.customers_suspended;
    report->customers_reinstated += counts.customers_reinstated;
    ++report->batches;
    if (cases.size() < size_t(kDunningBatch)) return OkStatus();
  }
  return Error::Internal("dunning did not finish within its batch bound");
}

Result<DunningList> BillingService::ListDunning(const PageSpec& page) {
  BILLING_TRY(internal::CheckPage(page));
  DunningList out;
  const Date today = Today();
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    out = DunningList{};
    BILLING_ASSIGN_OR_RETURN(out.count, tx.CountDunningCases());
    // Cases by customer id; the page's offset is walked in pages of the case list.
    std::string after;
    int64_t skipped = 0;
    for (int64_t round = 0; round < kMaxBatches && int64_t(out.cases.size()) < page.limit;
         ++round) {
      BILLING_ASSIGN_OR_RETURN(std::vector<DunningCase> cases,
                               tx.ListDunningCases(after, kMaxPageRows));
      for (const DunningCase& dcase : cases) {
        if (skipped < page.offset) {
          ++skipped;
          continue;
        }
        if (int64_t(out.cases.size()) == page.limit) break;
        DunningView v;
        BILLING_ASSIGN_OR_RETURN(v.customer, RequireCustomer(tx, dcase.customer_id, "customerId"));
        v.dunning_case = dcase;
        BILLING_ASSIGN_OR_RETURN(std::optional<std::string> oldest,
                                 tx.OldestDunnedInvoice(dcase.customer_id));
        if (oldest) {
          BILLING_ASSIGN_OR_RETURN(v.oldest_invoice, tx.FindInvoice(*oldest));
        }
        if (v.oldest_invoice) {
          v.days_past_due = DaysOverdue(*v.oldest_invoice, today);
          v.amount_due_cents = AmountDueCents(*v.oldest_invoice);
          BILLING_ASSIGN_OR_RETURN(v.steps, tx.DunningStepsOf(*oldest, kMaxStepsShown));
        }
        out.cases.push_back(std::move(v));
      }
      if (cases.size() < size_t(kMaxPageRows)) break;
      after = cases.back().customer_id;
    }
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace billing
