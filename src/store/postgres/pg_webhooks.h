// Webhooks (migration 014) on PostgreSQL, as SQLite's sqlite_webhooks.h; the StoreTx methods of
// pg_store.cc delegate here.
//
// Thread-safety: as the connection passed in (one transaction's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace billing::pgwebhooks {

Status PutWebhookEndpoint(pg::PgConnection& conn, const WebhookEndpoint& e);
Result<std::optional<WebhookEndpoint>> FindWebhookEndpoint(pg::PgConnection& conn,
                                                           const std::string& id);
Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints(pg::PgConnection& conn);
Status DeleteWebhookEndpoint(pg::PgConnection& conn, const std::string& id);
Result<std::vector<WebhookDelivery>> ClaimDeliveries(pg::PgConnection& conn, const std::string& now,
                                                     const std::string& lease_until, int limit);
Result<bool> AnyDeliveryDue(pg::PgConnection& conn, const std::string& now);
Status UpdateDelivery(pg::PgConnection& conn, const WebhookDelivery& d);
Status InsertAttempt(pg::PgConnection& conn, const WebhookAttempt& a);
Result<std::optional<WebhookDelivery>> FindDelivery(pg::PgConnection& conn, int64_t seq);
Result<std::vector<WebhookDelivery>> DeliveriesOf(pg::PgConnection& conn,
                                                  const std::string& endpoint_id,
                                                  int64_t before_seq, int limit);
Result<std::vector<WebhookAttempt>> AttemptsOf(pg::PgConnection& conn, int64_t delivery_seq,
                                               int limit);

}  // namespace billing::pgwebhooks
