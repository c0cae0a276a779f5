// TempDbFile: a database file path for one unit test, unique to the process and the running test,
// with any leftovers (and its -wal/-shm files) removed before and after. Test code only.
//
// Thread-safety: one per test; not shared.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace billing::test_support {

class TempDbFile {
 public:
  explicit TempDbFile(const std::string& prefix)
      : path_((std::filesystem::temp_directory_path() /
               (prefix + "-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                  .string()) {
    Remove();
  }
  ~TempDbFile() { Remove(); }
  TempDbFile(const TempDbFile&) = delete;
  TempDbFile& operator=(const TempDbFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  void Remove() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ec);
  }
  std::string path_;
};

}  // namespace billing::test_support
