#include "http/router.h"

#include "base/strings.h"

namespace siyu::http {

static std::vector<std::string> Segments(std::string_view path) {
    std::vector<std::string> out;
    for (std::string_view s : Split(path, '/')) {
        if (!s.empty()) out.emplace_back(s);
    }
    return out;
}

void Router::Add(RouteSpec spec, Handler handler) {
    Route r;
    r.segments = Segments(spec.pattern);
    r.spec = std::move(spec);
    r.handler = std::move(handler);
    routes_.push_back(std::move(r));
}

Router::MatchResult Router::Match(Request& request, const Route** route, std::string* allowed) const {
    std::vector<std::string> parts = Segments(request.path);
    bool path_matched = false;
    for (const Route& r : routes_) {
        if (r.segments.size() != parts.size()) continue;
        std::vector<std::pair<std::string, std::string>> params;
        bool ok = true;
        for (size_t i = 0; i < parts.size() && ok; ++i) {
            const std::string& seg = r.segments[i];
            if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
                params.emplace_back(seg.substr(1, seg.size() - 2), parts[i]);
            } else {
                ok = seg == parts[i];
            }
        }
        if (!ok) continue;
        path_matched = true;
        if (r.spec.method != request.method && !(request.method == "HEAD" && r.spec.method == "GET")) {
            if (allowed != nullptr && allowed->find(r.spec.method) == std::string::npos) {
                if (!allowed->empty()) *allowed += ", ";
                *allowed += r.spec.method;
            }
            continue;
        }
        request.path_params = std::move(params);
        *route = &r;
        return MatchResult::kFound;
    }
    return path_matched ? MatchResult::kMethodNotAllowed : MatchResult::kNotFound;
}

}  // namespace siyu::http
