// fake_openai: the FakeOpenAiServer as a standalone process, for end-to-end tests that start the
// real server binary with OPENAI_BASE_URL pointing here.
//
//   fake_openai [--host 127.0.0.1] [--port 0] [--api-key KEY] [--model gpt-4o-mini] [--script FILE]
//
// --port 0 picks a free port. The first stdout line is "fake_openai listening on
// http://HOST:PORT/v1" (flushed), so a parent can read the port. --api-key "" accepts any key
// (the default is to accept any key). Scripted replies (see LoadScript) are served in order, then
// the built-in rule (FakeOpenAiServer::BuiltInReply). Runs until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <pthread.h>

#include "fake_openai/fake_openai_server.h"

namespace {

int Usage(const char* argv0) {
  std::cerr << "usage: " << argv0
            << " [--host 127.0.0.1] [--port 0] [--api-key KEY] [--model NAME] [--script FILE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using billing::fake_openai::FakeOpenAiOptions;
  using billing::fake_openai::FakeOpenAiServer;
  using billing::fake_openai::ScriptedReply;

  FakeOpenAiOptions options;
  options.expected_api_key.clear();
  std::string script_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage(argv[0]);
    const std::string value = argv[++i];
    if (arg == "--host") {
      options.address = value;
    } else if (arg == "--port") {
      char* end = nullptr;
      const long port = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) return Usage(argv[0]);
      options.port = static_cast<uint16_t>(port);
    } else if (arg == "--api-key") {
      options.expected_api_key = value;
    } else if (arg == "--model") {
      options.model = value;
    } else if (arg == "--script") {
      script_path = value;
    } else {
      return Usage(argv[0]);
    }
  }

  std::vector<ScriptedReply> script;
  std::string error;
  if (!script_path.empty() && !billing::fake_openai::LoadScript(script_path, &script, &error)) {
    std::cerr << "fake_openai: " << error << "\n";
    return 1;
  }

  // Block the stop signals before any thread starts, then wait for them on this thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  FakeOpenAiServer server(options);
  for (auto& reply : script) server.Enqueue(std::move(reply));
  if (!server.Start(&error)) {
    std::cerr << error << "\n";
    return 1;
  }
  std::cout << "fake_openai listening on " << server.base_url() << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.Stop();
  std::cerr << "fake_openai: stopped after " << server.request_count() << " request(s)\n";
  return 0;
}
