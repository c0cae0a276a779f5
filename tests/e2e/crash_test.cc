// Crash safety of the real binary (security issue "crash"): a load of invoices, payments and
// refunds from several clients, the server killed with SIGKILL at a random moment while requests
// are in flight, restarted on the same database file, several times over. After every restart
// and at the end the database file itself is checked with the library:
//   - every acknowledged change (HTTP 200 with a successful tool result) is present exactly once,
//     with the amount, customer and invoice the client was told;
//   - nothing else is there: every stored record comes from the seed or from a request that was
//     either acknowledged or cut off by the kill (outcome unknown to the client), never from a
//     request the server refused, and no request produced two records;
//   - every refund the client was told about is stored, and each payment's refunded amount is the
//     sum of its refunds, at least the acknowledged ones and at most the payment;
//   - CheckInvariants() (billing-rules.md) holds, the audit hash chain verifies, and the audit log
//     and the ledger match one to one (one row per stored change, one change per row);
//   - PRAGMA integrity_check is "ok" and the server restarts cleanly after each kill.
// Half the clients send an Idempotency-Key with every change and, after the restart, retry with
// it what the kill cut off: each of those requests must then have taken effect exactly once,
// whether the kill came before its commit, between the commit and the stored response, or after.
// The other half send bare requests; their cut-off requests stay "unknown outcome" (committed or
// not, never twice).
//
// How a stored record is traced back to its request: every request carries a unique CometChat
// sender uid ("crash-<round>-<thread>-<n>"), which the server stores as the claimed end user
// (on_behalf_of, beside the "dev" principal) of the payment, refund or invoice it creates and of
// its audit row. So the test does not have to guess which
// "unknown outcome" request became which record.
//
// The same test runs on PostgreSQL (the "pg." run): the server's database is then a fresh
// database on the test server, the kill cuts its connections (PostgreSQL rolls back what was not
// committed), and the integrity check is amcheck's bt_index_check over every index.
//
// What this cannot prove: SIGKILL kills the process, not the machine, so data the server wrote
// but did not fsync is still in the page cache and survives. The test shows that acknowledged
// writes are committed before the answer and that recovery from a torn process is clean; it
// does not exercise synchronous=FULL against power loss.
//
// Deterministic in what it asserts: the seed fixes every client's choice of operations and the
// kill delays; timing decides only how many requests run and which of them the kill cuts off,
// and every assertion holds whatever that split is. BILLING_CRASH_SEED and BILLING_CRASH_ROUNDS
// override the seed and the number of rounds (e.g. for a longer soak).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "billing/service.h"
#include "common/clock.h"
#include "e2e/server_harness.h"
#include "store/backend.h"
#include "testing/raw_db.h"
#include "testing/test_backend.h"
#include "store/store.h"
#include "store/walk.h"

namespace billing::e2e {
namespace {

using nlohmann::json;

constexpr uint64_t kDefaultSeed = 20261125;
constexpr int kDefaultRounds = 8;
constexpr int kMaxRounds = 50;
constexpr int kClients = 8;
// Bounds a round even if the server were fast enough to finish before the kill (then the kill
// finds it idle, which the assertions tolerate).
constexpr int kMaxOpsPerClientPerRound = 600;
constexpr int kMinKillDelayMs = 150;
constexpr int kMaxKillDelayMs = 1200;
constexpr char kActorPrefix[] = "cometchat:";
constexpr char kTagPrefix[] = "crash-";

// The sample data (billing-rules.md's, and the EUR and JPY customers'; actor "seed"); every other
// record must be traceable to a request of this test.
const std::set<std::string> kSeedInvoices = {"INV-2025-001", "INV-2025-002", "INV-2025-003",
                                             "INV-2025-004", "INV-2025-005"};
const std::set<std::string> kSeedPayments = {"PAY-001", "PAY-002", "PAY-003",
                                             "PAY-004", "PAY-005", "PAY-006"};

enum class Kind { kCreateInvoice, kPayInvoice, kPayBalance, kMarkPaid, kRefund };
enum class Outcome { kAcked, kRefused, kUnknown };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kCreateInvoice:
      return "create-invoice";
    case Kind::kPayInvoice:
      return "pay-invoice";
    case Kind::kPayBalance:
      return "pay-balance";
    case Kind::kMarkPaid:
      return "mark-paid";
    case Kind::kRefund:
      return "refund";
  }
  return "?";
}

bool CreatesPayment(Kind k) {
  return k == Kind::kPayInvoice || k == Kind::kPayBalance || k == Kind::kMarkPaid;
}

// The audit action a successful request of each kind appends.
const char* AuditAction(Kind k) {
  switch (k) {
    case Kind::kCreateInvoice:
      return "invoice.create";
    case Kind::kPayInvoice:
    case Kind::kPayBalance:
      return "payment.process";
    case Kind::kMarkPaid:
      return "invoice.mark_paid";
    case Kind::kRefund:
      return "payment.refund";
  }
  return "?";
}

// One request as the client saw it.
struct Sent {
  Kind kind = Kind::kCreateInvoice;
  Outcome outcome = Outcome::kUnknown;
  int round = 0;
  std::string tool;  // the request, kept to retry it
  json body;
  bool keyed = false;            // sent with Idempotency-Key: <tag>, retried if cut off
  bool retried = false;          // cut off by a kill and sent again after the restart
  bool replayed = false;         // the retry was answered from the first attempt:
  bool replayed_stored = false;  //   from its stored response (Idempotent-Replayed: true), or
                                 //   else from its operation key in the ledger
  bool never_connected = false;  // unknown outcome, but connect() was refused: the server was dead
  bool internal_error = false;   // refused with code INTERNAL (a server bug, not a business rule)
  bool unexpected = false;       // an HTTP answer that is neither a tool result nor a clean drop
  std::string detail;            // the answer, for failure messages
  json result;                   // the tool result when acknowledged
};

using SentMap = std::map<std::string, Sent>;  // by tag

// What the clients know has been acknowledged: targets for later payments and refunds. Survives
// the rounds, since acknowledged records survive the kills.
struct Targets {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> invoices;  // id, customer
  std::vector<std::pair<std::string, int64_t>> payments;      // id, amount in cents
};

std::string Dollars(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

uint64_t EnvU64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long parsed = std::strtoull(v, &end, 10);
  return (end != nullptr && *end == '\0') ? uint64_t(parsed) : fallback;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Cents(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}

// Who a record names: the claimed end user when there is one, else the principal ("seed").
std::string Who(const std::string& principal, const std::string& on_behalf_of) {
  return on_behalf_of.empty() ? principal : on_behalf_of;
}

std::string TagOf(const std::string& actor) {
  const std::string prefix = std::string(kActorPrefix) + kTagPrefix;
  return actor.rfind(prefix, 0) == 0 ? actor.substr(std::string(kActorPrefix).size()) : "";
}

// ---------------------------------------------------------------------------------------------
// The clients

HttpResult Send(ServerProcess& server, const std::string& tag, const Sent& s) {
  std::map<std::string, std::string> headers;
  if (s.keyed) headers["Idempotency-Key"] = tag;
  return server.PostJson("/api/tools/" + s.tool + "/execute", s.body, headers);
}

// Sets the outcome of `s` from the server's answer, and makes what was acknowledged a target
// for later requests.
void Classify(const HttpResult& res, Sent& s, Targets& targets) {
  const json result = res.status == 200 ? res.Json() : json();
  s.result = json();
  s.detail.clear();
  if (res.status <= 0) {
    // No answer: the kill cut the request off.
    s.outcome = Outcome::kUnknown;
    s.never_connected = res.body.find("Connection refused") != std::string::npos;
    s.detail = res.body;
  } else if (result.is_object() && result.value("success", false)) {
    s.outcome = Outcome::kAcked;
    s.result = result;
    s.replayed_stored = s.retried && res.headers.count("idempotent-replayed") > 0;
    s.replayed = s.replayed_stored || (s.retried && result.value("replayed", false));
    std::lock_guard lock(targets.mu);
    if (s.kind == Kind::kCreateInvoice) {
      targets.invoices.emplace_back(Str(result["invoice"], "id"),
                                    Str(result["invoice"], "customerId"));
    } else if (CreatesPayment(s.kind) && result.contains("payment")) {
      targets.payments.emplace_back(Str(result["payment"], "id"),
                                    Cents(result["payment"], "amountCents"));
    }
  } else if (result.is_object() && result.value("error", false)) {
    // A business rule said no (over-refund, overpayment, already paid): nothing may change.
    s.outcome = Outcome::kRefused;
    s.internal_error = result.value("code", "") == "INTERNAL";
    s.detail = res.body;
  } else {
    // Anything else (a 500, a declined payment in approve mode, a broken body) is a bug; treat
    // its outcome as unknown for the ledger checks and fail the test on it.
    s.outcome = Outcome::kUnknown;
    s.unexpected = true;
    s.detail = std::to_string(res.status) + " " + res.body;
  }
}

// One client of one round: picks operations from its own seeded stream until told to stop (the
// kill) or until its bound, and records every request and its outcome.
void RunClient(ServerProcess& server, int round, int client, uint64_t seed,
               const std::atomic<bool>& stop, Targets& targets,
               std::vector<std::pair<std::string, Sent>>& out) {
  std::mt19937_64 rng(seed ^ (uint64_t(round) * 1'000'003u + uint64_t(client) * 7'919u));
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  static const char* const kInvoiceable[] = {"CUST-001", "CUST-002", "CUST-003"};
  // CUST-004 is suspended: it cannot be invoiced but its payments are accepted.
  static const char* const kPayers[] = {"CUST-001", "CUST-002", "CUST-003", "CUST-004"};

  for (int n = 0; n < kMaxOpsPerClientPerRound && !stop.load(); ++n) {
    const std::string tag = std::string(kTagPrefix) + std::to_string(round) + "-" +
                            std::to_string(client) + "-" + std::to_string(n);
    // Mix: 25% new invoices, 30% payments of an invoice, 15% payments on account, 5% mark paid,
    // 25% refunds. Without a target yet, fall back to a payment on account.
    const int64_t dice = uniform(0, 99);
    Kind kind = dice < 25   ? Kind::kCreateInvoice
                : dice < 55 ? Kind::kPayInvoice
                : dice < 70 ? Kind::kPayBalance
                : dice < 75 ? Kind::kMarkPaid
                            : Kind::kRefund;
    std::pair<std::string, std::string> invoice;
    std::pair<std::string, int64_t> payment;
    {
      std::lock_guard lock(targets.mu);
      if ((kind == Kind::kPayInvoice || kind == Kind::kMarkPaid) && targets.invoices.empty()) {
        kind = Kind::kPayBalance;
      }
      if (kind == Kind::kRefund && targets.payments.empty()) kind = Kind::kPayBalance;
      // Draw the index even when unused, so the stream does not depend on the pool sizes more
      // than it must.
      const auto pick = uint64_t(uniform(0, INT32_MAX));
      if (kind == Kind::kPayInvoice || kind == Kind::kMarkPaid) {
        invoice = targets.invoices[pick % targets.invoices.size()];
      } else if (kind == Kind::kRefund) {
        payment = targets.payments[pick % targets.payments.size()];
      }
    }
    std::string tool;
    json data;
    switch (kind) {
      case Kind::kCreateInvoice:
        tool = "manage-invoices";
        data = {{"action", "create"},
                {"customerId", kInvoiceable[uniform(0, 2)]},
                {"amount", Dollars(uniform(5'000, 40'000))},
                {"description", "Crash test " + tag},
                {"dueDate", "2026-12-31"}};  // BILLING_TODAY is 2026-11-25 (harness)
        break;
      case Kind::kPayInvoice:
        tool = "process-payment";
        data = {{"action", "process"},
                {"customerId", invoice.second},
                {"invoiceId", invoice.first},
                {"amount", Dollars(uniform(100, 6'000))}};
        break;
      case Kind::kPayBalance:
        tool = "process-payment";
        data = {{"action", "process"},
                {"customerId", kPayers[uniform(0, 3)]},
                {"amount", Dollars(uniform(100, 20'000))}};
        break;
      case Kind::kMarkPaid:
        tool = "manage-invoices";
        data = {{"action", "mark_paid"}, {"invoiceId", invoice.first}};
        break;
      case Kind::kRefund:
        tool = "process-payment";
        data = {
            {"action", "refund"}, {"paymentId", payment.first}, {"reason", "Crash test " + tag}};
        // 60% partial refunds (so payments are refunded several times), 40% the rest in full.
        if (uniform(0, 99) < 60) data["amount"] = Dollars(std::max<int64_t>(1, payment.second / 3));
        break;
    }
    Sent sent;
    sent.kind = kind;
    sent.round = round;
    sent.tool = tool;
    sent.body = {{"data", data},
                 {"runtimeContext", {{"cometchatContext", {{"sender", {{"uid", tag}}}}}}}};
    // Half the clients behave as the API asks money-moving clients to: an Idempotency-Key on
    // every change, and a retry with it when the answer is lost. The other half send bare
    // requests, whose lost answers stay unknown.
    sent.keyed = client % 2 == 0;
    Classify(Send(server, tag, sent), sent, targets);
    out.emplace_back(tag, std::move(sent));
  }
}

// After a restart: sends every keyed request of `round` that the kill cut off again, with the
// same Idempotency-Key and body. The server must answer it now (it is up), and the answer is the
// request's outcome: the first attempt's result if that one committed, else a fresh run.
void RetryCutOff(ServerProcess& server, SentMap& sent, int round, Targets& targets) {
  for (auto& [tag, s] : sent) {
    if (s.round != round || !s.keyed || s.retried || s.outcome != Outcome::kUnknown) continue;
    s.retried = true;
    Classify(Send(server, tag, s), s, targets);
    if (s.outcome == Outcome::kUnknown) s.unexpected = true;  // no answer from a running server
    EXPECT_FALSE(s.unexpected) << "retry of " << tag << " (" << KindName(s.kind)
                               << "): " << s.detail;
  }
}

// ---------------------------------------------------------------------------------------------
// The checks on the database file

struct Snapshot {
  std::vector<Invoice> invoices;
  std::vector<Payment> payments;
  std::map<std::string, std::vector<Refund>> refunds;          // by payment id
  std::map<std::string, std::vector<Allocation>> allocations;  // by payment id
  std::vector<AuditEntry> audit;
};

Status ReadSnapshot(Store& store, Snapshot* s) {
  return store.Read([&](StoreTx& tx) -> Status {
    const Error too_many = Error::Internal("snapshot: more than a million rows");
    BILLING_TRY(WalkInvoices(tx, InvoiceQuery{}, 1'000'000, too_many, [&](Invoice& inv) -> Result<bool> {
      s->invoices.push_back(inv);
      return true;
    }));
    BILLING_TRY(WalkPayments(tx, PaymentQuery{}, 1'000'000, too_many, [&](Payment& p) -> Result<bool> {
      s->payments.push_back(p);
      return true;
    }));
    for (const Payment& p : s->payments) {
      BILLING_ASSIGN_OR_RETURN(s->refunds[p.id], tx.RefundsOf(p.id));
      BILLING_ASSIGN_OR_RETURN(s->allocations[p.id], tx.AllocationsOf(p.id));
    }
    // Bounded: at most 1000 batches of 1000 rows.
    int64_t after = 0;
    for (int batch = 0; batch < 1000; ++batch) {
      BILLING_ASSIGN_OR_RETURN(std::vector<AuditEntry> rows, tx.ListAudit(AuditQuery{after}, 1000));
      for (AuditEntry& e : rows) {
        after = e.seq;
        s->audit.push_back(std::move(e));
      }
      if (rows.size() < 1000) break;
    }
    return OkStatus();
  });
}

// PostgreSQL's counterpart of PRAGMA integrity_check: amcheck's bt_index_check on every B-tree
// index of the database, with heapallindexed (every heap row is in its indexes). "ok", or the
// first problem.
std::string PostgresIntegrityCheck(const std::string& url) {
  test_support::RawDb raw(url);
  std::string message;
  if (!raw.Exec("CREATE EXTENSION IF NOT EXISTS amcheck", &message)) return "amcheck: " + message;
  if (!raw.Exec("SELECT bt_index_check(index => c.oid, heapallindexed => true) "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE am.amname = 'btree' AND n.nspname = 'public' AND i.indisvalid",
                &message)) {
    return message;
  }
  return "ok";
}

// PRAGMA integrity_check through the SQLite API: "ok", or the problems it lists.
std::string IntegrityCheck(const std::string& db_path) {
  if (test_support::IsPostgresDb(db_path)) return PostgresIntegrityCheck(db_path);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string e = std::string("cannot open: ") + (db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_close(db);
    return e;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
    out = std::string("cannot prepare: ") + sqlite3_errmsg(db);
  } else {
    int rc = SQLITE_ROW;
    for (int rows = 0; rows < 1000 && (rc = sqlite3_step(stmt)) == SQLITE_ROW; ++rows) {
      const auto* text = sqlite3_column_text(stmt, 0);
      out +=
          (out.empty() ? "" : "; ") + std::string(text ? reinterpret_cast<const char*>(text) : "");
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
      out += std::string(" (error: ") + sqlite3_errmsg(db) + ")";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

struct Verdict {
  int64_t invoices = 0, payments = 0, refunds = 0, audit_rows = 0;
  int64_t lost = 0;             // acknowledged changes missing or different
  int64_t phantom = 0;          // records from refused requests, duplicates, unknown origin
  int64_t unknown_applied = 0;  // unknown-outcome requests that did commit
  int64_t unknown_not_applied = 0;
  std::map<std::string, int64_t> balances;  // customer -> balance in cents (negative = credit)
};

// Checks the database file against everything the clients were told. `when` names the moment
// in failure messages. Runs while the server is up but idle (a WAL reader does not disturb it).
Verdict VerifyDatabase(const std::string& db_path, const SentMap& sent, const std::string& when) {
  Verdict v;
  SCOPED_TRACE(when);
  const std::string integrity = IntegrityCheck(db_path);
  EXPECT_EQ(integrity, "ok") << "PRAGMA integrity_check on " << db_path;

  auto opened = OpenStore(BackendOptions{db_path, 2, 5000});
  if (!opened.ok()) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << opened.error().message;
    return v;
  }
  Store& store = *opened.value();
  Snapshot snap;
  if (Status s = ReadSnapshot(store, &snap); !s.ok()) {
    ADD_FAILURE() << "cannot read the ledger: " << s.error().message;
    return v;
  }
  v.invoices = int64_t(snap.invoices.size());
  v.payments = int64_t(snap.payments.size());
  v.audit_rows = int64_t(snap.audit.size());

  // The rules of billing-rules.md, and the audit chain, as the library checks them.
  SystemClock clock;
  SeededRandom ids(1), processor(1);  // unused: this service only reads
  BillingService service(store, clock, ids, processor, BillingOptions{});
  if (Status s = service.CheckInvariants(); !s.ok()) {
    ADD_FAILURE() << "CheckInvariants: " << s.error().message;
  }
  int64_t rows_checked = 0, broken = 0;
  std::string why;
  if (Status s = service.VerifyAudit(&rows_checked, &broken, &why); !s.ok()) {
    ADD_FAILURE() << "VerifyAudit: " << s.error().message;
  }
  EXPECT_EQ(broken, 0) << "audit chain broken at row " << broken << ": " << why;
  EXPECT_EQ(rows_checked, v.audit_rows) << "audit rows verified vs stored";
  for (const char* c : {"CUST-001", "CUST-002", "CUST-003", "CUST-004"}) {
    auto view = service.GetCustomer(c);
    if (view.ok()) {
      v.balances[c] = view->balance_cents;
    } else {
      ADD_FAILURE() << c << ": " << view.error().message;
    }
  }

  // Index the records by id (no id twice) and by the request tag that created them.
  std::map<std::string, const Invoice*> invoice_by_id, invoice_by_tag;
  std::map<std::string, const Payment*> payment_by_id, payment_by_tag;
  std::map<std::string, const Refund*> refund_by_id, refund_by_tag;
  std::set<std::string> txns;
  std::set<std::string> record_tags;  // every tag that created something
  // A stored record must come from the seed or from a request that was acknowledged or cut off,
  // of the right kind, and no request may have created two records.
  auto check_origin = [&](const std::string& what, const std::string& id, const std::string& actor,
                          const std::set<std::string>& seed_ids, bool (*kind_ok)(Kind)) {
    if (actor == "seed") {
      if (!seed_ids.count(id)) {
        ++v.phantom;
        ADD_FAILURE() << what << " " << id << " claims to be sample data";
      }
      return;
    }
    const std::string tag = TagOf(actor);
    auto it = sent.find(tag);
    if (tag.empty() || it == sent.end()) {
      ++v.phantom;
      ADD_FAILURE() << what << " " << id << " comes from no request of this test (actor '" << actor
                    << "')";
      return;
    }
    if (!kind_ok(it->second.kind)) {
      ++v.phantom;
      ADD_FAILURE() << what << " " << id << " made by a " << KindName(it->second.kind)
                    << " request " << tag;
    }
    if (it->second.outcome == Outcome::kRefused) {
      ++v.phantom;
      ADD_FAILURE() << what << " " << id << " made by request " << tag
                    << " which the server refused: " << it->second.detail;
    }
    if (!record_tags.insert(tag).second) {
      ++v.phantom;
      ADD_FAILURE() << "request " << tag << " created more than one record (" << what << " " << id
                    << ")";
    }
  };

  for (const Invoice& inv : snap.invoices) {
    if (!invoice_by_id.emplace(inv.id, &inv).second)
      ADD_FAILURE() << "invoice id twice: " << inv.id;
    check_origin("invoice", inv.id, Who(inv.created_by, inv.created_on_behalf_of), kSeedInvoices,
                 [](Kind k) { return k == Kind::kCreateInvoice; });
    if (const std::string tag = TagOf(Who(inv.created_by, inv.created_on_behalf_of)); !tag.empty()) invoice_by_tag[tag] = &inv;
    // The last change to an invoice must also come from a request that was not refused.
    if (const std::string tag = TagOf(Who(inv.updated_by, inv.updated_on_behalf_of)); !tag.empty()) {
      auto it = sent.find(tag);
      if (it == sent.end() || it->second.outcome == Outcome::kRefused) {
        ++v.phantom;
        ADD_FAILURE() << "invoice " << inv.id << " last changed by refused/unknown request " << tag;
      }
    }
  }
  for (const Payment& p : snap.payments) {
    if (!payment_by_id.emplace(p.id, &p).second) ADD_FAILURE() << "payment id twice: " << p.id;
    if (!txns.insert(p.transaction_id).second) ADD_FAILURE() << "transaction id twice: " << p.id;
    check_origin("payment", p.id, Who(p.actor, p.on_behalf_of), kSeedPayments, CreatesPayment);
    if (const std::string tag = TagOf(Who(p.actor, p.on_behalf_of)); !tag.empty()) payment_by_tag[tag] = &p;
    // Refunds: the refunded amount is the sum of the refunds, within [0, amount], and the status
    // says the same.
    int64_t refunded = 0;
    for (const Refund& r : snap.refunds[p.id]) {
      ++v.refunds;
      refunded += r.amount_cents;
      if (!refund_by_id.emplace(r.id, &r).second) ADD_FAILURE() << "refund id twice: " << r.id;
      if (!txns.insert(r.transaction_id).second) ADD_FAILURE() << "transaction id twice: " << r.id;
      check_origin("refund", r.id, Who(r.actor, r.on_behalf_of), {}, [](Kind k) { return k == Kind::kRefund; });
      if (const std::string tag = TagOf(Who(r.actor, r.on_behalf_of)); !tag.empty()) refund_by_tag[tag] = &r;
    }
    EXPECT_EQ(refunded, p.refunded_cents) << p.id << ": refunds do not add up";
    EXPECT_GE(p.refunded_cents, 0) << p.id;
    EXPECT_LE(p.refunded_cents, p.amount_cents) << p.id;
    if (p.status != "failed") {
      const char* want = p.refunded_cents == 0                ? "completed"
                         : p.refunded_cents == p.amount_cents ? "refunded"
                                                              : "partially_refunded";
      EXPECT_EQ(p.status, want) << p.id << " refunded " << p.refunded_cents << " of "
                                << p.amount_cents;
    }
  }

  // Every acknowledged change is there exactly as acknowledged.
  std::map<std::string, int64_t> acked_refunds_of;  // payment id -> sum of acknowledged refunds
  for (const auto& [tag, s] : sent) {
    if (s.outcome == Outcome::kUnknown) {
      ++(record_tags.count(tag) ? v.unknown_applied : v.unknown_not_applied);
      continue;
    }
    if (s.outcome != Outcome::kAcked) continue;
    std::ostringstream problem;
    const json& r = s.result;
    if (s.kind == Kind::kCreateInvoice) {
      const json& want = r["invoice"];
      auto it = invoice_by_tag.find(tag);
      if (it == invoice_by_tag.end()) {
        problem << "acknowledged invoice " << want["id"] << " is missing";
      } else if (it->second->id != Str(want, "id") ||
                 it->second->customer_id != Str(want, "customerId") ||
                 it->second->total_cents != Cents(want, "totalCents")) {
        problem << "invoice " << it->second->id << " differs from its acknowledgement "
                << want.dump();
      }
    } else if (CreatesPayment(s.kind)) {
      const json& want = r["payment"];
      auto it = payment_by_tag.find(tag);
      if (!r.contains("payment")) {
        if (it != payment_by_tag.end()) problem << "payment stored for a mark_paid without one";
      } else if (it == payment_by_tag.end()) {
        problem << "acknowledged payment " << want["id"] << " is missing";
      } else {
        const Payment& p = *it->second;
        std::multiset<std::pair<std::string, int64_t>> want_allocs, got_allocs;
        for (const json& a : want["allocations"]) {
          want_allocs.emplace(Str(a, "invoiceId"), Cents(a, "amountCents"));
        }
        for (const Allocation& a : snap.allocations[p.id]) {
          got_allocs.emplace(a.invoice_id, a.amount_cents);
        }
        // What a payment did not apply is the customer's credit, which pays invoices issued
        // after it (billing/credit_notes.cc ApplyCredit): its allocations may have grown since,
        // but every acknowledged one is still there.
        if (p.id != Str(want, "id") || p.customer_id != Str(want, "customerId") ||
            p.amount_cents != Cents(want, "amountCents") ||
            p.invoice_id != Str(want, "invoiceId") || p.status == "failed" ||
            !std::includes(got_allocs.begin(), got_allocs.end(), want_allocs.begin(),
                           want_allocs.end())) {
          problem << "payment " << p.id << " (" << p.customer_id << ", " << p.amount_cents
                  << " cents, invoice '" << p.invoice_id << "', " << p.status
                  << ") differs from its acknowledgement " << want.dump();
        }
      }
    } else if (s.kind == Kind::kRefund) {
      const json& want = r["refund"];
      auto it = refund_by_tag.find(tag);
      if (it == refund_by_tag.end()) {
        problem << "acknowledged refund " << want["id"] << " is missing";
      } else if (it->second->id != Str(want, "id") ||
                 it->second->payment_id != Str(want, "paymentId") ||
                 it->second->amount_cents != Cents(want, "amountCents")) {
        problem << "refund " << it->second->id << " differs from its acknowledgement "
                << want.dump();
      } else {
        acked_refunds_of[it->second->payment_id] += it->second->amount_cents;
      }
    }
    if (!problem.str().empty()) {
      ++v.lost;
      ADD_FAILURE() << "LOST (request " << tag << ", " << KindName(s.kind) << ", round " << s.round
                    << "): " << problem.str();
    }
  }
  for (const auto& [payment_id, acked] : acked_refunds_of) {
    auto it = payment_by_id.find(payment_id);
    if (it == payment_by_id.end()) continue;  // reported above as a missing refund's payment
    EXPECT_GE(it->second->refunded_cents, acked) << payment_id << ": acknowledged refunds lost";
    EXPECT_LE(it->second->refunded_cents, it->second->amount_cents) << payment_id;
  }

  // The audit log and the ledger match one to one: row 1 is the seed, every other row is one
  // change by one request of this test, pointing at the record that request created.
  std::set<std::string> audit_tags;
  for (const AuditEntry& e : snap.audit) {
    if (e.seq == 1) {
      EXPECT_EQ(e.action, "seed.load");
      continue;
    }
    const std::string tag = TagOf(Who(e.actor, e.on_behalf_of));
    auto it = sent.find(tag);
    if (tag.empty() || it == sent.end()) {
      ADD_FAILURE() << "audit row " << e.seq << " (" << e.action << ") from no request: '"
                    << e.actor << "'";
      continue;
    }
    if (!audit_tags.insert(tag).second) ADD_FAILURE() << "request " << tag << " audited twice";
    EXPECT_EQ(e.action, AuditAction(it->second.kind)) << "audit row " << e.seq;
    EXPECT_TRUE(it->second.outcome != Outcome::kRefused)
        << "audit row " << e.seq << " of request " << tag << ", which the server refused";
    const json after = json::parse(e.after_json, nullptr, false);
    std::string recorded_id;
    switch (it->second.kind) {
      case Kind::kCreateInvoice:
        recorded_id = invoice_by_tag.count(tag) ? invoice_by_tag[tag]->id : "";
        EXPECT_EQ(e.entity_id, recorded_id) << "audit row " << e.seq;
        break;
      case Kind::kPayInvoice:
      case Kind::kPayBalance:
        recorded_id = payment_by_tag.count(tag) ? payment_by_tag[tag]->id : "";
        EXPECT_EQ(e.entity_id, recorded_id) << "audit row " << e.seq;
        break;
      case Kind::kMarkPaid:
        recorded_id = payment_by_tag.count(tag) ? payment_by_tag[tag]->id : "";
        EXPECT_TRUE(after.is_object() && after.contains("payment") &&
                    after["payment"].is_object() && after["payment"].value("id", "") == recorded_id)
            << "audit row " << e.seq << ": " << e.after_json;
        break;
      case Kind::kRefund:
        recorded_id = refund_by_tag.count(tag) ? refund_by_tag[tag]->id : "";
        EXPECT_TRUE(after.is_object() && after.contains("refund") &&
                    after["refund"].value("id", "") == recorded_id)
            << "audit row " << e.seq << ": " << e.after_json;
        break;
    }
    EXPECT_FALSE(recorded_id.empty()) << "audit row " << e.seq << " of " << tag << " but no record";
  }
  for (const std::string& tag : record_tags) {
    if (!audit_tags.count(tag))
      ADD_FAILURE() << "request " << tag << " changed the ledger unaudited";
  }
  for (const std::string& tag : audit_tags) {
    if (!record_tags.count(tag))
      ADD_FAILURE() << "request " << tag << " audited but changed nothing";
  }
  return v;
}

// Error-level lines of a server log (a SIGKILLed server logs nothing about it; errors before the
// kill are bugs).
std::string ErrorLines(const std::string& log) {
  std::istringstream in(log);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.find(" error ") != std::string::npos || line.find(" critical ") != std::string::npos) {
      out += line + "\n";
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

TEST(crash_sigkill, AcknowledgedPaymentsAndRefundsSurviveRepeatedKills) {
  const uint64_t seed = EnvU64("BILLING_CRASH_SEED", kDefaultSeed);
  const int rounds =
      int(std::clamp<uint64_t>(EnvU64("BILLING_CRASH_ROUNDS", kDefaultRounds), 1, kMaxRounds));
  std::cout << "[crash] seed=" << seed << " rounds=" << rounds << " clients=" << kClients
            << " (reproduce: BILLING_CRASH_SEED=" << seed << " BILLING_CRASH_ROUNDS=" << rounds
            << ")\n";
  const auto started = std::chrono::steady_clock::now();

  // The database lives in our own directory: each ServerProcess removes its own one.
  char tmpl[] = "/tmp/billing-crash-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  // On PostgreSQL (the "pg." run) a database of its own on the test server.
  const std::string db_path = test_support::TestDbPath(dir + "/billing.db");

  std::mt19937_64 kill_rng(seed);
  SentMap sent;
  Targets targets;
  int kills = 0, restarts = 0;
  int64_t lost = 0, phantom = 0;  // the worst of all the verifications

  for (int round = 1; round <= rounds; ++round) {
    ServerProcess server({}, {}, db_path);
    ASSERT_TRUE(server.started()) << "round " << round << ": the server did not "
                                  << (round == 1 ? "start" : "restart after the kill") << " (seed "
                                  << seed << ", database " << db_path << ")\n"
                                  << server.Log();
    if (round > 1) ++restarts;
    ASSERT_EQ(server.Get("/health").status, 200) << server.Log();
    if (round > 1) {
      // The state the restarted server recovered from the killed one.
      const Verdict v = VerifyDatabase(db_path, sent, "after kill " + std::to_string(round - 1));
      lost = std::max(lost, v.lost);
      phantom = std::max(phantom, v.phantom);
      if (::testing::Test::HasFailure()) break;
      // Then the well-behaved clients retry what the kill cut off; the next verification checks
      // that each of those requests took effect exactly once.
      RetryCutOff(server, sent, round - 1, targets);
    }

    const int kill_delay_ms =
        int(std::uniform_int_distribution<int>(kMinKillDelayMs, kMaxKillDelayMs)(kill_rng));
    std::atomic<bool> stop{false};
    std::vector<std::vector<std::pair<std::string, Sent>>> results(kClients);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back(RunClient, std::ref(server), round, c, seed, std::cref(stop),
                           std::ref(targets), std::ref(results[c]));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_delay_ms));
    const std::string errors = ErrorLines(server.Log());
    // Stop the clients first, so that the kill cuts off only requests already on their way (and
    // the clients do not spin on refused connections while the process dies).
    stop = true;
    server.Kill();  // SIGKILL, with requests in flight
    ++kills;
    for (auto& t : clients) t.join();
    EXPECT_EQ(errors, "") << "round " << round << ": the server logged errors under load";

    int sent_round = 0, acked_round = 0, cut_off_round = 0;
    for (auto& per_client : results) {
      for (auto& [tag, s] : per_client) {
        ++sent_round;
        acked_round += s.outcome == Outcome::kAcked;
        cut_off_round += s.outcome == Outcome::kUnknown;
        EXPECT_FALSE(s.unexpected) << tag << " (" << KindName(s.kind) << "): " << s.detail;
        EXPECT_FALSE(s.internal_error) << tag << " (" << KindName(s.kind) << "): " << s.detail;
        sent.emplace(tag, std::move(s));
      }
    }
    std::cout << "[crash] round " << round << ": killed after " << kill_delay_ms << " ms; sent "
              << sent_round << ", acknowledged " << acked_round << ", cut off " << cut_off_round
              << "\n";
  }

  // A last restart: the server must come up on the state the last kill left, and what it serves
  // must agree with the file.
  Verdict verdict;
  bool verified = false;
  if (!::testing::Test::HasFailure()) {
    ServerProcess server({}, {}, db_path);
    ASSERT_TRUE(server.started()) << "the server did not restart after the last kill (seed " << seed
                                  << ", database " << db_path << ")\n"
                                  << server.Log();
    ++restarts;
    const Verdict recovered = VerifyDatabase(db_path, sent, "after the last kill");
    lost = std::max(lost, recovered.lost);
    phantom = std::max(phantom, recovered.phantom);
    if (!::testing::Test::HasFailure()) {
      RetryCutOff(server, sent, rounds, targets);
      verdict = VerifyDatabase(db_path, sent, "after the last retries");
      verified = true;
      lost = std::max(lost, verdict.lost);
      phantom = std::max(phantom, verdict.phantom);
    }
    for (const auto& [customer, balance] : verdict.balances) {
      HttpResult res = server.PostJson("/api/tools/get-customer/execute",
                                       {{"data", {{"customerId", customer}}}});
      EXPECT_EQ(res.status, 200) << res.body;
      const json c = res.status == 200 ? res.Json()["customer"] : json::object();
      const int64_t served =
          c.value("outstandingBalanceCents", int64_t{0}) - c.value("creditCents", int64_t{0});
      EXPECT_EQ(served, balance) << customer << ": the server and the file disagree";
    }
  }

  // The figures. "First attempt" outcomes: a retried request counts as cut off.
  std::map<Kind, std::array<int64_t, 3>> by_kind;  // acked, refused, cut off (first attempt)
  int64_t total = 0, acked = 0, refused = 0, cut_off = 0, never_connected = 0;
  int64_t retried = 0, retry_acked = 0, retry_replayed = 0, retry_stored = 0, retry_refused = 0;
  int64_t unknown_left = 0;
  for (const auto& [tag, s] : sent) {
    const Outcome first = s.retried ? Outcome::kUnknown : s.outcome;
    ++total;
    ++by_kind[s.kind][size_t(first)];
    acked += first == Outcome::kAcked;
    refused += first == Outcome::kRefused;
    cut_off += first == Outcome::kUnknown;
    never_connected += s.never_connected;
    if (s.retried) {
      ++retried;
      retry_acked += s.outcome == Outcome::kAcked;
      retry_replayed += s.replayed;
      retry_stored += s.replayed_stored;
      retry_refused += s.outcome == Outcome::kRefused;
    } else {
      unknown_left += s.outcome == Outcome::kUnknown;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "[crash] summary: rounds " << rounds << ", kills " << kills << ", clean restarts "
            << restarts << "; requests " << total << ": acknowledged " << acked
            << ", refused by a business rule " << refused << ", cut off by a kill " << cut_off
            << " (of which connection refused " << never_connected << ")\n";
  std::cout << "[crash] cut off with an Idempotency-Key, retried after the restart: " << retried
            << " (acknowledged " << retry_acked << ": " << retry_acked - retry_replayed
            << " ran now, " << retry_replayed - retry_stored
            << " had committed before the kill and were replayed from their operation key, "
            << retry_stored << " from their stored response; refused " << retry_refused << ")\n";
  std::cout << "[crash] cut off without a key, outcome left unknown: " << unknown_left;
  if (verified) {
    std::cout << " (committed " << verdict.unknown_applied << ", not committed "
              << verdict.unknown_not_applied << ")";
  }
  std::cout << "\n";
  for (const auto& [kind, n] : by_kind) {
    std::cout << "[crash]   " << KindName(kind) << ": acknowledged " << n[0] << ", refused " << n[1]
              << ", cut off " << n[2] << "\n";
  }
  if (verified) {
    std::cout << "[crash] final ledger: " << verdict.invoices << " invoices, " << verdict.payments
              << " payments, " << verdict.refunds << " refunds, " << verdict.audit_rows
              << " audit rows\n";
  } else {
    std::cout << "[crash] final verification not run: an earlier check failed\n";
  }
  std::cout << "[crash] lost " << lost << ", phantom " << phantom << "; "
            << (::testing::Test::HasFailure() ? "FAILED" : "all checks passed") << "; " << seconds
            << " s\n";
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(phantom, 0);
  EXPECT_GT(acked, 0) << "no request was acknowledged: the test proved nothing";

  std::error_code ec;
  if (::testing::Test::HasFailure() || std::getenv("BILLING_E2E_KEEP") != nullptr) {
    std::cout << "[crash] database kept for inspection: " << db_path << "\n";
  } else {
    std::filesystem::remove_all(dir, ec);
  }
}

}  // namespace
}  // namespace billing::e2e
