# Writes OUT: a C++ file defining billing::FUNC() (SqliteMigrations, PostgresMigrations) from the
# .sql FILES (NNN_name.sql) of one dialect, given as one '|'-separated string.
string(REPLACE "|" ";" FILES "${FILES}")
set(body "// Generated from src/store/<dialect>/migrations/*.sql. Do not edit.\n#include \"store/migrations.h\"\n\nnamespace billing {\n\nconst std::vector<Migration>& ${FUNC}() {\n  static const std::vector<Migration> kMigrations = {\n")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME_WE)
  string(REGEX MATCH "^[0-9]+" version ${name})
  math(EXPR version "${version}")
  file(READ ${f} sql)
  string(APPEND body "      {${version}, \"${name}\", R\"billingsql(${sql})billingsql\"},\n")
endforeach()
string(APPEND body "  };\n  return kMigrations;\n}\n\n}  // namespace billing\n")
file(WRITE ${OUT} "${body}")
