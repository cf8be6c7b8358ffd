#include "base/json_writer.h"

#include <gtest/gtest.h>

namespace siyu {

TEST(JsonWriter, NestsAndSeparates) {
    JsonWriter w;
    w.BeginObject().Key("a").Int(1).Key("b").BeginArray().String("x").Null().Bool(true).EndArray();
    w.Key("c").Raw(R"({"k":2})").Key("d").BeginObject().EndObject().EndObject();
    EXPECT_EQ(w.str(), R"({"a":1,"b":["x",null,true],"c":{"k":2},"d":{}})");
}

TEST(JsonWriter, EscapesControlCharactersAndQuotes) {
    JsonWriter w;
    w.String("王\"\\\n\x01");
    EXPECT_EQ(w.str(), "\"王\\\"\\\\\\n\\u0001\"");
}

}  // namespace siyu
