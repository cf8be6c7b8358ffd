#include "loyalty/points_ledger.h"

#include <gtest/gtest.h>

#include "store/test_database.h"

namespace siyu::loyalty {
namespace {

TEST(PointsLedger, EntryTypesHaveEventNames) { EXPECT_EQ(EntryEventName(EntryType::kEarn), "Points Earned"); }

}  // namespace
}  // namespace siyu::loyalty
