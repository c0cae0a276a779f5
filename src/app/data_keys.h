// The data key ring for stored card details (security/data_cipher.h), and the
// `billing-agent data-key ...` commands.
//
// Where the keys come from, first match wins:
//   1. BILLING_DATA_KEYS: "id:hex64[,id:hex64...]" (the first seals, all open);
//   2. BILLING_DATA_KEY_FILE: a file with the same entries, one per line ('#' comments);
//   3. "<database>.keys" next to the database file; created with one new key (mode 0600) on the
//      first start, with a warning that a key kept beside the data protects only copies of the
//      database file, not the machine.
//
//   data-key generate [--id ID]   prints a new key entry "ID:hex64" (default id: k<unix time>)
//   data-key rotate [--db PATH]   re-seals every stored card with the first key; run it after
//                                 putting a new key first (the old one still listed), then drop
//                                 the old key. Prints "re-sealed N card(s) with key ID".
//
// Thread-safety: runs on the calling thread.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "common/result.h"
#include "security/data_cipher.h"

namespace billing {

struct DataKeySource {
  std::string keys_text;  // BILLING_DATA_KEYS
  std::string key_file;   // BILLING_DATA_KEY_FILE
  std::string db_path;    // for the default "<db>.keys"
};

// Loads the key ring. *generated (optional) is set when the default key file was just created.
Result<security::DataCipher> LoadDataKeys(const DataKeySource& source, bool* generated = nullptr);
// The source from the environment and `db_path`.
DataKeySource DataKeySourceFromEnv(const std::string& db_path);
// What the default key file is named after: the SQLite file itself, or "./data/postgres" for a
// PostgreSQL database (every instance on one database needs the same keys: configure them with
// BILLING_DATA_KEYS or BILLING_DATA_KEY_FILE there).
std::string DataKeyBase(const std::string& db);

bool IsDataKeyCommand(int argc, char** argv);
int RunDataKeyCommand(int argc, char** argv);
// args: what follows `data-key`. Returns 0 on success, 1 on failure, 2 on usage errors.
int RunDataKeyCommand(const std::string& db_path, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err);

}  // namespace billing
