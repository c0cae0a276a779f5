// The email outbox's bookkeeping (integration.md "Email"; docs/email.md): the message of an
// emailable event, written by Emit in the event's transaction, and the outcomes of the sends.
// What the messages say is billing/email_messages.h; the sender is integration/email_worker.h.
#include <algorithm>

#include "billing/email_messages.h"
#include "billing/service.h"
#include "billing/service_internal.h"

namespace billing {
namespace {

constexpr int kMaxEmailsListed = 100;
constexpr size_t kMaxEmailErrorBytes = 300;

// Whose email an event is: a customer event's object, else the customer its data names.
std::string CustomerOf(const Event& e, const nlohmann::json& data) {
  if (e.object_type == "customer") return e.object_id;
  if (!data.is_object()) return "";
  auto it = data.find("customerId");
  return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Status BillingService::EnqueueEmail(StoreTx& tx, const Event& e, const nlohmann::json& data) {
  const std::optional<std::string_view> kind = EmailKindOf(e.type);
  if (!kind) return OkStatus();
  const std::string customer_id = CustomerOf(e, data);
  if (customer_id.empty()) return OkStatus();
  BILLING_ASSIGN_OR_RETURN(std::optional<Customer> customer, tx.FindCustomer(customer_id));
  if (!customer || customer->email.empty()) return OkStatus();  // nobody to write to
  OutboxEmail m;
  m.event_id = e.id;
  m.kind = std::string(*kind);
  m.customer_id = customer->id;
  m.to_address = customer->email;
  m.locale = customer->locale;
  m.created_at = e.created_at;
  m.next_attempt_at = e.created_at;
  Result<EmailMessage> message = RenderEmail(e.type, data, *customer, options_.email_sender);
  if (message.ok()) {
    m.subject = std::move(message->subject);
    m.text_body = std::move(message->text);
    m.html_body = std::move(message->html);
  } else {
    // Never silently without its email, and never a failed change because of one: the row says
    // why it cannot be sent (a bug to fix; docs/email.md).
    m.status = "failed";
    m.last_error = "cannot render the message: " + message.error().message;
  }
  return tx.InsertEmail(m);
}

Result<std::vector<OutboxEmail>> BillingService::ListEmails(const std::string& customer_id,
                                                            int64_t before_seq, int limit) {
  limit = std::clamp(limit, 1, kMaxEmailsListed);
  std::vector<OutboxEmail> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.EmailsOf(customer_id, before_seq, limit));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<OutboxEmail> BillingService::GetEmail(int64_t seq) {
  std::optional<OutboxEmail> out;
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.FindEmail(seq));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  if (!out) return Error::NotFound("Email eml_" + std::to_string(seq) + " not found", "emailId");
  return *out;
}

Result<OutboxEmail> BillingService::ResendEmail(int64_t seq) {
  const std::string now = clock_.NowIso8601();
  OutboxEmail out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(std::optional<OutboxEmail> e, tx.FindEmail(seq));
    if (!e) return Error::NotFound("Email eml_" + std::to_string(seq) + " not found", "emailId");
    if (e->subject.empty()) {
      return Error::Precondition("Email eml_" + std::to_string(seq) + " has no message to send",
                                 "emailId");
    }
    out = std::move(*e);
    out.status = "pending";
    out.next_attempt_at = now;
    out.attempts = 0;  // a fresh schedule
    out.created_at = now;
    return tx.UpdateEmail(out);
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<bool> BillingService::EmailsDue() {
  bool due = false;
  const std::string now = clock_.NowIso8601();
  Status s = store_.Read([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(due, tx.AnyEmailDue(now));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return due;
}

Result<std::vector<OutboxEmail>> BillingService::ClaimEmails(int limit, int64_t lease_ms) {
  const int64_t now_ms = clock_.NowUnixMs();
  const std::string now = Iso8601FromUnixMs(now_ms);
  const std::string lease = Iso8601FromUnixMs(now_ms + lease_ms);
  std::vector<OutboxEmail> out;
  Status s = store_.Write([&](StoreTx& tx) -> Status {
    BILLING_ASSIGN_OR_RETURN(out, tx.ClaimEmails(now, lease, limit));
    return OkStatus();
  });
  if (!s.ok()) return s.error();
  return out;
}

Status BillingService::RecordEmailOutcomes(const std::vector<EmailOutcome>& outcomes) {
  const int64_t now_ms = clock_.NowUnixMs();
  const std::string now = Iso8601FromUnixMs(now_ms);
  std::vector<int64_t> jitter_bp;  // drawn before the transaction, which may run again
  for (size_t i = 0; i < outcomes.size(); ++i) jitter_bp.push_back(ids_.UniformBasisPoints());
  return store_.Write([&](StoreTx& tx) -> Status {
    for (size_t i = 0; i < outcomes.size(); ++i) {
      OutboxEmail m = outcomes[i].email;
      m.attempts += 1;
      m.last_error = outcomes[i].error.substr(0, kMaxEmailErrorBytes);
      if (outcomes[i].error.empty()) {
        m.status = "sent";
        m.sent_at = now;
        BILLING_TRY(tx.UpdateEmail(m));
        continue;
      }
      const std::optional<std::string> next = internal::NextAttemptAt(
          m.attempts, options_.email_retry_seconds, m.created_at, now_ms, jitter_bp[i]);
      if (!next) {
        m.status = "failed";  // the worker logs it
      } else {
        m.next_attempt_at = *next;
      }
      BILLING_TRY(tx.UpdateEmail(m));
    }
    return OkStatus();
  });
}

}  // namespace billing
