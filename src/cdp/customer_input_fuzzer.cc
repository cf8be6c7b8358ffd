#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cdp/customer.h"

// Any byte string must parse to a CustomerInput or a Status, never crash or leak.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto r = siyu::cdp::ParseCustomerInputText(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!r.ok() && r.status().message().empty()) __builtin_trap();
    return 0;
}
