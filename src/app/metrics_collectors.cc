// The database's and exporters' figures for /metrics; see metrics_collectors.h.
#include "app/metrics_collectors.h"

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <spdlog/spdlog.h>

namespace billing {

namespace {

using observability::PrometheusWriter;

void WriteStoreStats(PrometheusWriter& out, const Store::Stats& stats) {
  out.Family("billing_store_writes_total", "Write transactions of the ledger's stores committed.",
             "counter");
  out.Sample("billing_store_writes_total", {}, int64_t(stats.writes));
  out.Family("billing_group_commit_writes",
             "Writes per committed group (one commit, one fsync, for up to 64 writers).",
             "histogram");
  std::vector<double> bounds;
  std::vector<uint64_t> counts;
  for (size_t i = 0; i < stats.group_sizes.size(); ++i) {
    bounds.push_back(double(uint64_t{1} << i));
    counts.push_back(stats.group_sizes[i]);
  }
  counts.push_back(0);  // no group is larger than 64
  out.Histogram("billing_group_commit_writes", {}, bounds, counts, std::to_string(stats.writes));
}

// Payments by outcome, method and attempt, from the report counters (an index range of one
// row per month, method, currency and attempt kind; never the payments themselves).
Status WritePayments(PrometheusWriter& out, StoreTx& tx) {
  BILLING_ASSIGN_OR_RETURN(std::vector<PaymentAttemptRow> rows,
                           tx.PaymentAttemptMonths("0000-01", "9999-12"));
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> totals;
  for (const PaymentAttemptRow& row : rows) {
    const std::string attempt = row.retry ? "retry" : "first";
    totals[{row.method, "succeeded", attempt}] += row.succeeded;
    totals[{row.method, "failed", attempt}] += row.failed;
  }
  out.Family("billing_payments_total",
             "Payments recorded, by method, status and attempt (first, or an automatic retry).",
             "counter");
  for (const auto& [key, count] : totals) {
    const auto& [method, status, attempt] = key;
    out.Sample("billing_payments_total",
               {{"method", method}, {"status", status}, {"attempt", attempt}}, count);
  }
  return OkStatus();
}

Status WriteBacklog(PrometheusWriter& out, StoreTx& tx, const Date& today) {
  BILLING_ASSIGN_OR_RETURN(Backlog backlog, tx.CountBacklog(today, kMaxBacklogCount));
  out.Family("billing_subscriptions_due",
             "Subscriptions whose next period is due: the next billing run's work (counted up to "
             "100000).",
             "gauge");
  out.Sample("billing_subscriptions_due", {}, backlog.subscriptions_due);
  out.Family("billing_webhook_deliveries_pending",
             "Webhook deliveries not yet delivered or given up (counted up to 100000).", "gauge");
  out.Sample("billing_webhook_deliveries_pending", {}, backlog.webhook_deliveries_pending);
  out.Family("billing_emails_pending", "Emails not yet sent or given up (counted up to 100000).",
             "gauge");
  out.Sample("billing_emails_pending", {}, backlog.emails_pending);
  return OkStatus();
}

}  // namespace

void AddStoreCollectors(observability::Metrics& metrics, Store& store, const Clock& clock,
                        const observability::OtlpExporter* otlp) {
  metrics.AddCollector([&store, &clock](PrometheusWriter& out) {
    WriteStoreStats(out, store.stats());
    PrometheusWriter from_database;
    const Status read = store.Read([&](StoreTx& tx) -> Status {
      BILLING_TRY(WritePayments(from_database, tx));
      return WriteBacklog(from_database, tx, clock.TodayUtc());
    });
    out.Family("billing_database_up", "1 when the last scrape could read the database.", "gauge");
    out.Sample("billing_database_up", {}, read.ok() ? 1 : 0);
    if (read.ok()) {
      out.text() += from_database.text();
    } else {
      spdlog::warn("metrics: cannot read the database: {}", read.error().message);
    }
  });
  if (otlp == nullptr) return;
  metrics.AddCollector([otlp](PrometheusWriter& out) {
    out.Family("billing_otlp_exported_spans_total", "Spans the OTLP collector accepted.",
               "counter");
    out.Sample("billing_otlp_exported_spans_total", {}, int64_t(otlp->exported_spans()));
    out.Family("billing_otlp_dropped_traces_total",
               "Traces not exported: the queue was full, or the collector refused every attempt.",
               "counter");
    out.Sample("billing_otlp_dropped_traces_total", {}, int64_t(otlp->dropped_traces()));
    out.Family("billing_otlp_queued_traces", "Traces waiting to be exported.", "gauge");
    out.Sample("billing_otlp_queued_traces", {}, int64_t(otlp->queued()));
  });
}

}  // namespace billing
