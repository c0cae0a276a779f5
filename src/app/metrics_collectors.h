// What a /metrics scrape reads from the database and the exporters at that moment
// (observability/metrics.h collectors; docs/observability.md "Metrics"): group commits, payments
// by status, the work waiting for the background loops, traces exported and dropped.
//
// Thread-safety: the collectors run on the scraping request's thread; the store and exporter
// they read are safe from any thread.
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "observability/metrics.h"
#include "observability/otlp_exporter.h"
#include "store/store.h"

namespace billing {

// A backlog count stops here (the gauge then means "at least").
inline constexpr int64_t kMaxBacklogCount = 100'000;

// Adds the collectors over `store` (and `otlp` when set: may be null). All must outlive
// `metrics`' use.
void AddStoreCollectors(observability::Metrics& metrics, Store& store, const Clock& clock,
                        const observability::OtlpExporter* otlp);

}  // namespace billing
