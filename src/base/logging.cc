#include "base/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace siyu {

void InitLogging(const std::string& level, const std::string& format) {
    auto logger = spdlog::stderr_color_mt("siyu");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
    if (format == "json") {
        spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":%v})", spdlog::pattern_time_type::utc);
    } else {
        spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    }
    spdlog::flush_on(spdlog::level::warn);
}

}  // namespace siyu
