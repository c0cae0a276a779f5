#include "app/data_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "billing/service.h"
#include "common/clock.h"
#include "store/backend.h"
#include "store/store.h"

namespace billing {
namespace {

constexpr char kUsage[] =
    "usage: billing-agent data-key generate [--id ID]\n"
    "       billing-agent data-key rotate [--db PATH]\n";
constexpr size_t kMaxKeyFileBytes = 64 * 1024;

// "k<unix time>". (Built with append: GCC 12 warns falsely on "k" + std::to_string(...).)
std::string DefaultKeyId() {
  std::string id = "k";
  id.append(std::to_string(std::time(nullptr)));
  return id;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::Invalid("BILLING_DATA_KEY_FILE", "cannot read data key file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  if (s.size() > kMaxKeyFileBytes)
    return Error::Invalid("BILLING_DATA_KEY_FILE", "data key file is too large");
  return s;
}

// Creates `path` with one new key, readable by the owner only; fails if it exists.
Status CreateKeyFile(const std::string& path) {
  const std::string entry =
      "# billing-agent data keys: the first seals, all open (README \"Payment data\")\n" +
      security::DataCipher::GenerateKeyEntry(DefaultKeyId()) + "\n";
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Error::Internal("cannot create data key file '" + path + "'");
  const bool ok =
      ::write(fd, entry.data(), entry.size()) == ssize_t(entry.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Error::Internal("cannot write data key file '" + path + "'");
  return OkStatus();
}

}  // namespace

std::string DataKeyBase(const std::string& db) {
  return IsPostgresDb(db) ? std::string("./data/postgres") : db;
}

DataKeySource DataKeySourceFromEnv(const std::string& db_path) {
  return DataKeySource{Env("BILLING_DATA_KEYS"), Env("BILLING_DATA_KEY_FILE"), db_path};
}

Result<security::DataCipher> LoadDataKeys(const DataKeySource& source, bool* generated) {
  if (generated != nullptr) *generated = false;
  if (!source.keys_text.empty()) return security::DataCipher::FromKeyList(source.keys_text);
  std::string file = source.key_file;
  if (file.empty()) {
    file = source.db_path + ".keys";
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      BILLING_TRY(CreateKeyFile(file));
      if (generated != nullptr) *generated = true;
    }
  }
  BILLING_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(file));
  return security::DataCipher::FromKeyList(text);
}

bool IsDataKeyCommand(int argc, char** argv) {
  return argc >= 2 && argv[1] != nullptr && std::string(argv[1]) == "data-key";
}

int RunDataKeyCommand(int argc, char** argv) {
  std::string db_path = "./data/billing.db";
  if (const std::string v = Env("BILLING_DB"); !v.empty()) db_path = v;
  std::vector<std::string> args;
  for (int i = 2; i < argc && i < 64; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  return RunDataKeyCommand(db_path, args, std::cout, std::cerr);
}

int RunDataKeyCommand(const std::string& db_path, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err) {
  if (args.empty() || (args[0] != "generate" && args[0] != "rotate")) {
    err << kUsage;
    return 2;
  }
  std::string db = db_path;
  std::string id = DefaultKeyId();
  for (size_t i = 1; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) {
      err << "data-key: " << args[i] << " needs a value\n" << kUsage;
      return 2;
    }
    if (args[i] == "--db" && args[0] == "rotate") {
      db = args[i + 1];
    } else if (args[i] == "--id" && args[0] == "generate") {
      id = args[i + 1];
    } else {
      err << "data-key: unknown option " << args[i] << "\n" << kUsage;
      return 2;
    }
  }
  if (args[0] == "generate") {
    const std::string entry = security::DataCipher::GenerateKeyEntry(id);
    if (!security::DataCipher::FromKeyList(entry).ok()) {
      err << "data-key: --id must be 1-16 characters of A-Z a-z 0-9 _ -\n";
      return 2;
    }
    out << entry << "\n";
    return 0;
  }
  std::error_code ec;
  if (!IsPostgresDb(db) && !std::filesystem::exists(db, ec)) {
    err << "data-key: no database at '" << db << "'\n";
    return 2;
  }
  auto cipher = LoadDataKeys(DataKeySourceFromEnv(DataKeyBase(db)));
  if (!cipher.ok()) {
    err << "data-key: " << cipher.error().message << "\n";
    return 1;
  }
  auto store = OpenStore(BackendOptions{db, 2});
  if (!store.ok()) {
    err << "data-key: cannot open " << DescribeBackend(BackendOptions{db}) << ": "
        << store.error().message << "\n";
    return 1;
  }
  SystemClock clock;
  CsprngSource ids, processor;
  BillingService service(*store.value(), clock, ids, processor, BillingOptions{});
  service.set_data_cipher(&cipher.value());
  int64_t resealed = 0;
  Status s = service.RotateDataKeys(&resealed);
  if (!s.ok()) {
    err << "data-key: rotation stopped after " << resealed << " card(s): " << s.error().message
        << "\n";
    return 1;
  }
  out << "re-sealed " << resealed << " card(s) with key " << cipher->current_key_id() << "\n";
  return 0;
}

}  // namespace billing
