// Where the static files the server serves (Swagger UI, the console) are: the first candidate
// directory that holds a given file. One home for the lookup both use.
//
// Thread-safety: pure functions over the file system.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace billing::http {

// The first of `candidates` holding the regular file `marker`, or "" when none does.
inline std::string FirstDirWith(const std::vector<std::string>& candidates, const char* marker) {
  std::error_code ec;
  for (const std::string& dir : candidates) {
    if (!dir.empty() && std::filesystem::is_regular_file(std::filesystem::path(dir) / marker, ec)) {
      return dir;
    }
  }
  return "";
}

// `configured` alone when set; else `relative` under the working directory and under the source
// tree the binary was built in (two levels above it: build/<preset>/billing-agent).
inline std::vector<std::string> AssetDirCandidates(const std::string& configured,
                                                   const std::string& relative) {
  if (!configured.empty()) return {configured};
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return {relative, ec ? std::string() : (exe.parent_path() / "../.." / relative).string()};
}

}  // namespace billing::http
