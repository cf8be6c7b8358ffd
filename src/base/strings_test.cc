#include "base/strings.h"

#include <gtest/gtest.h>

namespace siyu {

TEST(Strings, Base64UrlRoundTripsEveryLength) {
    std::string data = "\x00\xff\x10siyu私域";
    for (size_t n = 0; n <= data.size(); ++n) {
        std::string part = data.substr(0, n), back;
        ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(part), &back));
        EXPECT_EQ(back, part);
    }
    std::string out;
    EXPECT_FALSE(Base64UrlDecode("ab$d", &out));
}

TEST(Strings, Utf8LengthCountsCodePointsAndRejectsBrokenBytes) {
    EXPECT_EQ(Utf8Length("王芳"), 2);
    EXPECT_EQ(Utf8Length("abc"), 3);
    EXPECT_EQ(Utf8Length("\xe7\x8e"), -1);
}

TEST(Strings, UrlDecodeHandlesPercentAndPlus) {
    EXPECT_EQ(UrlDecode("a+b%20c%E7%8E%8B"), "a b c王");
    EXPECT_EQ(UrlDecode("100%"), "100%");
}

TEST(Strings, ParseInt64RejectsTrailingGarbage) {
    int64_t v = 0;
    EXPECT_TRUE(ParseInt64("42", &v));
    EXPECT_EQ(v, 42);
    EXPECT_FALSE(ParseInt64("42x", &v));
    EXPECT_FALSE(ParseInt64("", &v));
    EXPECT_FALSE(ParseInt64("99999999999999999999", &v));
}

TEST(Strings, Base64EncodesWithPaddingAndRoundTrips) {
    EXPECT_EQ(Base64Encode(""), "");
    EXPECT_EQ(Base64Encode("f"), "Zg==");
    EXPECT_EQ(Base64Encode("fo"), "Zm8=");
    EXPECT_EQ(Base64Encode("foo"), "Zm9v");
    EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (size_t n = 0; n <= all.size(); n += 7) {
        std::string back;
        ASSERT_TRUE(Base64Decode(Base64Encode(all.substr(0, n)), &back));
        EXPECT_EQ(back, all.substr(0, n));
    }
}

}  // namespace siyu
