#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace siyu {

// Configures the process-wide spdlog logger: level ("info", ...) and format ("text" or
// "json", one object per line). Call once at start-up, before threads start.
void InitLogging(const std::string& level, const std::string& format);

}  // namespace siyu
