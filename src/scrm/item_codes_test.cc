#include "scrm/item_codes.h"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "scrm/qr_image.h"
#include "scrm/scrm_test_support.h"

namespace siyu::scrm {
namespace {

using testing_support::ScrmTest;

uint32_t Be32(const std::string& s, size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}
uint64_t Le(const std::string& s, size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}

std::string Inflate(const std::string& data, size_t size, bool raw) {
    std::string out(size, '\0');
    z_stream zs{};
    EXPECT_EQ(inflateInit2(&zs, raw ? -15 : 15), Z_OK);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_FINISH);
    EXPECT_EQ(rc, Z_STREAM_END);
    EXPECT_EQ(zs.total_out, size);
    inflateEnd(&zs);
    return out;
}

TEST(QrImage, PngHasValidChunksCrcsAndPixels) {
    auto qr = EncodeQr("https://siyu.example/s/AbCdEf123456");
    ASSERT_TRUE(qr.ok());
    EXPECT_GE(qr->size, 21);
    std::string png = QrPng(*qr, 4, 4);
    ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    size_t at = 8;
    std::vector<std::string> types;
    std::string idat;
    uint32_t width = 0, height = 0;
    while (at < png.size()) {
        uint32_t len = Be32(png, at);
        std::string type = png.substr(at + 4, 4);
        std::string data = png.substr(at + 8, len);
        uint32_t crc = Be32(png, at + 8 + len);
        std::string covered = png.substr(at + 4, 4 + len);
        EXPECT_EQ(crc, crc32(0L, reinterpret_cast<const Bytef*>(covered.data()), static_cast<uInt>(covered.size())))
            << type;
        types.push_back(type);
        if (type == "IHDR") {
            width = Be32(data, 0);
            height = Be32(data, 4);
            EXPECT_EQ(data[8], 8);
            EXPECT_EQ(data[9], 0);
        }
        if (type == "IDAT") idat += data;
        at += 12 + len;
    }
    EXPECT_EQ(at, png.size());
    EXPECT_EQ(types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
    uint32_t side = static_cast<uint32_t>((qr->size + 8) * 4);
    EXPECT_EQ(width, side);
    EXPECT_EQ(height, side);
    std::string pixels = Inflate(idat, static_cast<size_t>(side + 1) * side, false);
    auto pixel = [&](uint32_t x, uint32_t y) { return static_cast<unsigned char>(pixels[y * (side + 1) + 1 + x]); };
    EXPECT_EQ(pixel(0, 0), 0xff);  // quiet zone
    EXPECT_EQ(pixel(16, 16), 0);   // the finder pattern's corner module
    EXPECT_EQ(pixels[0], 0);       // filter byte
}

TEST(QrImage, SvgDrawsEveryDarkModule) {
    auto qr = EncodeQr("hello").value();
    std::string svg = QrSvg(qr);
    EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
    EXPECT_NE(svg.find("M4 4h7v1h-7z"), std::string::npos);  // the top-left finder's first row
    size_t dark = 0;
    for (bool d : qr.dark) dark += d ? 1 : 0;
    size_t drawn = 0;
    for (size_t at = svg.find('M'); at != std::string::npos; at = svg.find('M', at + 1)) {
        size_t h = svg.find('h', at);
        drawn += std::stoul(svg.substr(h + 1));
    }
    EXPECT_EQ(drawn, dark);
}

// Reads an archive the way unzip does: the end record, the central directory, each entry.
std::map<std::string, std::string> ReadZip(const std::string& zip) {
    std::map<std::string, std::string> files;
    size_t eocd = zip.rfind(std::string("PK\x05\x06", 4));
    EXPECT_NE(eocd, std::string::npos);
    uint64_t count = Le(zip, eocd + 10, 2);
    uint64_t cd = Le(zip, eocd + 16, 4);
    if (count == 0xffff) {
        size_t locator = zip.rfind(std::string("PK\x06\x07", 4));
        uint64_t record = Le(zip, locator + 8, 8);
        EXPECT_EQ(Le(zip, record, 4), 0x06064b50u);
        count = Le(zip, record + 32, 8);
        cd = Le(zip, record + 48, 8);
    }
    size_t at = cd;
    for (uint64_t i = 0; i < count; ++i) {
        EXPECT_EQ(Le(zip, at, 4), 0x02014b50u);
        uint64_t method = Le(zip, at + 10, 2);
        uint32_t crc = static_cast<uint32_t>(Le(zip, at + 16, 4));
        uint64_t csize = Le(zip, at + 20, 4), size = Le(zip, at + 24, 4);
        uint64_t name_len = Le(zip, at + 28, 2), extra = Le(zip, at + 30, 2), comment = Le(zip, at + 32, 2);
        uint64_t local = Le(zip, at + 42, 4);
        std::string name = zip.substr(at + 46, name_len);
        EXPECT_EQ(Le(zip, local, 4), 0x04034b50u);
        size_t data_at = local + 30 + Le(zip, local + 26, 2) + Le(zip, local + 28, 2);
        std::string data = zip.substr(data_at, csize);
        std::string plain = method == 8 ? Inflate(data, size, true) : data;
        EXPECT_EQ(crc, crc32(0L, reinterpret_cast<const Bytef*>(plain.data()), static_cast<uInt>(plain.size())));
        files[name] = plain;
        at += 46 + name_len + extra + comment;
    }
    return files;
}

TEST(ZipWriter, StoredAndDeflatedEntriesReadBack) {
    ZipWriter zip;
    zip.Add("codes.csv", "code,url\nabc,https://x/s/abc\n", false);
    zip.Add("svg/abc.svg", QrSvg(EncodeQr("https://x/s/abc").value()), true);
    auto files = ReadZip(zip.Finish());
    ASSERT_EQ(files.size(), 2u);
    EXPECT_EQ(files["codes.csv"], "code,url\nabc,https://x/s/abc\n");
    EXPECT_NE(files["svg/abc.svg"].find("<svg"), std::string::npos);
}

TEST(ZipWriter, MoreThan65535EntriesUseZip64EndRecords) {
    ZipWriter zip;
    for (int i = 0; i < 66'000; ++i) zip.Add(std::to_string(i), "x", false);
    auto files = ReadZip(zip.Finish());
    EXPECT_EQ(files.size(), 66'000u);
    EXPECT_EQ(files["65999"], "x");
}

class ItemCodesTest : public ScrmTest {};

TEST_F(ItemCodesTest, BatchCodesAreUniqueUrlSafeAndTwelveCharacters) {
    ItemCodes codes(db_.get(), ingestor_.get());
    ItemCodeBatchInput in;
    in.name = "Box 2026";
    in.count = 5000;
    in.target_url = "https://shop.example/welcome";
    auto batch = codes.CreateBatch(1, in, auth::Actor{});
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    EXPECT_EQ(batch->count, 5000);
    std::set<std::string> seen;
    ASSERT_TRUE(codes
                    .ForEachCode(1, batch->id,
                                 [&](const ItemCode& c) {
                                     EXPECT_EQ(c.code.size(), kItemCodeLength);
                                     EXPECT_EQ(c.code.find_first_not_of(
                                                   "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
                                               std::string::npos);
                                     seen.insert(c.code);
                                 })
                    .ok());
    EXPECT_EQ(seen.size(), 5000u);
    EXPECT_EQ(Scalar("SELECT count(*) FROM item_codes"), 5000);
}

TEST_F(ItemCodesTest, FirstScanMarksTheCodeLaterScansCount) {
    ItemCodes codes(db_.get(), ingestor_.get());
    ItemCodeBatchInput in;
    in.name = "Cans";
    in.count = 3;
    in.target_url = "https://shop.example/can";
    auto batch = codes.CreateBatch(1, in, auth::Actor{}).value();
    auto list = codes.Codes(1, batch.id, 10, 0).value();
    ASSERT_EQ(list.size(), 3u);
    auto first = codes.Scan(list[0].code, 1'700'000'000'000).value();
    EXPECT_TRUE(first.first);
    EXPECT_EQ(first.target, "https://shop.example/can");
    auto second = codes.Scan(list[0].code, 1'700'000'060'000).value();
    EXPECT_FALSE(second.first);
    EXPECT_EQ(second.scans, 2);
    auto code = codes.GetCode(1, batch.id, list[0].code).value();
    EXPECT_EQ(code.first_scanned_at, 1'700'000'000'000);
    EXPECT_EQ(code.last_scanned_at, 1'700'000'060'000);
    auto b = codes.GetBatch(1, batch.id).value();
    EXPECT_EQ(b.used_codes, 1);
    EXPECT_EQ(b.scans, 2);
    EXPECT_EQ(Events("Live Code Scanned"), 2);
    // Both scans land on one anonymous visitor derived from the code.
    EXPECT_EQ(Scalar("SELECT count(DISTINCT customer_id) FROM events WHERE name = 'Live Code Scanned'"), 1);
    EXPECT_EQ(codes.Scan("nonexistent1", 0).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(codes.GetBatch(2, batch.id).status().code(), StatusCode::kNotFound);
}

TEST_F(ItemCodesTest, BadBatchesAreRefusedByField) {
    ItemCodes codes(db_.get(), ingestor_.get());
    ItemCodeBatchInput in;
    in.name = "X";
    in.count = kMaxItemCodeBatch + 1;
    in.target_url = "https://x.example";
    EXPECT_EQ(codes.CreateBatch(1, in, auth::Actor{}).status().field(), "count");
    in.count = 1;
    in.target_url = "javascript:alert(1)";
    EXPECT_EQ(codes.CreateBatch(1, in, auth::Actor{}).status().field(), "target_url");
    in.target_url.reset();
    in.live_code_id = 42;
    EXPECT_EQ(codes.CreateBatch(1, in, auth::Actor{}).status().field(), "live_code_id");
    EXPECT_EQ(Scalar("SELECT count(*) FROM item_code_batches"), 0);
}

TEST_F(ItemCodesTest, LargeBatchesAreZippedInTheBackground) {
    ItemCodes codes(db_.get(), ingestor_.get());
    ItemCodeBatchInput in;
    in.name = "Pallet";
    in.count = 30;
    in.target_url = "https://shop.example/p";
    auto big = codes.CreateBatch(1, in, auth::Actor{}).value();
    in.count = 5;
    auto small = codes.CreateBatch(1, in, auth::Actor{}).value();
    std::string dir = store::TestDatabasePath("exports_dir");
    ItemCodeExports exports(&codes, dir, "https://s.example", 10);
    auto now = exports.Zip(1, small.id).value();
    EXPECT_EQ(now.status, "ready");
    auto first = exports.Zip(1, big.id).value();
    EXPECT_EQ(first.status, "preparing");
    ItemCodeZip done;
    for (int i = 0; i < 2000; ++i) {
        done = exports.Zip(1, big.id).value();
        if (done.status != "preparing") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(done.status, "ready") << done.error;
    std::ifstream f(done.path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto files = ReadZip(bytes);
    EXPECT_EQ(files.size(), 31u);
    EXPECT_EQ(std::count(files["codes.csv"].begin(), files["codes.csv"].end(), '\n'), 31);
    EXPECT_EQ(exports.Zip(2, big.id).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace siyu::scrm
