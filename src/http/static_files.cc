#include "http/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace siyu::http {

namespace fs = std::filesystem;

const char* ContentTypeFor(const std::string& path) {
    static const std::pair<const char*, const char*> kTypes[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".ttf", "font/ttf"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
        {".wasm", "application/wasm"},
    };
    std::string ext = fs::path(path).extension().string();
    for (const auto& [e, type] : kTypes) {
        if (ext == e) return type;
    }
    return "application/octet-stream";
}

static std::optional<std::string> ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

bool StaticFiles::Available() const { return fs::is_regular_file(fs::path(root_) / "index.html"); }

std::optional<Response> StaticFiles::Serve(const Request& request) const {
    if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
    if (!Available()) return std::nullopt;
    std::string rel = request.path;
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    fs::path root = fs::weakly_canonical(fs::path(root_));
    fs::path candidate = fs::weakly_canonical(root / rel);
    auto [root_end, ignored] = std::mismatch(root.begin(), root.end(), candidate.begin(), candidate.end());
    bool inside = root_end == root.end();
    Response resp;
    resp.route = "static";
    if (inside && !rel.empty() && fs::is_regular_file(candidate)) {
        auto body = ReadFile(candidate);
        if (!body) return std::nullopt;
        resp.body = std::move(*body);
        resp.content_type = ContentTypeFor(candidate.string());
        bool hashed_asset = rel.rfind("assets/", 0) == 0;
        resp.SetHeader("Cache-Control", hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
        return resp;
    }
    // A missing file with an extension is a real 404, not a client-side route.
    if (fs::path(rel).has_extension()) return std::nullopt;
    auto index = ReadFile(root / "index.html");
    if (!index) return std::nullopt;
    resp.body = std::move(*index);
    resp.content_type = "text/html; charset=utf-8";
    resp.SetHeader("Cache-Control", "no-cache");
    return resp;
}

}  // namespace siyu::http
