#include "base/money.h"

#include <gtest/gtest.h>

namespace siyu {

TEST(Money, ParsesDecimalsExactlyIntoMinorUnits) {
    EXPECT_EQ(ParseMinorUnits("2.55", 2, "price").value(), 255);
    EXPECT_EQ(ParseMinorUnits("0.29", 2, "price").value(), 29);  // 0.29 * 100 is 28.999... in binary
    EXPECT_EQ(ParseMinorUnits("3", 2, "price").value(), 300);
    EXPECT_EQ(ParseMinorUnits("3.", 2, "price").value(), 300);
    EXPECT_EQ(ParseMinorUnits(".5", 2, "price").value(), 50);
    EXPECT_EQ(ParseMinorUnits("-1.5", 2, "price").value(), -150);
    EXPECT_EQ(ParseMinorUnits("+7.10", 2, "price").value(), 710);
    EXPECT_EQ(ParseMinorUnits("10.500", 2, "price").value(), 1050);
    EXPECT_EQ(ParseMinorUnits("1200", 0, "price").value(), 1200);
}

TEST(Money, RejectsOverPreciseAndMalformedAmountsNamingTheField) {
    auto over = ParseMinorUnits("0.001", 2, "UnitPrice");
    EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(over.status().field(), "UnitPrice");
    EXPECT_FALSE(ParseMinorUnits("1.5", 0, "p").ok());
    EXPECT_FALSE(ParseMinorUnits("1e3", 2, "p").ok());
    EXPECT_FALSE(ParseMinorUnits("1,000.00", 2, "p").ok());
    EXPECT_FALSE(ParseMinorUnits("", 2, "p").ok());
    EXPECT_FALSE(ParseMinorUnits("-", 2, "p").ok());
    EXPECT_FALSE(ParseMinorUnits(".", 2, "p").ok());
    EXPECT_FALSE(ParseMinorUnits("1.2.3", 2, "p").ok());
    EXPECT_FALSE(ParseMinorUnits("99999999999999999999", 2, "p").ok());
}

TEST(Money, FormatsMinorUnitsAsMajorUnitDecimals) {
    EXPECT_EQ(FormatMinorUnits(255, 2), "2.55");
    EXPECT_EQ(FormatMinorUnits(5, 2), "0.05");
    EXPECT_EQ(FormatMinorUnits(-5, 2), "-0.05");
    EXPECT_EQ(FormatMinorUnits(0, 2), "0.00");
    EXPECT_EQ(FormatMinorUnits(7, 0), "7");
    EXPECT_EQ(FormatMinorUnits(1106206, 2), "11062.06");
}

TEST(Money, KnowsCurrenciesWithoutMinorUnits) {
    EXPECT_EQ(CurrencyDecimals("JPY"), 0);
    EXPECT_EQ(CurrencyDecimals("CNY"), 2);
    EXPECT_EQ(CurrencyDecimals("GBP"), 2);
}

}  // namespace siyu
