#include "scrm/qr_image.h"

#include <qrencode.h>
#include <zlib.h>

#include <charconv>
#include <memory>
#include <mutex>

namespace siyu::scrm {

namespace {

void Put32(std::string& out, uint32_t v) {
    out.push_back(static_cast<char>(v >> 24));
    out.push_back(static_cast<char>(v >> 16));
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v));
}

// Little-endian, as ZIP wants.
void Le16(std::string& out, uint64_t v) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>((v >> 8) & 0xff));
}
void Le32(std::string& out, uint64_t v) {
    Le16(out, v & 0xffff);
    Le16(out, (v >> 16) & 0xffff);
}
void Le64(std::string& out, uint64_t v) {
    Le32(out, v & 0xffffffffu);
    Le32(out, v >> 32);
}

void PngChunk(std::string& out, const char type[4], std::string_view data) {
    Put32(out, static_cast<uint32_t>(data.size()));
    std::string body(type, 4);
    body.append(data);
    uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    out.append(body);
    Put32(out, static_cast<uint32_t>(crc));
}

std::string Compress(std::string_view data, bool raw, int level = Z_DEFAULT_COMPRESSION) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, raw ? -15 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

// libqrencode keeps global state while encoding.
std::mutex qr_mu;

}  // namespace

Result<QrMatrix> EncodeQr(std::string_view text) {
    std::string s(text);
    std::unique_ptr<QRcode, void (*)(QRcode*)> code(nullptr, QRcode_free);
    {
        std::lock_guard<std::mutex> lock(qr_mu);
        code.reset(QRcode_encodeString8bit(s.c_str(), 0, QR_ECLEVEL_M));
    }
    if (!code) return Status::InvalidArgument("text", "cannot be encoded as a QR code (too long?)");
    QrMatrix m;
    m.size = code->width;
    m.dark.resize(static_cast<size_t>(m.size) * m.size);
    for (size_t i = 0; i < m.dark.size(); ++i) m.dark[i] = (code->data[i] & 1) != 0;
    return m;
}

std::string QrPng(const QrMatrix& qr, int scale, int margin) {
    int side = (qr.size + 2 * margin) * scale;
    std::string raw;
    raw.reserve(static_cast<size_t>(side + 1) * side);
    for (int py = 0; py < side; ++py) {
        raw.push_back('\0');  // filter type None
        int y = py / scale - margin;
        for (int px = 0; px < side; ++px) {
            int x = px / scale - margin;
            bool dark = x >= 0 && y >= 0 && x < qr.size && y < qr.size && qr.At(x, y);
            raw.push_back(dark ? '\0' : static_cast<char>(0xff));
        }
    }
    std::string png("\x89PNG\r\n\x1a\n", 8);
    std::string ihdr;
    Put32(ihdr, static_cast<uint32_t>(side));
    Put32(ihdr, static_cast<uint32_t>(side));
    ihdr.push_back(8);  // bit depth
    ihdr.push_back(0);  // greyscale
    ihdr.push_back(0);  // deflate
    ihdr.push_back(0);  // adaptive filtering
    ihdr.push_back(0);  // no interlace
    PngChunk(png, "IHDR", ihdr);
    PngChunk(png, "IDAT", Compress(raw, false));
    PngChunk(png, "IEND", {});
    return png;
}

std::string QrSvg(const QrMatrix& qr, int margin) {
    int side = qr.size + 2 * margin;
    std::string s =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
        std::to_string(side) + " " + std::to_string(side) + "\" width=\"" + std::to_string(side * 8) + "\" height=\"" +
        std::to_string(side * 8) +
        "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path "
        "fill=\"#000\" d=\"";
    // Appended by hand: this runs once per code of a 100,000-code export.
    std::string d(static_cast<size_t>(qr.size) * qr.size * 16 + 16, '\0');
    char* out = d.data();
    auto put = [&](int v) { out = std::to_chars(out, d.data() + d.size(), v).ptr; };
    for (int y = 0; y < qr.size; ++y) {
        int x = 0;
        while (x < qr.size) {
            if (!qr.At(x, y)) {
                ++x;
                continue;
            }
            int run = 1;
            while (x + run < qr.size && qr.At(x + run, y)) ++run;
            *out++ = 'M';
            put(x + margin);
            *out++ = ' ';
            put(y + margin);
            *out++ = 'h';
            put(run);
            *out++ = 'v';
            *out++ = '1';
            *out++ = 'h';
            *out++ = '-';
            put(run);
            *out++ = 'z';
            x += run;
        }
    }
    d.resize(static_cast<size_t>(out - d.data()));
    s += d;
    s += "\"/></svg>\n";
    return s;
}

void ZipWriter::Add(const std::string& name, std::string_view data, bool deflate) {
    Entry e;
    e.name = name;
    e.crc =
        static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    e.size = data.size();
    e.offset = Position();
    std::string packed;
    if (deflate) {
        packed = Compress(data, true, level_);
        e.method = 8;
    }
    std::string_view body = deflate ? std::string_view(packed) : data;
    e.compressed = body.size();
    Le32(out_, 0x04034b50);
    Le16(out_, 20);      // version needed
    Le16(out_, 0x0800);  // names are UTF-8
    Le16(out_, e.method);
    Le16(out_, 0);     // time 00:00
    Le16(out_, 0x21);  // date 1980-01-01
    Le32(out_, e.crc);
    Le32(out_, e.compressed);
    Le32(out_, e.size);
    Le16(out_, e.name.size());
    Le16(out_, 0);
    out_.append(e.name);
    out_.append(body);
    entries_.push_back(std::move(e));
}

std::string ZipWriter::Take() {
    taken_ += out_.size();
    std::string bytes;
    bytes.swap(out_);
    return bytes;
}

std::string ZipWriter::Finish() {
    uint64_t cd_start = Position();
    for (const Entry& e : entries_) {
        bool far = e.offset > 0xfffffffeu;
        Le32(out_, 0x02014b50);
        Le16(out_, far ? 45 : 20);  // version made by
        Le16(out_, far ? 45 : 20);  // version needed
        Le16(out_, 0x0800);
        Le16(out_, e.method);
        Le16(out_, 0);
        Le16(out_, 0x21);
        Le32(out_, e.crc);
        Le32(out_, e.compressed);
        Le32(out_, e.size);
        Le16(out_, e.name.size());
        Le16(out_, far ? 12 : 0);  // extra field length
        Le16(out_, 0);             // comment
        Le16(out_, 0);             // disk
        Le16(out_, 0);             // internal attributes
        Le32(out_, 0);             // external attributes
        Le32(out_, far ? 0xffffffffu : e.offset);
        out_.append(e.name);
        if (far) {
            Le16(out_, 0x0001);
            Le16(out_, 8);
            Le64(out_, e.offset);
        }
    }
    uint64_t cd_size = Position() - cd_start;
    uint64_t count = entries_.size();
    bool zip64 = count > 0xfffe || cd_start > 0xfffffffeu;
    if (zip64) {
        uint64_t record = Position();
        Le32(out_, 0x06064b50);
        Le64(out_, 44);
        Le16(out_, 45);
        Le16(out_, 45);
        Le32(out_, 0);
        Le32(out_, 0);
        Le64(out_, count);
        Le64(out_, count);
        Le64(out_, cd_size);
        Le64(out_, cd_start);
        Le32(out_, 0x07064b50);
        Le32(out_, 0);
        Le64(out_, record);
        Le32(out_, 1);
    }
    Le32(out_, 0x06054b50);
    Le16(out_, 0);
    Le16(out_, 0);
    Le16(out_, zip64 ? 0xffff : count);
    Le16(out_, zip64 ? 0xffff : count);
    Le32(out_, zip64 ? 0xffffffffu : cd_size);
    Le32(out_, zip64 ? 0xffffffffu : cd_start);
    Le16(out_, 0);
    entries_.clear();
    std::string rest = Take();
    taken_ = 0;
    return rest;
}

}  // namespace siyu::scrm
