// The versioned schema migrations compiled into the binary from src/store/sqlite/migrations/*.sql
// (generated at build time; the .sql files are the source of truth).
#pragma once

#include <string_view>
#include <vector>

namespace billing {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

const std::vector<Migration>& AllMigrations();

}  // namespace billing
