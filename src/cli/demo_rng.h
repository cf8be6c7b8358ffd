#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace siyu::cli {

// The demo's deterministic generator (SplitMix64): the same seed gives the same demo on every
// platform, unlike the standard distributions.
class DemoRng {
  public:
    explicit DemoRng(uint64_t seed) : state_(seed) {}

    uint64_t Next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // 0 ≤ result < n (0 when n is 0).
    uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
    bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
    // `n` characters of base64url.
    std::string Token(size_t n) {
        static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        std::string out;
        for (size_t i = 0; i < n; ++i) out.push_back(kChars[Below(64)]);
        return out;
    }
    template <typename T, size_t N>
    const T& Pick(const T (&items)[N]) {
        return items[Below(N)];
    }

  private:
    uint64_t state_;
};

}  // namespace siyu::cli
