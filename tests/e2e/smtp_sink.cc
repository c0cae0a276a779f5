// The SMTP sink process; see smtp_sink.h.
#include "e2e/smtp_sink.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace billing::e2e {

SmtpSink::SmtpSink(int port, std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) {
    char tmpl[] = "/tmp/billing-smtp-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    owns_dir_ = true;
  }
  const std::string port_file = dir_ + "/port";
  std::error_code ec;
  std::filesystem::remove(port_file, ec);
  const std::string script = std::string(BILLING_SOURCE_DIR) + "/tests/e2e/smtp_sink.py";
  const std::string port_text = std::to_string(port);
  pid_ = ::fork();
  if (pid_ == 0) {
    // Debian's interpreter first: python3-aiosmtpd is installed for it, not for another python3
    // that may come first on PATH (pyenv).
    std::vector<std::string> args = {"/usr/bin/python3", script, dir_, port_file};
    if (port != 0) args.push_back(port_text);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    args[0] = "python3";
    argv[0] = args[0].data();
    ::execvp("python3", argv.data());
    ::_exit(127);
  }
  // Ready when the port file appears (written after the server listens), at most 15 s.
  for (int i = 0; i < 1500; ++i) {
    std::ifstream in(port_file);
    int p = 0;
    if (in >> p && p > 0) {
      port_ = p;
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;  // exited (python3-aiosmtpd missing?)
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

SmtpSink::~SmtpSink() {
  Stop();
  if (owns_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

void SmtpSink::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 500; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::vector<nlohmann::json> SmtpSink::Messages() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<nlohmann::json> out;
  for (const std::string& name : names) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(nlohmann::json::parse(ss.str(), nullptr, false));
  }
  return out;
}

std::vector<nlohmann::json> SmtpSink::WaitFor(size_t n, int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<nlohmann::json> got = Messages();
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    got = Messages();
  }
  return got;
}

}  // namespace billing::e2e
