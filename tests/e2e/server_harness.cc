#include "e2e/server_harness.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "security/data_cipher.h"
#include "testing/test_backend.h"

namespace billing::e2e {
namespace {

// One key ring per test process: every server on one PostgreSQL database must share it.
const std::string& TestDataKeys() {
  static const std::string keys = security::DataCipher::GenerateKeyEntry("e2e");
  return keys;
}

}  // namespace

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

nlohmann::json HttpResult::Json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

ServerProcess::ServerProcess(std::map<std::string, std::string> env, std::vector<std::string> args,
                             std::string db_path) {
  char tmpl[] = "/tmp/billing-e2e-XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  db_path_ = db_path.empty() ? dir_ + "/billing.db" : db_path;
  if (db_path.empty() && test_support::TestOnPostgres()) {
    std::string why;
    db_path_ = test_support::CreateTestPgDatabase(&why);
    owns_pg_database_ = true;
    if (db_path_.empty()) {
      ADD_FAILURE() << "no PostgreSQL database for this server: " << why;
      return;
    }
  }
  if (test_support::IsPostgresDb(db_path_)) env.emplace("BILLING_DATA_KEYS", TestDataKeys());
  log_path_ = dir_ + "/server.log";
  env.emplace("BILLING_TODAY", "2026-11-25");
  env.emplace("BILLING_PAYMENT_MODE", "approve");
  env.emplace("BILLING_THREADS", "2");
  // Tests send bursts from one address; the rate-limit tests set their own limits.
  env.emplace("BILLING_RATE_LIMIT", "off");
  env.emplace("BILLING_PAYMENT_RATE_LIMIT", "off");

  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::unsetenv("OPENAI_API_KEY");
    ::unsetenv("BILLING_MODEL");
    ::unsetenv("PORT");
    ::unsetenv("HOST");
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> argv_s = {BILLING_AGENT_BINARY, "--host", "127.0.0.1", "--port", "0",
                                       "--db", db_path_};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Wait (bounded) for the "listening on http://127.0.0.1:<port>" line.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string log = Log();
    const auto pos = log.find("listening on http://127.0.0.1:");
    if (pos != std::string::npos) {
      port_ = std::atoi(log.c_str() + pos + std::string("listening on http://127.0.0.1:").size());
      break;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  if (std::getenv("BILLING_E2E_KEEP") == nullptr) std::filesystem::remove_all(dir_, ec);
  if (owns_pg_database_) test_support::DropTestPgDatabase(db_path_);
}

void ServerProcess::Kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

HttpResult ServerProcess::Request(const std::string& method, const std::string& target,
                                  const std::string& body,
                                  const std::map<std::string, std::string>& headers) {
  HttpResult out;
  try {
    boost::asio::io_context io;
    tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(resolver.resolve("127.0.0.1", std::to_string(port_)));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    http::read(stream, buffer, parser);
    auto res = parser.release();
    out.status = int(res.result_int());
    for (const auto& h : res) {
      std::string name(h.name_string());
      for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(h.value());
    }
    out.body = res.body();
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  } catch (const std::exception& e) {
    out.status = -1;
    out.body = e.what();
  }
  return out;
}

HttpResult ServerProcess::Ask(const std::string& prompt,
                              const std::map<std::string, std::string>& headers) {
  nlohmann::json body = {{"messages", {{{"role", "user"}, {"content", prompt}}}}};
  return PostJson("/api/agents/billingApiAgent/generate", body, headers);
}

CommandResult RunAgentCommand(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env, int timeout_ms) {
  CommandResult result;
  char tmpl[] = "/tmp/billing-cmd-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string out_path = dir + "/out";
  const std::string err_path = dir + "/err";
  const int pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::unsetenv("OPENAI_API_KEY");
    ::unsetenv("BILLING_MODEL");
    ::unsetenv("PORT");
    ::unsetenv("HOST");
    // A command on a test's PostgreSQL database uses the data keys its servers use.
    for (const std::string& a : args) {
      if (test_support::IsPostgresDb(a)) ::setenv("BILLING_DATA_KEYS", TestDataKeys().c_str(), 1);
    }
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> argv_s = {BILLING_AGENT_BINARY};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  bool done = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      done = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!done) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    result.exit_code = -2;
  } else {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

nlohmann::json Tool(ServerProcess& server, const std::string& tool, const nlohmann::json& data,
                    const std::map<std::string, std::string>& headers, int* status) {
  HttpResult r = server.PostJson("/api/tools/" + tool + "/execute", {{"data", data}}, headers);
  if (status != nullptr) *status = r.status;
  return r.Json();
}

std::string BearerForNewKey(const ServerProcess& server, const std::string& scopes) {
  CommandResult r =
      RunAgentCommand({"keys", "create", "--db", server.db_path(), "--scopes", scopes});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return "";
  return "Bearer " + r.out.substr(0, r.out.find('\n'));
}

}  // namespace billing::e2e
