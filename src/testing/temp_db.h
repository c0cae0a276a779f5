// TempDbFile: the database of one unit test. On SQLite (the default) a file path unique to the
// process and the running test, with any leftovers (and its -wal/-shm files) removed before and
// after; under BILLING_TEST_BACKEND=postgres the URL of a fresh PostgreSQL database of its own,
// dropped after (testing/test_backend.h). Open it with store/backend.h (OpenStore(...)), so the
// same test runs on both backends. Test code only.
//
// Thread-safety: one per test; not shared.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "store/backend.h"
#include "testing/test_backend.h"

namespace billing::test_support {

class TempDbFile {
 public:
  explicit TempDbFile(const std::string& prefix) {
    if (TestOnPostgres()) {
      std::string why;
      path_ = CreateTestPgDatabase(&why);
      postgres_ = true;
      if (path_.empty()) ADD_FAILURE() << "no PostgreSQL database for this test: " << why;
      return;
    }
    path_ = (std::filesystem::temp_directory_path() /
             (prefix + "-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    Remove();
  }
  ~TempDbFile() {
    if (postgres_) {
      DropTestPgDatabase(path_);
    } else {
      Remove();
    }
  }
  TempDbFile(const TempDbFile&) = delete;
  TempDbFile& operator=(const TempDbFile&) = delete;

  // The --db value: a file path or a postgres:// URL.
  const std::string& path() const { return path_; }
  bool postgres() const { return postgres_; }
  BackendOptions options(int max_connections = 4) const {
    return BackendOptions{path_, max_connections, 5000};
  }

 private:
  void Remove() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ec);
  }
  std::string path_;
  bool postgres_ = false;
};

}  // namespace billing::test_support
