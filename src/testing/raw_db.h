// RawDb: a plain connection to a test's database, beside the store, for what the services never
// do: tampering with rows, dropping or adding triggers, reading every stored value as text. It
// speaks to whichever backend the --db value names (a SQLite file or a postgres:// URL), so a
// tamper test is written once and runs on both (testing/test_backend.h). The few statements
// whose text differs between the dialects (trigger DDL) have a named method each.
//
// Thread-safety: one per test thread; not shared.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/postgres/pg_connection.h"
#include "testing/test_backend.h"

namespace billing::test_support {

class RawDb {
 public:
  explicit RawDb(const std::string& db) {
    if (IsPostgresDb(db)) {
      auto conn = pg::PgConnection::Open(db, 10);
      EXPECT_TRUE(conn.ok()) << conn.error().message;
      if (conn.ok()) pg_ = std::move(conn.value());
      return;
    }
    EXPECT_EQ(sqlite3_open(db.c_str(), &sqlite_), SQLITE_OK);
    sqlite3_busy_timeout(sqlite_, 5000);
  }
  ~RawDb() {
    if (sqlite_ != nullptr) sqlite3_close(sqlite_);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  bool postgres() const { return pg_ != nullptr; }

  // Runs SQL (several statements allowed); true on success, else *message gets the error text.
  bool Exec(const std::string& sql, std::string* message = nullptr) {
    if (message != nullptr) message->clear();
    if (pg_ != nullptr) {
      auto outcome = pg_->ExecScript(sql);
      if (!outcome.ok() && message != nullptr) *message = outcome.failure->error.message;
      return outcome.ok();
    }
    if (sqlite_ == nullptr) return false;
    char* err = nullptr;
    const int rc = sqlite3_exec(sqlite_, sql.c_str(), nullptr, nullptr, &err);
    if (message != nullptr && err != nullptr) *message = err;
    sqlite3_free(err);
    return rc == SQLITE_OK;
  }

  // Every non-NULL value of every row of a query, as text, each followed by '|'.
  std::string AllText(const std::string& sql) {
    std::string out;
    if (pg_ != nullptr) {
      auto outcome = pg_->Exec(sql);
      EXPECT_TRUE(outcome.ok()) << sql << ": " << outcome.failure->error.message;
      if (!outcome.ok()) return out;
      const pg::PgResult& rows = *outcome.result;
      for (int r = 0; r < rows.rows(); ++r) {
        for (int c = 0; c < rows.columns(); ++c) {
          if (!rows.IsNull(r, c)) out += rows.Text(r, c) + "|";
        }
      }
      return out;
    }
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(sqlite_, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const unsigned char* t = sqlite3_column_text(st, c);
        if (t != nullptr) out += std::string(reinterpret_cast<const char*>(t)) + "|";
      }
    }
    sqlite3_finalize(st);
    return out;
  }

  // Every value of every table of the database as text (a row per line): what is "at rest" in
  // it, as the store wrote it. Bounded by the test's own data.
  std::string AllTablesText() {
    const std::string tables =
        postgres() ? AllText(
                         "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                         "ORDER BY tablename")
                   : AllText("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    std::string out;
    size_t start = 0;
    for (size_t bar = tables.find('|'); bar != std::string::npos; bar = tables.find('|', start)) {
      const std::string table = tables.substr(start, bar - start);
      start = bar + 1;
      out += AllText(postgres() ? "SELECT t::text FROM \"" + table + "\" t"
                                : "SELECT * FROM \"" + table + "\"");
      out += '\n';
    }
    return out;
  }

  // Drops the triggers that make audit_log append-only (a tamperer with write access would).
  bool DropAuditAppendOnlyTriggers() {
    return Exec(postgres() ? "DROP TRIGGER audit_log_no_update ON audit_log"
                           : "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete");
  }
  // Adds (or removes) a trigger that makes every audit insert fail with "audit refused".
  bool RefuseAuditInserts(bool refuse) { return RefuseInserts("audit_log", refuse); }
  // Adds (or removes) a trigger that makes every insert into `table` fail ("<table> refused").
  bool RefuseInserts(const std::string& table, bool refuse) {
    const std::string name = table + "_refuse";
    if (postgres()) {
      return Exec(
          refuse ? "CREATE FUNCTION " + name +
                       "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '" + table +
                       " refused'; END $$; CREATE TRIGGER " + name + " BEFORE INSERT ON " + table +
                       " FOR EACH ROW EXECUTE FUNCTION " + name + "()"
                 : "DROP TRIGGER " + name + " ON " + table + "; DROP FUNCTION " + name + "()");
    }
    return Exec(refuse ? "CREATE TRIGGER " + name + " BEFORE INSERT ON " + table +
                             " BEGIN SELECT RAISE(ABORT, '" + table + " refused'); END"
                       : "DROP TRIGGER " + name);
  }

 private:
  sqlite3* sqlite_ = nullptr;
  std::unique_ptr<pg::PgConnection> pg_;
};

// `s` as an SQL string literal (standard quoting, the same on both backends).
inline std::string SqlQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace billing::test_support
