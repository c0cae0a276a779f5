// Webhooks (migration 025) on SQLite: endpoints, deliveries, attempts. The StoreTx methods of
// sqlite_store.cc for them delegate here.
//
// Thread-safety: as the Connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_util.h"
#include "store/store.h"

namespace billing::sqlite {

Status PutWebhookEndpoint(Connection& conn, const WebhookEndpoint& e);
Result<std::optional<WebhookEndpoint>> FindWebhookEndpoint(Connection& conn, const std::string& id);
Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints(Connection& conn);
Status DeleteWebhookEndpoint(Connection& conn, const std::string& id);
// The deliveries of a just appended event (SqliteTx::AppendEvent).
Status EnqueueDeliveries(Connection& conn, const Event& event, const std::string& now);
Result<std::vector<WebhookDelivery>> ClaimDeliveries(Connection& conn, const std::string& now,
                                                     const std::string& lease_until, int limit);
Result<bool> AnyDeliveryDue(Connection& conn, const std::string& now);
Status UpdateDelivery(Connection& conn, const WebhookDelivery& d);
Status InsertAttempt(Connection& conn, const WebhookAttempt& a);
Result<std::optional<WebhookDelivery>> FindDelivery(Connection& conn, int64_t seq);
Result<std::vector<WebhookDelivery>> DeliveriesOf(Connection& conn, const std::string& endpoint_id,
                                                  int64_t before_seq, int limit);
Result<std::vector<WebhookAttempt>> AttemptsOf(Connection& conn, int64_t delivery_seq, int limit);

}  // namespace billing::sqlite
