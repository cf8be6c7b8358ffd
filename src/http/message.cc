#include "http/message.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace siyu::http {

const std::string* Request::Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) return &v;
    }
    return nullptr;
}

std::vector<std::pair<std::string, std::string>> Request::QueryParams() const {
    std::vector<std::pair<std::string, std::string>> out;
    if (query.empty()) return out;
    for (std::string_view part : Split(query, '&')) {
        if (part.empty()) continue;
        size_t eq = part.find('=');
        if (eq == std::string_view::npos) {
            out.emplace_back(UrlDecode(part), "");
        } else {
            out.emplace_back(UrlDecode(part.substr(0, eq)), UrlDecode(part.substr(eq + 1)));
        }
    }
    return out;
}

std::optional<std::string> Request::Query(std::string_view key) const {
    for (auto& [k, v] : QueryParams()) {
        if (k == key) return v;
    }
    return std::nullopt;
}

const std::string& Request::Param(std::string_view name) const {
    static const std::string kEmpty;
    for (const auto& [k, v] : path_params) {
        if (k == name) return v;
    }
    return kEmpty;
}

std::optional<std::string> Request::Cookie(std::string_view name) const {
    const std::string* header = Header("cookie");
    if (header == nullptr) return std::nullopt;
    for (std::string_view part : Split(*header, ';')) {
        part = Trim(part);
        size_t eq = part.find('=');
        if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    }
    return std::nullopt;
}

std::string ErrorBody(std::string_view code, std::string_view message, std::string_view field,
                      std::string_view request_id) {
    nlohmann::json error = {{"code", code}, {"message", message}, {"request_id", request_id}};
    error["field"] = field.empty() ? nlohmann::json(nullptr) : nlohmann::json(field);
    return nlohmann::json{{"error", error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace siyu::http
