// The email settings from the environment (docs/email.md, README "Configuration"): SMTP host,
// port, TLS mode, credentials, the sender, the retry waits. Email is off unless BILLING_SMTP_HOST
// is set; a bad value is an error naming the variable, so a server never starts half-configured.
//
// Thread-safety: reads the environment; call at start-up.
#pragma once

#include "billing/service.h"
#include "common/result.h"
#include "integration/email_worker.h"

namespace billing {

// BILLING_SMTP_HOST ("" = off), BILLING_SMTP_PORT (default 587, 465 for tls, 25 for none),
// BILLING_SMTP_TLS (starttls | tls | none; none with a password only to a loopback host),
// BILLING_SMTP_USER, BILLING_SMTP_PASSWORD, BILLING_EMAIL_FROM ("Name <address>" or "address";
// required when on), BILLING_SMTP_TIMEOUT_MS (100..60000).
Result<SmtpSettings> SmtpSettingsFromEnv();
// Email on in `options` when `smtp` has a host: the sender's name, and BILLING_EMAIL_RETRY_SECONDS.
Status ApplyEmailOptions(const SmtpSettings& smtp, BillingOptions* options);
// "Billing Team <billing@example.com>" -> name and address; kInvalid naming BILLING_EMAIL_FROM.
Status ParseSender(const std::string& text, std::string* name, std::string* address);

}  // namespace billing
