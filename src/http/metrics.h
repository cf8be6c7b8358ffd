#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace siyu::http {

// Request counters and latency histograms per route, rendered in the Prometheus text
// format. Thread-safe.
class Metrics {
  public:
    static constexpr std::array<double, 13> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1.0,   2.5,  5.0};

    void Observe(const std::string& route, const std::string& method, int status, double seconds);

    // Extra gauges (name, help, value source) appended to the output.
    void AddGauge(std::string name, std::string help, std::function<double()> value);

    std::string Render() const;

  private:
    struct Histogram {
        std::array<uint64_t, kBuckets.size()> buckets{};
        uint64_t count = 0;
        double sum = 0;
    };
    struct Gauge {
        std::string help;
        std::function<double()> value;
    };
    struct RouteStats {
        std::map<int, uint64_t> by_status;
        Histogram latency;
    };
    // Looks up (route, method) without building strings on the hot path.
    struct KeyLess {
        using is_transparent = void;
        using View = std::pair<std::string_view, std::string_view>;
        static View AsView(const std::pair<std::string, std::string>& k) { return {k.first, k.second}; }
        static View AsView(const View& k) { return k; }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return AsView(a) < AsView(b);
        }
    };
    mutable std::mutex mu_;
    std::map<std::pair<std::string, std::string>, RouteStats, KeyLess> routes_;  // GUARDED_BY(mu_)
    std::map<std::string, Gauge> gauges_;                                        // GUARDED_BY(mu_)
};

}  // namespace siyu::http
