// The recent traces of agent runs; see trace_store.h.
#include "observability/trace_store.h"

#include <cassert>

namespace billing::observability {

TraceStore::TraceStore(const Clock& clock, TraceStoreOptions options)
    : clock_(clock), options_(options) {
  assert(options_.max_traces > 0);
}

bool TraceStore::Expired(const Trace& trace, int64_t now_ms) const {
  return trace->front().start_unix_ms + options_.retention_ms < now_ms;
}

void TraceStore::DropOldLocked(int64_t now_ms) {
  // Bounded: each round removes one trace.
  while (!traces_.empty() &&
         (traces_.size() > options_.max_traces || Expired(traces_.front(), now_ms))) {
    by_id_.erase(traces_.front()->front().trace_id);
    traces_.pop_front();
  }
}

void TraceStore::Record(std::vector<Span> trace) {
  if (trace.empty()) return;
  if (exporter_ != nullptr) exporter_->Record(trace);
  auto kept = std::make_shared<const std::vector<Span>>(std::move(trace));
  const int64_t now_ms = clock_.NowUnixMs();
  std::lock_guard lock(mu_);
  by_id_[kept->front().trace_id] = kept;
  traces_.push_back(std::move(kept));
  DropOldLocked(now_ms);
}

TracePage TraceStore::List(const TraceQuery& query) const {
  const int64_t now_ms = clock_.NowUnixMs();
  TracePage page;
  const size_t first = query.page * query.per_page;
  std::lock_guard lock(mu_);
  for (auto it = traces_.rbegin(); it != traces_.rend(); ++it) {
    if (Expired(*it, now_ms)) break;  // older ones are older still
    const Span& root = (*it)->front();
    if (!query.name.empty() && root.name != query.name) continue;
    if (!query.span_type.empty() && root.span_type != query.span_type) continue;
    if (!query.entity_type.empty() && query.entity_type != "agent") continue;
    // The agent's id, or its name (what Mastra's Studio filters on).
    if (!query.entity_id.empty() &&
        root.attributes.value("agentId", std::string()) != query.entity_id &&
        root.attributes.value("gen_ai.agent.name", std::string()) != query.entity_id) {
      continue;
    }
    if (query.start_from_unix_ms != 0 && root.start_unix_ms < query.start_from_unix_ms) continue;
    if (query.start_to_unix_ms != 0 && root.start_unix_ms > query.start_to_unix_ms) continue;
    if (page.total >= first && page.roots.size() < query.per_page) page.roots.push_back(root);
    ++page.total;
  }
  return page;
}

std::optional<std::vector<Span>> TraceStore::Get(const std::string& trace_id) const {
  const int64_t now_ms = clock_.NowUnixMs();
  std::lock_guard lock(mu_);
  auto it = by_id_.find(trace_id);
  if (it == by_id_.end() || Expired(it->second, now_ms)) return std::nullopt;
  return *it->second;
}

}  // namespace billing::observability
