// Schema migrations over real files: a database left at migration 9 with a ledger in it upgrades
// in place (010 computes every invoice's paid total from its allocations, 011 rewrites the IN-list
// CHECK constraints), keeps every row and every constraint, and a fresh database ends with the
// same schema. The billing invariants hold on the upgraded ledger.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "billing/audit.h"
#include "billing/service.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_util.h"
#include "testing/temp_db.h"

namespace billing {
namespace {

constexpr int64_t kNoonMs = 1795608000000;  // 2026-11-25T12:00:00Z

// A raw connection for setting up and inspecting the file around the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }
  // How many temporary b-trees SQLite's plan for `sql` opens.
  int EphemeralTables(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    int count = 0;
    if (sqlite3_prepare_v2(db_, ("EXPLAIN " + sql).c_str(), -1, &st, nullptr) != SQLITE_OK)
      return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
      count +=
          std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) == "OpenEphemeral";
    }
    sqlite3_finalize(st);
    return count;
  }

 private:
  sqlite3* db_ = nullptr;
};

// Applies the migrations up to and including `last_version`, as the runner of that time would.
void MigrateUpTo(const std::string& path, int last_version) {
  RawDb raw(path);
  ASSERT_EQ(raw.Exec("PRAGMA journal_mode=WAL; CREATE TABLE schema_migrations (version INTEGER "
                     "PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT '')"),
            SQLITE_OK);
  for (const Migration& m : SqliteMigrations()) {
    if (m.version > last_version) break;
    ASSERT_EQ(raw.Exec(std::string(m.sql)), SQLITE_OK) << "migration " << m.version;
    std::string record = "INSERT INTO schema_migrations (version, name) VALUES (";
    record.append(std::to_string(m.version)).append(", '").append(m.name).append("')");
    ASSERT_EQ(raw.Exec(record), SQLITE_OK);
  }
}

// A payment row with the given method (the CHECK on payments.method decides).
std::string WithMethod(const std::string& method) {
  std::string sql =
      "INSERT INTO payments (id, number, customer_id, invoice_id, amount_cents, refunded_cents, "
      "method, status, transaction_id, created_at) VALUES ('PAY-X', 99, 'CUST-001', '', 100, 0, '";
  sql.append(method).append("', 'completed', 'txn_x', '2026-11-25')");
  return sql;
}

TEST(MigrationsTest, ALedgerAtVersion9UpgradesInPlace) {
  test_support::TempDbFile db("billing-migrations-test");
  MigrateUpTo(db.path(), 9);
  {
    RawDb raw(db.path());
    // A customer with an invoice paid in two installments, the second partly refunded.
    ASSERT_EQ(
        raw.Exec(
            "INSERT INTO customers (id, company, contact_name, email, billing_cycle, "
            "payment_method, status, currency, opening_balance_cents, created_at) VALUES "
            "('CUST-001', 'Co', 'A', 'a@co.example', 'monthly', 'paypal', 'active', 'USD', 0, "
            "'2026');"
            "INSERT INTO invoices (id, year, seq, customer_id, subtotal_cents, tax_rate_bp, "
            "tax_cents, total_cents, status, issue_date, due_date, created_at) VALUES "
            "('INV-2026-001', 2026, 1, 'CUST-001', 1000, 0, 0, 1000, 'pending', '2026-11-01', "
            "'2026-12-01', '2026');"
            "INSERT INTO invoice_items (invoice_id, position, description, quantity_milli, "
            "unit_price_cents, amount_cents) VALUES ('INV-2026-001', 1, 'Plan', 1000, 1000, 1000);"
            "INSERT INTO payments (id, number, customer_id, invoice_id, amount_cents, "
            "refunded_cents, method, status, transaction_id, created_at) VALUES "
            "('PAY-001', 1, 'CUST-001', '', 300, 0, 'paypal', 'completed', 'txn_1', '2026'),"
            "('PAY-002', 2, 'CUST-001', '', 200, 50, 'paypal', 'partially_refunded', 'txn_2', "
            "'2026');"
            "INSERT INTO payment_allocations (payment_id, invoice_id, amount_cents, "
            "refunded_cents) "
            "VALUES ('PAY-001', 'INV-2026-001', 300, 0), ('PAY-002', 'INV-2026-001', 200, 50);"),
        SQLITE_OK);
    EXPECT_EQ(raw.EphemeralTables(WithMethod("paypal")), 2);  // the IN-list CHECKs, before
  }

  auto store = OpenSqliteStore({db.path(), 2, 5000});
  ASSERT_TRUE(store.ok()) << store.error().message;
  RawDb raw(db.path());
  EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(raw.Text("SELECT MAX(version) FROM schema_migrations"),
            std::to_string(SqliteMigrations().back().version));
  EXPECT_EQ(raw.Text("SELECT paid_cents FROM invoices WHERE id = 'INV-2026-001'"), "450");
  EXPECT_EQ(raw.Text("SELECT COUNT(*) FROM payments"), "2");
  EXPECT_EQ(raw.Text("SELECT sql FROM sqlite_schema WHERE name = 'payments'").find(" IN ("),
            std::string::npos);
  EXPECT_EQ(raw.EphemeralTables(WithMethod("paypal")), 0);
  // The rewritten constraints accept and refuse exactly what the old ones did.
  EXPECT_EQ(raw.Exec(WithMethod("cash")), SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.Exec("UPDATE invoices SET status = 'lost' WHERE id = 'INV-2026-001'"),
            SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.Exec("UPDATE customers SET billing_cycle = 'weekly'"), SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.Exec(WithMethod("crypto")), SQLITE_OK);
  // The triggers keep the paid total from now on, and the service finds the ledger consistent.
  ASSERT_EQ(
      raw.Exec("UPDATE payment_allocations SET refunded_cents = 300 WHERE payment_id = 'PAY-001'"),
      SQLITE_OK);
  EXPECT_EQ(raw.Text("SELECT paid_cents FROM invoices WHERE id = 'INV-2026-001'"), "150");
  ASSERT_EQ(
      raw.Exec("UPDATE payments SET refunded_cents = 300, status = 'refunded' WHERE id = 'PAY-001';"
               "DELETE FROM payments WHERE id = 'PAY-X'"),
      SQLITE_OK);
  FixedClock clock{kNoonMs};
  SeededRandom ids{1}, processor{2};
  BillingService service(*store.value(), clock, ids, processor, BillingOptions{});
  Status invariants = service.CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().message;
}

// Issue #17: an audit log written before migration 013 (chain version 1, the CometChat sender
// as the actor) keeps verifying after the upgrade, new rows are version 2 with the claim apart,
// and a claim written into an old row is found.
TEST(MigrationsTest, AnAuditLogAtVersion12KeepsVerifyingAfterTheUpgrade) {
  test_support::TempDbFile db("billing-migrations-audit-test");
  MigrateUpTo(db.path(), 12);
  {
    RawDb raw(db.path());
    ASSERT_EQ(raw.Exec("INSERT INTO customers (id, company, contact_name, email, billing_cycle, "
                       "payment_method, status, currency, opening_balance_cents, created_at) "
                       "VALUES ('CUST-001', 'Co', 'A', 'a@co.example', 'monthly', 'paypal', "
                       "'active', 'USD', 0, '2026')"),
              SQLITE_OK);
    AuditEntry prev;
    for (int seq = 1; seq <= 3; ++seq) {
      AuditEntry e;
      e.chain_version = 1;
      e.seq = seq;
      e.prev_hash = seq == 1 ? std::string(kAuditGenesisHash) : prev.hash;
      e.at = "2026-11-2" + std::to_string(seq) + "T12:00:00.000Z";
      e.actor = seq == 1 ? "seed" : "cometchat:user" + std::to_string(seq);
      e.action = seq == 1 ? "seed.load" : "invoice.update";
      e.entity_type = seq == 1 ? "ledger" : "invoice";
      e.hash = *AuditHash(e);
      std::string sql =
          "INSERT INTO audit_log (seq, at, actor, action, entity_type, entity_id, before_json, "
          "after_json, request_id, prev_hash, hash) VALUES (" +
          std::to_string(e.seq) + ", '" + e.at + "', '" + e.actor + "', '" + e.action + "', '" +
          e.entity_type + "', '', 'null', 'null', '', '" + e.prev_hash + "', '" + e.hash + "')";
      ASSERT_EQ(raw.Exec(sql), SQLITE_OK) << sql;
      prev = e;
    }
  }
  auto store = OpenSqliteStore({db.path(), 2, 5000});
  ASSERT_TRUE(store.ok()) << store.error().message;
  FixedClock clock{kNoonMs};
  SeededRandom ids{1}, processor{2};
  BillingOptions options;
  options.processor_mode = ProcessorMode::kAlwaysApprove;
  BillingService service(*store.value(), clock, ids, processor, options);
  PaymentRequest pay{"CUST-001", 500, "paypal", ""};
  pay.actor = Actor{"key:bk_1a2b3c4d", "cometchat:ceo-of-company"};
  ASSERT_TRUE(service.ProcessPayment(pay).ok());

  int64_t rows = 0, broken = -1;
  std::string why;
  ASSERT_TRUE(service.VerifyAudit(&rows, &broken, &why).ok());
  EXPECT_EQ(broken, 0) << why;
  EXPECT_EQ(rows, 4);
  auto listed = service.ListAudit(AuditQuery{}, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 4u);
  EXPECT_EQ((*listed)[1].chain_version, 1);
  EXPECT_EQ((*listed)[1].actor, "cometchat:user2");  // the old rows stay as they were written
  EXPECT_EQ((*listed)[3].chain_version, 2);
  EXPECT_EQ((*listed)[3].actor, "key:bk_1a2b3c4d");
  EXPECT_EQ((*listed)[3].on_behalf_of, "cometchat:ceo-of-company");

  // A claim written into an old row is not covered by its hash: found at that row.
  RawDb raw(db.path());
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET on_behalf_of = "
                     "'cometchat:ceo' WHERE seq = 2"),
            SQLITE_OK);
  ASSERT_TRUE(service.VerifyAudit(&rows, &broken, &why).ok());
  EXPECT_EQ(broken, 2);
  EXPECT_NE(why.find("version 1 row"), std::string::npos) << why;
}

TEST(MigrationsTest, AFreshDatabaseHasTheUpgradedSchema) {
  test_support::TempDbFile fresh("billing-migrations-fresh");
  ASSERT_TRUE(OpenSqliteStore({fresh.path(), 2, 5000}).ok());
  test_support::TempDbFile upgraded("billing-migrations-upgraded");
  MigrateUpTo(upgraded.path(), 9);
  ASSERT_TRUE(OpenSqliteStore({upgraded.path(), 2, 5000}).ok());
  RawDb a(fresh.path()), b(upgraded.path());
  const std::string schema =
      "SELECT group_concat(type || ' ' || name || ': ' || COALESCE(sql, ''), char(10)) FROM "
      "(SELECT * FROM sqlite_schema WHERE name <> 'schema_migrations' ORDER BY type, name)";
  EXPECT_EQ(a.Text(schema), b.Text(schema));
  EXPECT_EQ(a.Text("PRAGMA integrity_check"), "ok");
}

TEST(MigrationsTest, AMigrationAfterASchemaRewriteRunsOnAFreshConnection) {
  // Migration 2 rewrites a CREATE TABLE in sqlite_schema; migration 3 alters the same table. On
  // the connection that ran 2, SQLite would splice 3's column into the text at offsets of the old
  // text ("error in table t after add column"); the runner commits after 2 and runs 3 on a new
  // connection.
  const std::vector<Migration> migrations = {
      {1, "table", "CREATE TABLE t (s TEXT NOT NULL CHECK (s IN ('a','b','c')));"},
      {2, "rewrite",
       "PRAGMA writable_schema = ON;"
       "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (s IN (''a'',''b'',''c''))', "
       "'CHECK (s = ''a'' OR s = ''b'' OR s = ''c'')') WHERE name = 't';"
       "PRAGMA writable_schema = OFF;"
       "CREATE TABLE reload (x); DROP TABLE reload;"},
      {3, "column", "ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 0;"},
  };
  test_support::TempDbFile db("billing-migration-runner");
  auto pool = sqlite::ConnectionPool::Open({db.path(), 2, 5000}, migrations);
  ASSERT_TRUE(pool.ok()) << pool.error().message;
  RawDb raw(db.path());
  EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(raw.Text("SELECT sql FROM sqlite_schema WHERE name = 't'"),
            "CREATE TABLE t (s TEXT NOT NULL CHECK (s = 'a' OR s = 'b' OR s = 'c'), n INTEGER NOT "
            "NULL DEFAULT 0)");
  EXPECT_EQ(raw.Text("SELECT group_concat(version) FROM schema_migrations"), "1,2,3");
  EXPECT_EQ(raw.Exec("INSERT INTO t (s) VALUES ('b')"), SQLITE_OK);
  EXPECT_EQ(raw.Exec("INSERT INTO t (s) VALUES ('z')"), SQLITE_CONSTRAINT);
}

}  // namespace
}  // namespace billing
