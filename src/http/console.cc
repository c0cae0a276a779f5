// The web console's files; see console.h.
#include "http/console.h"

#include "http/asset_dir.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace billing::http {

namespace bhttp = boost::beast::http;

namespace {

std::string ContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=UTF-8";
  if (name.ends_with(".js") || name.ends_with(".mjs")) return "text/javascript; charset=UTF-8";
  if (name.ends_with(".css")) return "text/css; charset=UTF-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  if (name.ends_with(".png")) return "image/png";
  if (name.ends_with(".ico")) return "image/x-icon";
  if (name.ends_with(".json") || name.ends_with(".map")) return "application/json";
  if (name.ends_with(".woff2")) return "font/woff2";
  return "application/octet-stream";
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Invalid("consoleDir", "cannot read " + path.string());
  std::ostringstream body;
  body << in.rdbuf();
  return body.str();
}

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  size_t start = 0;
  for (int round = 0; round < 64 && start <= accept_encoding.size(); ++round) {
    size_t end = accept_encoding.find(',', start);
    if (end == std::string_view::npos) end = accept_encoding.size();
    std::string_view item = accept_encoding.substr(start, end - start);
    const size_t semicolon = item.find(';');
    std::string_view coding = item.substr(0, semicolon);
    std::string_view params = semicolon == std::string_view::npos ? "" : item.substr(semicolon + 1);
    auto trim = [](std::string_view v) {
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return v;
    };
    coding = trim(coding);
    params = trim(params);
    const bool refused =
        params == "q=0" || params == "q=0.0" || params == "q=0.00" || params == "q=0.000";
    if ((coding == "gzip" || coding == "*") && !refused) return true;
    start = end + 1;
  }
  return false;
}

std::string GzipCompress(std::string_view body) {
  z_stream stream{};
  // 15 window bits + 16: the gzip wrapper rather than zlib's.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return "";
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(body.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  const size_t written = stream.total_out;
  deflateEnd(&stream);
  if (status != Z_STREAM_END) return "";
  out.resize(written);
  return out;
}

std::string Console::FindDir(const std::vector<std::string>& candidates) {
  return FirstDirWith(candidates, "index.html");
}

Result<Console> Console::Load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, fs::path>> wanted = {{"", fs::path(dir) / "index.html"}};
  std::error_code ec;
  const fs::path assets = fs::path(dir) / "assets";
  if (fs::is_directory(assets, ec)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(assets, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      if (wanted.size() >= kMaxConsoleFiles) {
        return Error::Invalid("consoleDir", "the console has more than " +
                                                std::to_string(kMaxConsoleFiles) + " files");
      }
      wanted.emplace_back("assets/" + entry.path().filename().string(), entry.path());
    }
  }
  Console console;
  for (const auto& [name, path] : wanted) {
    Result<std::string> body = ReadFile(path);
    if (!body.ok()) return body.error();
    console.total_bytes_ += body->size();
    if (console.total_bytes_ > kMaxConsoleBytes) {
      return Error::Invalid("consoleDir", "the console's files exceed " +
                                              std::to_string(kMaxConsoleBytes) + " bytes");
    }
    File file{ContentType(name.empty() ? "index.html" : name), std::move(body.value()), ""};
    std::string gzipped = GzipCompress(file.body);
    if (!gzipped.empty() && gzipped.size() < file.body.size()) file.gzip_body = std::move(gzipped);
    console.total_gzip_bytes_ += file.gzip_body.empty() ? file.body.size() : file.gzip_body.size();
    console.files_[name] = std::move(file);
  }
  return console;
}

std::optional<HttpResponse> Console::Serve(const std::vector<std::string_view>& segments,
                                           bool accepts_gzip) const {
  std::string name;
  if (segments.size() == 2 && segments[0] == "assets") {
    name = "assets/" + std::string(segments[1]);
  } else if (!segments.empty()) {
    return std::nullopt;
  }
  auto it = files_.find(name);
  if (it == files_.end()) return std::nullopt;
  const File& file = it->second;
  HttpResponse response{bhttp::status::ok, 11};
  response.set(bhttp::field::content_type, file.content_type);
  response.set("Content-Security-Policy", kConsoleContentSecurityPolicy);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  // The page is looked up again on each visit (a new build shows at once); the assets it names
  // are revalidated too, since their names carry no version.
  response.set(bhttp::field::cache_control, "no-cache");
  response.set(bhttp::field::vary, "Accept-Encoding");
  if (accepts_gzip && !file.gzip_body.empty()) {
    response.set(bhttp::field::content_encoding, "gzip");
    response.body() = file.gzip_body;
  } else {
    response.body() = file.body;
  }
  return response;
}

}  // namespace billing::http
