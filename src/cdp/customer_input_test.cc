#include <gtest/gtest.h>

#include "cdp/customer.h"

namespace siyu::cdp {
namespace {

Status ParseError(const char* text) {
    auto r = ParseCustomerInputText(text);
    return r.ok() ? Status::Ok() : r.status();
}

TEST(ParseCustomerInput, NormalisesPhoneEmailAndTrimsStrings) {
    auto in = ParseCustomerInputText(R"({"name":" 王芳 ","phone":"138 1234 5678","email":"WF@Example.com"})").value();
    EXPECT_EQ(in.name->value(), "王芳");
    EXPECT_EQ(in.phone->value(), "+8613812345678");
    EXPECT_EQ(in.email->value(), "wf@example.com");
}

TEST(ParseCustomerInput, NullClearsAndAbsentLeavesAlone) {
    auto in = ParseCustomerInputText(R"({"phone":null,"gender":null,"traits":null})").value();
    ASSERT_TRUE(in.phone.has_value());
    EXPECT_FALSE(in.phone->has_value());
    EXPECT_FALSE(in.name.has_value());
    EXPECT_EQ(in.gender.value(), "unknown");
    EXPECT_EQ(in.traits->dump(), "{}");
}

TEST(ParseCustomerInput, NamesTheOffendingField) {
    EXPECT_EQ(ParseError(R"({"name":42})").field(), "name");
    EXPECT_EQ(ParseError(R"({"phone":"12345"})").field(), "phone");
    EXPECT_EQ(ParseError(R"({"store_id":"12"})").field(), "store_id");
    EXPECT_EQ(ParseError(R"({"traits":[1]})").field(), "traits");
    EXPECT_EQ(ParseError(R"({"birthday":"1990-02-30"})").field(), "birthday");
    EXPECT_EQ(ParseError(R"({"gender":"x"})").field(), "gender");
    EXPECT_EQ(ParseError(R"({"identifiers":[{"type":"qq","value":"1"}]})").field(), "identifiers[0].type");
    EXPECT_EQ(ParseError(R"({"identifiers":[{"type":"wechat_unionid"}]})").field(), "identifiers[0].value");
    EXPECT_EQ(ParseError(R"({"identifiers":[{"type":"phone","value":"13812345678"}]})").field(), "identifiers[0].type");
}

TEST(ParseCustomerInput, UnknownFieldsAreRejectedByName) {
    Status st = ParseError(R"({"nmae":"x"})");
    EXPECT_EQ(st.code(), StatusCode::kUnknownField);
    EXPECT_EQ(st.field(), "nmae");
}

TEST(ParseCustomerInput, MalformedJsonAndNonObjectsAreInvalidJson) {
    EXPECT_EQ(ParseError("{").code(), StatusCode::kInvalidJson);
    EXPECT_EQ(ParseError("[1,2]").code(), StatusCode::kInvalidJson);
    EXPECT_EQ(ParseError("\"x\"").code(), StatusCode::kInvalidJson);
}

TEST(IdentifierTypes, CustomTypesNeedAPrefixAndASimpleName) {
    EXPECT_TRUE(IsValidIdentifierType("wecom_external_userid"));
    EXPECT_TRUE(IsValidIdentifierType("custom:douyin_id"));
    EXPECT_FALSE(IsValidIdentifierType("custom:"));
    EXPECT_FALSE(IsValidIdentifierType("custom:Douyin"));
    EXPECT_FALSE(IsValidIdentifierType("qq"));
}

}  // namespace
}  // namespace siyu::cdp
