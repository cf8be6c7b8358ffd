#include "http/metrics.h"

#include <fmt/format.h>

namespace siyu::http {

void Metrics::Observe(const std::string& route, const std::string& method, int status, double seconds) {
    std::lock_guard lock(mu_);
    auto it = routes_.find(KeyLess::View(route, method));
    if (it == routes_.end()) it = routes_.emplace(std::make_pair(route, method), RouteStats{}).first;
    ++it->second.by_status[status];
    Histogram& h = it->second.latency;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) ++h.buckets[i];
    }
    ++h.count;
    h.sum += seconds;
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> value) {
    std::lock_guard lock(mu_);
    gauges_[std::move(name)] = Gauge{std::move(help), std::move(value)};
}

static std::string Escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') out.push_back('\\');
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
    return out;
}

std::string Metrics::Render() const {
    std::lock_guard lock(mu_);
    std::string out;
    out += "# HELP siyu_http_requests_total HTTP requests answered, by route, method and status.\n";
    out += "# TYPE siyu_http_requests_total counter\n";
    for (const auto& [key, stats] : routes_) {
        for (const auto& [status, n] : stats.by_status) {
            out += fmt::format("siyu_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                               Escape(key.first), key.second, status, n);
        }
    }
    out += "# HELP siyu_http_request_duration_seconds Time to answer a request, by route and method.\n";
    out += "# TYPE siyu_http_request_duration_seconds histogram\n";
    for (const auto& [key, stats] : routes_) {
        const Histogram& h = stats.latency;
        std::string labels = fmt::format("route=\"{}\",method=\"{}\"", Escape(key.first), key.second);
        for (size_t i = 0; i < kBuckets.size(); ++i) {
            out += fmt::format("siyu_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels, kBuckets[i],
                               h.buckets[i]);
        }
        out += fmt::format("siyu_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, h.count);
        out += fmt::format("siyu_http_request_duration_seconds_sum{{{}}} {}\n", labels, h.sum);
        out += fmt::format("siyu_http_request_duration_seconds_count{{{}}} {}\n", labels, h.count);
    }
    for (const auto& [name, g] : gauges_) {
        out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, g.help, name, name, g.value());
    }
    return out;
}

}  // namespace siyu::http
