#include "http/metrics.h"

#include <gtest/gtest.h>

namespace siyu::http {

TEST(Metrics, RendersCountersHistogramsAndGauges) {
    Metrics m;
    m.Observe("/api/v1/customers/{id}", "GET", 200, 0.0007);
    m.Observe("/api/v1/customers/{id}", "GET", 404, 0.02);
    m.AddGauge("siyu_db_writer_queue_depth", "Writes waiting.", [] { return 3.0; });
    std::string text = m.Render();
    EXPECT_NE(text.find(R"(siyu_http_requests_total{route="/api/v1/customers/{id}",method="GET",status="200"} 1)"),
              std::string::npos);
    EXPECT_NE(
        text.find(
            R"(siyu_http_request_duration_seconds_bucket{route="/api/v1/customers/{id}",method="GET",le="0.001"} 1)"),
        std::string::npos);
    EXPECT_NE(text.find(R"(siyu_http_request_duration_seconds_count{route="/api/v1/customers/{id}",method="GET"} 2)"),
              std::string::npos);
    EXPECT_NE(text.find("siyu_db_writer_queue_depth 3"), std::string::npos);
}

}  // namespace siyu::http
