// Swagger UI's page and files; see swagger_ui.h.
#include "http/swagger_ui.h"

#include "http/asset_dir.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace billing::http {
namespace {

namespace bhttp = boost::beast::http;

constexpr const char* kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>billing-agent API</title>
<link rel="icon" type="image/png" href="/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/swagger-ui/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout"
});
</script>
</body>
</html>
)html";

std::string ContentType(std::string_view name) {
  if (name.ends_with(".js")) return "application/javascript; charset=UTF-8";
  if (name.ends_with(".css")) return "text/css; charset=UTF-8";
  if (name.ends_with(".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace

std::string SwaggerUi::FindDir(const std::vector<std::string>& candidates) {
  return FirstDirWith(candidates, "swagger-ui-bundle.js");
}

Result<SwaggerUi> SwaggerUi::Load(const std::string& dir) {
  SwaggerUi ui;
  size_t total = 0;
  for (const char* name : kSwaggerUiFiles) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::Invalid("swaggerUiDir", "cannot read " + path.string());
    std::ostringstream body;
    body << in.rdbuf();
    total += body.str().size();
    if (total > kMaxSwaggerUiBytes) {
      return Error::Invalid("swaggerUiDir", "Swagger UI's files exceed " +
                                                std::to_string(kMaxSwaggerUiBytes) + " bytes");
    }
    ui.files_[name] = File{ContentType(name), body.str()};
  }
  ui.files_[""] = File{"text/html; charset=UTF-8", kPage};
  return ui;
}

std::optional<HttpResponse> SwaggerUi::Serve(const std::vector<std::string_view>& rest) const {
  if (rest.size() > 1) return std::nullopt;
  const std::string_view name = rest.empty() ? std::string_view() : rest.front();
  auto it = files_.find(name);
  if (it == files_.end()) return std::nullopt;
  HttpResponse response{bhttp::status::ok, 11};
  response.set(bhttp::field::content_type, it->second.content_type);
  // The files change only with the package: a day in the browser's cache.
  if (!name.empty()) response.set(bhttp::field::cache_control, "public, max-age=86400");
  response.body() = it->second.body;
  return response;
}

}  // namespace billing::http
