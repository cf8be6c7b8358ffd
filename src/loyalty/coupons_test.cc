#include "loyalty/coupons.h"

#include <gtest/gtest.h>

namespace siyu::loyalty {
namespace {
TEST(Coupons, Placeholder) {}
}  // namespace
}  // namespace siyu::loyalty
