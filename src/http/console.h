// The web console at `/` (docs/console.md): the files `npm run build` writes in web/console/dist,
// read once at start into memory and served by this binary, never from a CDN:
//   GET /                    index.html
//   GET /assets/<file>       the app's script, style sheet and icons
// Every answer carries a strict Content-Security-Policy (no inline script or style, no other
// host), and a gzip copy made at load is sent to clients that accept it. The files hold no data
// (the app reads everything through /api with the caller's credentials), so they need none.
//
// Thread-safety: a Console is immutable after Load(); Serve() is safe from many threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http/server.h"

namespace billing::http {

// Bounds on what Load() reads: files, bytes in all, and bytes of one file.
inline constexpr size_t kMaxConsoleFiles = 64;
inline constexpr size_t kMaxConsoleBytes = 8 * 1024 * 1024;

// The policy sent with every console file; the app is built to work under it.
inline constexpr const char* kConsoleContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

class Console {
 public:
  // Reads `dir`/index.html and every regular file of `dir`/assets (not below it). An error names
  // the file, or the bound exceeded.
  static Result<Console> Load(const std::string& dir);
  // The first of `candidates` that holds index.html, or "" when none does.
  static std::string FindDir(const std::vector<std::string>& candidates);

  // The answer for a GET of the path `segments` (none: index.html), or nullopt when they name no
  // file of the console. `accepts_gzip`: the request's Accept-Encoding allows gzip.
  std::optional<HttpResponse> Serve(const std::vector<std::string_view>& segments,
                                    bool accepts_gzip) const;

  // Bytes of every file as stored and as sent gzipped (the page weight, docs/console.md).
  size_t total_bytes() const { return total_bytes_; }
  size_t total_gzip_bytes() const { return total_gzip_bytes_; }

 private:
  struct File {
    std::string content_type;
    std::string body;
    std::string gzip_body;  // empty when gzip would not be smaller
  };
  std::map<std::string, File, std::less<>> files_;  // "" = index.html, "assets/<name>"
  size_t total_bytes_ = 0;
  size_t total_gzip_bytes_ = 0;
};

// True when an Accept-Encoding header value allows gzip ("gzip" or "*", without q=0).
bool AcceptsGzip(std::string_view accept_encoding);

// `body` compressed in the gzip format (RFC 1952) at the best level; "" if zlib failed.
std::string GzipCompress(std::string_view body);

}  // namespace billing::http
