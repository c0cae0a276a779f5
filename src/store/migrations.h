// The versioned schema migrations of each dialect, compiled into the binary from
// src/store/sqlite/migrations/*.sql and src/store/postgres/migrations/*.sql (generated at build
// time; the .sql files are the source of truth). Every new table gets a migration in both.
#pragma once

#include <string_view>
#include <vector>

namespace billing {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

const std::vector<Migration>& SqliteMigrations();
const std::vector<Migration>& PostgresMigrations();

}  // namespace billing
