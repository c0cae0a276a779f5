// The storage interface of the billing ledger. A Store runs a function inside one transaction and
// hands it a StoreTx: record-level reads and writes with no business rules (those live in
// billing/). SQLite implements it today; PostgreSQL will implement the same interface.
//
// Contract: Write() runs `fn` in a serialisable write transaction and commits only if `fn` returns
// OK and the commit is durable on disk; otherwise everything `fn` did is rolled back. Read() runs
// `fn` on a consistent snapshot. Errors are values; a StoreTx method that fails returns an Error
// with code kInternal (message safe to log, not to show to users).
//
// Thread-safety: a Store is safe to use from many threads at once; a StoreTx belongs to the one
// call that received it and must not escape it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "billing/types.h"
#include "common/result.h"

namespace billing {

struct InvoiceFilter {
  std::string customer_id;          // empty = all
  std::vector<std::string> status;  // stored statuses; empty = all
  int limit = 1000;
};

struct PaymentFilter {
  std::string customer_id;  // empty = all
  std::string status;       // empty = all
  std::string invoice_id;   // empty = all
  int limit = 1000;
};

class StoreTx {
 public:
  virtual ~StoreTx() = default;

  // Customers. Ids are passed in canonical (upper) case.
  virtual Result<std::optional<Customer>> FindCustomer(const std::string& id) = 0;
  virtual Result<std::vector<Customer>> ListCustomers() = 0;
  virtual Status InsertCustomer(const Customer& c) = 0;
  virtual Result<int64_t> CountCustomers() = 0;
  // Ledger sums per customer id (every customer has an entry).
  virtual Result<std::map<std::string, LedgerTotals>> Ledger(const std::string& customer_id) = 0;

  // Invoices (items and paid_cents filled in).
  virtual Result<std::optional<Invoice>> FindInvoice(const std::string& id) = 0;
  virtual Result<std::vector<std::string>> InvoiceIdsWithSeq(int seq) = 0;
  virtual Result<std::vector<Invoice>> ListInvoices(const InvoiceFilter& filter) = 0;
  // Allocates the next invoice sequence number of `year` (gapless; part of the transaction).
  virtual Result<int> NextInvoiceSeq(int year) = 0;
  virtual Status InsertInvoice(const Invoice& inv) = 0;
  // Replaces the mutable fields and the line items of an existing invoice.
  virtual Status UpdateInvoice(const Invoice& inv) = 0;

  // Payments.
  virtual Result<int64_t> NextPaymentNumber() = 0;
  virtual Result<int64_t> NextRefundNumber() = 0;
  virtual Result<std::optional<Payment>> FindPayment(const std::string& id) = 0;
  virtual Result<std::vector<Payment>> ListPayments(const PaymentFilter& filter) = 0;  // newest first
  virtual Status InsertPayment(const Payment& p) = 0;
  virtual Status UpdatePaymentRefund(const std::string& id, int64_t refunded_cents,
                                     const std::string& status) = 0;
  virtual Result<std::vector<Allocation>> AllocationsOf(const std::string& payment_id) = 0;
  virtual Status InsertAllocation(const Allocation& a) = 0;
  virtual Status UpdateAllocationRefunded(int64_t allocation_id, int64_t refunded_cents) = 0;
  virtual Status InsertRefund(const Refund& r) = 0;
  virtual Result<std::vector<Refund>> RefundsOf(const std::string& payment_id) = 0;

  // Stored cards. ListStoredCards: ids greater than after_id (by number), of one customer
  // ("" = all), at most `limit`.
  virtual Result<int64_t> NextStoredCardNumber() = 0;
  virtual Status InsertStoredCard(const StoredCard& card) = 0;
  virtual Result<std::optional<StoredCard>> FindStoredCard(const std::string& id) = 0;
  virtual Result<std::vector<StoredCard>> ListStoredCards(const std::string& customer_id,
                                                          int64_t after_number, int limit) = 0;
  virtual Status UpdateStoredCardSeal(const std::string& id, const std::string& sealed,
                                      const std::string& key_id) = 0;

  // Operation keys (idempotency of changes). InsertOperation fails on a duplicate key.
  virtual Result<std::optional<OperationRecord>> FindOperation(const std::string& op_key) = 0;
  virtual Status InsertOperation(const OperationRecord& op) = 0;

  // Audit log (append-only). AppendAudit stores the entry exactly as given (seq, prev_hash and
  // hash are computed by the caller, billing/audit.h); a duplicate seq is an error. ListAudit
  // returns rows with seq > after_seq in seq order, at most `limit` of them.
  virtual Status AppendAudit(const AuditEntry& e) = 0;
  virtual Result<std::vector<AuditEntry>> ListAudit(int64_t after_seq, int limit) = 0;
  virtual Result<std::optional<AuditEntry>> LastAudit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Status Read(const std::function<Status(StoreTx&)>& fn) = 0;
  virtual Status Write(const std::function<Status(StoreTx&)>& fn) = 0;
  // Human-readable description for the start-up log ("sqlite:./data/billing.db").
  virtual std::string Describe() const = 0;
  // Counters since the store was opened: committed writes and the write transactions that carried
  // them (group commit: several per commit); rows stepped through by full table scans and sorts
  // done without an index (work that grows with the ledger; the hot paths must do none); and
  // SQLite virtual machine steps, a measure of all the work the statements did.
  struct Stats {
    uint64_t writes = 0;
    uint64_t commits = 0;
    uint64_t full_scan_steps = 0;
    uint64_t sorts = 0;
    uint64_t vm_steps = 0;
  };
  virtual Stats stats() const { return {}; }
};

struct SqliteOptions {
  std::string path;           // file path; parent directory is created if missing
  int max_connections = 8;    // bound on open connections (readers + the writer)
  int busy_timeout_ms = 5000;
  // true: every store opened on this file in this process shares one connection pool, so all
  // their writes line up in one writer queue and commit together (the ledger, conversation
  // memory, idempotency keys, API keys); none waits on another's file lock, where SQLite's busy
  // handler sleeps 1, 2, 5, ... ms. false: a pool of its own (tests that stand for another
  // process on the same file).
  bool share_pool = true;
};

// Opens (creating if needed) the database, applies pending migrations, and returns the store.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace billing
