// Swagger UI at /swagger-ui (docs/rest.md "OpenAPI"): a page of our own that loads Swagger UI's
// files from this server, never from a CDN, and points it at /api/openapi.json. The files are
// those of the npm package swagger-ui-dist installed in web/swagger-ui (scripts/setup.sh and
// scripts/test.sh run `npm ci` there), read once at start into memory:
//   GET /swagger-ui                              the page
//   GET /swagger-ui/swagger-ui-bundle.js, /swagger-ui/swagger-ui.css, ...  the package's files
//
// Thread-safety: SwaggerUi is immutable after Load(); Serve() is safe from many threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http/server.h"

namespace billing::http {

// The package's files the page uses, and a bound on what is read.
inline constexpr const char* kSwaggerUiFiles[] = {
    "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css",
    "favicon-32x32.png", "favicon-16x16.png"};
inline constexpr size_t kMaxSwaggerUiBytes = 16 * 1024 * 1024;

class SwaggerUi {
 public:
  // Reads the files of kSwaggerUiFiles from `dir` (a swagger-ui-dist directory). An error names
  // the missing file.
  static Result<SwaggerUi> Load(const std::string& dir);
  // The first of `candidates` that holds swagger-ui-dist's files, or "" when none does.
  static std::string FindDir(const std::vector<std::string>& candidates);

  // The answer for the path segments after "swagger-ui" (none: the page), or nullopt when they
  // name no file of it.
  std::optional<HttpResponse> Serve(const std::vector<std::string_view>& rest) const;

 private:
  struct File {
    std::string content_type;
    std::string body;
  };
  std::map<std::string, File, std::less<>> files_;
};

}  // namespace billing::http
