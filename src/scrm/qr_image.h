#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace siyu::scrm {

// A QR code as a square of modules (true = dark), without the quiet zone.
struct QrMatrix {
    int size = 0;
    std::vector<bool> dark;  // row-major, size * size
    bool At(int x, int y) const { return dark[static_cast<size_t>(y) * size + x]; }
};

// Encodes `text` (bytes, error correction level M) with libqrencode. Thread-safe.
Result<QrMatrix> EncodeQr(std::string_view text);

// An 8-bit greyscale PNG: `scale` pixels per module and a quiet zone of `margin` modules
// (signature, IHDR, one zlib-compressed IDAT, IEND, each chunk with its CRC-32).
std::string QrPng(const QrMatrix& qr, int scale = 8, int margin = 4);

// An SVG drawing the dark modules as one path on a white background, one unit per module.
std::string QrSvg(const QrMatrix& qr, int margin = 4);

// A stored-or-deflated ZIP archive written front to back; ZIP64 end records are added when the
// archive holds more than 65,535 entries. The bytes can be taken as they are produced (to write
// a large archive to a file) or all at once from Finish. Not thread-safe.
class ZipWriter {
  public:
    // `level`: the zlib compression level of deflated entries.
    explicit ZipWriter(int level = 6) : level_(level) {}
    // Adds a file; `deflate` compresses it (raw deflate, method 8), otherwise it is stored.
    void Add(const std::string& name, std::string_view data, bool deflate = true);
    // The bytes produced since the last call.
    std::string Take();
    // The rest of the archive (the central directory and end records); the writer is empty
    // afterwards.
    std::string Finish();
    size_t entries() const { return entries_.size(); }

  private:
    struct Entry {
        std::string name;
        uint32_t crc = 0;
        uint64_t compressed = 0, size = 0, offset = 0;
        uint16_t method = 0;
    };
    uint64_t Position() const { return taken_ + out_.size(); }
    int level_;
    uint64_t taken_ = 0;  // bytes handed out by Take
    std::string out_;
    std::vector<Entry> entries_;
};

}  // namespace siyu::scrm
