#include "cdp/csv_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "cdp/csv_import.h"

namespace siyu::cdp {
namespace {

// gzip-compresses `data` in memory.
std::string Gzip(std::string_view data) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::string out(deflateBound(&zs, data.size()), '\0');
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

struct Record {
    int64_t line;
    std::vector<std::string> fields;
};

std::vector<Record> ReadAll(CsvReader& r) {
    std::vector<Record> out;
    while (true) {
        auto more = r.Next();
        EXPECT_TRUE(more.ok()) << more.status().ToString();
        if (!more.ok() || !more.value()) return out;
        out.push_back(Record{r.line(), std::vector<std::string>(r.fields().begin(), r.fields().end())});
    }
}

std::string TempFile(const std::string& name, std::string_view content) {
    auto path = std::filesystem::temp_directory_path() / ("siyu-csv-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
}

TEST(CsvReader, ReadsQuotedFieldsWithCommasQuotesAndLineBreaks) {
    std::string text = "a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",z\n3,,\n";
    auto r = CsvReader::FromMemory(text);
    auto rows = ReadAll(*r);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"1", "x, y", "say \"hi\""}));
    EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"2", "two\nlines", "z"}));
    EXPECT_EQ(rows[3].fields, (std::vector<std::string>{"3", "", ""}));
}

TEST(CsvReader, LineNumbersCountPhysicalLinesIncludingBlankAndQuotedOnes) {
    std::string text = "h1,h2\r\n\r\na,\"multi\r\nline\"\r\n\nb,c";
    auto r = CsvReader::FromMemory(text);
    auto rows = ReadAll(*r);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].line, 1);
    EXPECT_EQ(rows[1].line, 3);
    EXPECT_EQ(rows[1].fields[1], "multi\r\nline");
    EXPECT_EQ(rows[2].line, 6);
    EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"b", "c"}));  // no newline at the end
}

TEST(CsvReader, SkipsTheByteOrderMarkAndStripsCarriageReturns) {
    auto r = CsvReader::FromMemory("\xEF\xBB\xBFname,phone\r\n王芳,13812345678\r\n");
    auto rows = ReadAll(*r);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].fields[0], "name");
    EXPECT_EQ(rows[1].fields[1], "13812345678");
}

TEST(CsvReader, AnUnterminatedQuoteRunsToTheEndAndIsFlagged) {
    auto r = CsvReader::FromMemory("a,b\n1,\"open\n2,3\n");
    ASSERT_TRUE(r->Next().value());
    EXPECT_FALSE(r->unterminated());
    ASSERT_TRUE(r->Next().value());
    EXPECT_TRUE(r->unterminated());
    EXPECT_EQ(r->line(), 2);
    EXPECT_FALSE(r->Next().value());
}

TEST(CsvReader, ReadsGzipFromMemoryAndFilesAndRewinds) {
    std::string text = "k,v\n";
    for (int i = 0; i < 50'000; ++i) text += std::to_string(i) + ",\"value " + std::to_string(i) + "\"\n";
    std::string gz = Gzip(text);
    auto mem = CsvReader::FromMemory(gz);
    auto rows = ReadAll(*mem);
    ASSERT_EQ(rows.size(), 50'001u);
    EXPECT_EQ(rows.back().fields[1], "value 49999");
    EXPECT_EQ(mem->consumed_bytes(), static_cast<int64_t>(gz.size()));

    for (const auto& [name, content] :
         {std::pair<std::string, std::string>{"plain.csv", text}, {"packed.csv.gz", gz}}) {
        auto file = CsvReader::OpenFile(TempFile(name, content));
        ASSERT_TRUE(file.ok()) << file.status().ToString();
        EXPECT_EQ(ReadAll(*file.value()).size(), 50'001u) << name;
        ASSERT_TRUE(file.value()->Rewind().ok());
        auto again = ReadAll(*file.value());
        ASSERT_EQ(again.size(), 50'001u) << name;
        EXPECT_EQ(again[1].line, 2);
        EXPECT_EQ(file.value()->total_bytes(), static_cast<int64_t>(content.size()));
    }
}

TEST(CsvReader, CorruptGzipIsAnErrorNotData) {
    std::string gz = Gzip("a,b\n1,2\n");
    gz.resize(gz.size() / 2);
    auto r = CsvReader::FromMemory(gz);
    Status st;
    while (true) {
        auto more = r->Next();
        if (!more.ok()) {
            st = more.status();
            break;
        }
        if (!more.value()) break;
    }
    EXPECT_FALSE(st.ok());
    EXPECT_FALSE(CsvReader::OpenFile("/nonexistent/orders.csv").ok());
}

TEST(CsvEscape, QuotesOnlyWhenNeeded) {
    EXPECT_EQ(CsvEscape("plain"), "plain");
    EXPECT_EQ(CsvEscape("a,b"), "\"a,b\"");
    EXPECT_EQ(CsvEscape("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(ErrorCsvRow(ImportError{7, "UnitPrice", "has more than 2 decimal places: 0.001"}),
              "7,UnitPrice,has more than 2 decimal places: 0.001\n");
}

TEST(ColumnMapping, ParsesPairsAndFilesAndRejectsGarbage) {
    ColumnMapping m;
    ASSERT_TRUE(m.AddPairs("order_id=单号, sku = 货号").ok());
    ASSERT_TRUE(m.AddLines("# orders from the POS\nquantity=数量\n\nunit_price,单价\n").ok());
    EXPECT_EQ(m.columns().at("order_id"), "单号");
    EXPECT_EQ(m.columns().at("sku"), "货号");
    EXPECT_EQ(m.columns().at("unit_price"), "单价");
    EXPECT_EQ(m.AddPairs("order_id").code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(m.AddPairs("=x").field(), "map");
}

TEST(ColumnLayout, FindsColumnsCaseInsensitivelyAndNamesWhatIsMissing) {
    std::vector<FieldSpec> fields = {{"order_id", true, {"InvoiceNo"}}, {"country", false, {"Country"}}};
    std::vector<std::string_view> header = {"invoiceno", " Country "};
    auto layout = ColumnLayout::Resolve(fields, {}, header);
    ASSERT_TRUE(layout.ok()) << layout.status().ToString();
    EXPECT_EQ(layout->index(0), 0);
    EXPECT_EQ(layout->column(1), "Country");

    std::vector<std::string_view> other = {"单号"};
    auto missing = ColumnLayout::Resolve(fields, {}, other);
    EXPECT_EQ(missing.status().field(), "map");
    EXPECT_NE(missing.status().message().find("order_id"), std::string::npos);

    ColumnMapping m;
    ASSERT_TRUE(m.AddPairs("order_id=单号").ok());
    EXPECT_TRUE(ColumnLayout::Resolve(fields, m, other).ok());
    ColumnMapping typo;
    ASSERT_TRUE(typo.AddPairs("orderid=单号").ok());
    EXPECT_NE(ColumnLayout::Resolve(fields, typo, other).status().message().find("unknown field"), std::string::npos);
}

TEST(IntegralIdText, DropsAZeroFractionOnly) {
    EXPECT_EQ(IntegralIdText("17850.0"), "17850");
    EXPECT_EQ(IntegralIdText("17850.00"), "17850");
    EXPECT_EQ(IntegralIdText("17850"), "17850");
    EXPECT_EQ(IntegralIdText("17850.5"), "17850.5");
    EXPECT_EQ(IntegralIdText("A17850.0"), "A17850.0");
    EXPECT_EQ(IntegralIdText("17850."), "17850.");
}

}  // namespace
}  // namespace siyu::cdp
