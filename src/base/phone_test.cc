#include "base/phone.h"

#include <gtest/gtest.h>

namespace siyu {

TEST(NormalizePhone, ChineseMobileWithoutCountryCodeGetsPlus86) {
    EXPECT_EQ(NormalizePhone("13812345678").value(), "+8613812345678");
    EXPECT_EQ(NormalizePhone("138 1234 5678").value(), "+8613812345678");
    EXPECT_EQ(NormalizePhone("138-1234-5678").value(), "+8613812345678");
}

TEST(NormalizePhone, AcceptsCountryCodeWrittenThreeWays) {
    EXPECT_EQ(NormalizePhone("+86 13812345678").value(), "+8613812345678");
    EXPECT_EQ(NormalizePhone("0086 138 1234 5678").value(), "+8613812345678");
    EXPECT_EQ(NormalizePhone("8613812345678").value(), "+8613812345678");
}

TEST(NormalizePhone, LandlineDropsTrunkZero) {
    EXPECT_EQ(NormalizePhone("021-6212 3456").value(), "+862162123456");
    EXPECT_EQ(NormalizePhone("(0755) 8888 1234").value(), "+8675588881234");
}

TEST(NormalizePhone, ForeignNumbersKeepTheirCountryCode) {
    EXPECT_EQ(NormalizePhone("+44 20 7946 0958").value(), "+442079460958");
    EXPECT_EQ(NormalizePhone("+1 (415) 555-2671").value(), "+14155552671");
}

TEST(NormalizePhone, RejectsWhatIsNotAPhone) {
    for (const char* bad : {"", "12345", "abc", "1381234567", "138123456789", "+86 12812345678", "+0123456789",
                            "13812345678x", "++8613812345678", "+1234567890123456"}) {
        auto r = NormalizePhone(bad);
        EXPECT_FALSE(r.ok()) << bad;
        if (!r.ok()) {
            EXPECT_EQ(r.status().field(), "phone");
        }
    }
}

TEST(MaskPhone, KeepsPrefixAndLastFour) {
    EXPECT_EQ(MaskPhone("+8613812345678"), "+86138****5678");
    EXPECT_EQ(MaskPhone("+442079460958"), "+4420****0958");
}

TEST(MaskEmail, KeepsFirstLetterAndDomain) { EXPECT_EQ(MaskEmail("wang.fang@example.com"), "w***@example.com"); }

TEST(IsValidEmail, AcceptsOrdinaryAndRejectsBroken) {
    EXPECT_TRUE(IsValidEmail("a@b.cn"));
    EXPECT_FALSE(IsValidEmail("a@b"));
    EXPECT_FALSE(IsValidEmail("@b.cn"));
    EXPECT_FALSE(IsValidEmail("a b@c.cn"));
    EXPECT_FALSE(IsValidEmail("a@@b.cn"));
}

}  // namespace siyu
