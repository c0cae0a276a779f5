// Starts the real billing-agent binary on an ephemeral port over a fresh temporary database and
// speaks HTTP to it. Used by every end-to-end test.
//
// Thread-safety: one harness per test; not shared between threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace billing::e2e {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json Json() const;
};

// One run of the billing-agent binary to completion (e.g. `keys create`, or a server that must
// refuse to start), bounded by timeout_ms (then SIGKILL and exit_code -2).
struct CommandResult {
  int exit_code = -1;  // the process's exit status; -1 killed by a signal, -2 timed out
  std::string out;     // stdout
  std::string err;     // stderr
};
CommandResult RunAgentCommand(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env = {},
                              int timeout_ms = 20000);

class ServerProcess;
// POST /api/tools/<tool>/execute with {"data": data}: the result's JSON body; *status (if given)
// gets the HTTP status.
nlohmann::json Tool(ServerProcess& server, const std::string& tool, const nlohmann::json& data,
                    const std::map<std::string, std::string>& headers = {}, int* status = nullptr);
// "Bearer <key>" for a new API key with `scopes` ("read,invoice") on the server's database, made
// with `billing-agent keys create`; "" (and a test failure) if the command fails.
std::string BearerForNewKey(const ServerProcess& server, const std::string& scopes);

class ServerProcess {
 public:
  // env: extra environment for the server (e.g. BILLING_PAYMENT_MODE=approve).
  // db_path: reuse an existing database (restart tests); empty = a fresh temporary one: a SQLite
  // file, or under BILLING_TEST_BACKEND=postgres a PostgreSQL database of its own, dropped with
  // the server (testing/test_backend.h). On PostgreSQL every server of a test process gets the
  // same data keys (BILLING_DATA_KEYS), as instances sharing one database must.
  explicit ServerProcess(std::map<std::string, std::string> env = {},
                         std::vector<std::string> args = {}, std::string db_path = "");
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ != 0; }
  int port() const { return port_; }
  const std::string& db_path() const { return db_path_; }
  std::string Log() const;  // everything the server printed

  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});
  HttpResult Get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return Request("GET", target, "", headers);
  }
  HttpResult PostJson(const std::string& target, const nlohmann::json& body,
                      std::map<std::string, std::string> headers = {}) {
    headers.emplace("Content-Type", "application/json");
    return Request("POST", target, body.dump(), headers);
  }
  // POST /api/agents/billingApiAgent/generate with one user message (extra headers optional,
  // e.g. Authorization).
  HttpResult Ask(const std::string& prompt, const std::map<std::string, std::string>& headers = {});

  void Kill();  // SIGKILL

 private:
  std::string dir_;
  std::string db_path_;
  bool owns_pg_database_ = false;
  std::string log_path_;
  int pid_ = -1;
  int port_ = 0;
};

}  // namespace billing::e2e
