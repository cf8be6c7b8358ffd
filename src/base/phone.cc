#include "base/phone.h"

namespace siyu {

Result<std::string> NormalizePhone(std::string_view input) {
    std::string digits;
    bool plus = false;
    for (size_t i = 0; i < input.size(); ++i) {
        char c = input[i];
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
        } else if (c == '+' && digits.empty() && !plus) {
            plus = true;
        } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
            continue;
        } else {
            return Status::InvalidArgument("phone", "not a valid phone number");
        }
    }
    if (!plus && digits.size() > 2 && digits.substr(0, 2) == "00") {
        plus = true;
        digits = digits.substr(2);
    }
    if (!plus) {
        if (digits.size() == 13 && digits.substr(0, 3) == "861") {
            plus = true;
        } else if (digits.size() == 11 && digits[0] == '1') {
            digits = "86" + digits;
            plus = true;
        } else if (digits.size() >= 10 && digits.size() <= 12 && digits[0] == '0') {
            digits = "86" + digits.substr(1);
            plus = true;
        } else {
            return Status::InvalidArgument("phone", "not a valid phone number");
        }
    }
    if (digits.size() < 8 || digits.size() > 15 || digits[0] == '0') {
        return Status::InvalidArgument("phone", "not a valid phone number");
    }
    if (digits.substr(0, 2) == "86") {
        std::string national = digits.substr(2);
        if (national[0] == '1') {
            if (national.size() != 11 || national[1] < '3' || national[1] > '9') {
                return Status::InvalidArgument("phone", "not a valid mobile number");
            }
        } else if (national.size() < 9 || national.size() > 11) {
            return Status::InvalidArgument("phone", "not a valid phone number");
        }
    }
    return "+" + digits;
}

std::string MaskPhone(std::string_view e164) {
    if (e164.size() < 8) return std::string(e164.size(), '*');
    size_t cc = (e164.substr(0, 3) == "+86") ? 3 : 2;
    size_t keep_head = cc + 3;
    size_t keep_tail = 4;
    if (keep_head + keep_tail >= e164.size()) keep_head = e164.size() - keep_tail - 1;
    return std::string(e164.substr(0, keep_head)) + "****" + std::string(e164.substr(e164.size() - keep_tail));
}

std::string MaskEmail(std::string_view email) {
    size_t at = email.find('@');
    if (at == std::string_view::npos || at == 0) return "***";
    return std::string(email.substr(0, 1)) + "***" + std::string(email.substr(at));
}

bool IsValidEmail(std::string_view email) {
    if (email.size() > 254 || email.size() < 3) return false;
    size_t at = email.find('@');
    if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) return false;
    std::string_view domain = email.substr(at + 1);
    size_t dot = domain.find('.');
    if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return false;
    for (char c : email) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '<' || c == '>' || c == ',') return false;
    }
    return true;
}

}  // namespace siyu
