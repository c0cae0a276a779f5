// Shared by the libFuzzer targets in this directory: an invariant check that libFuzzer sees as a
// crash, and throwaway SQLite database files for the targets that need a ledger.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

// A broken invariant is a crash: libFuzzer saves the input as crash-<sha1> and the CTest run fails.
#define FUZZ_CHECK(cond, ...)                                                              \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                   \
      std::fprintf(stderr, "\n");                                                          \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

namespace billing::fuzz {

inline void RemoveDbFiles(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ec);
  }
}

// A fresh database path, deleted (with its -wal/-shm) at exit: the targets keep their ledger in
// a leaked static (libFuzzer ends the process with exit(); tearing down a live server there buys
// nothing). In /dev/shm when it exists: the store commits with synchronous=FULL, and an fsync per
// input on a real disk would cut the executions per second by an order of magnitude.
inline std::string NewTempDbPath(std::string_view name) {
  static auto* paths = new std::vector<std::string>();  // leaked: read by the atexit hook
  if (paths->empty()) {
    std::atexit([] {
      for (const std::string& p : *paths) RemoveDbFiles(p);
    });
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir =
      fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
  std::string path =
      (dir / ("billing-fuzz-" + std::string(name) + "-" + std::to_string(::getpid()) + "-" +
              std::to_string(paths->size()) + ".db"))
          .string();
  RemoveDbFiles(path);
  paths->push_back(path);
  return path;
}

}  // namespace billing::fuzz
