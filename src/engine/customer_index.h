#pragma once

#include <cstdint>
#include <vector>

namespace siyu::engine {

// Customer id → dense index, as an open-addressing hash table (linear probing, at most 3/4
// full): about 20 bytes a customer where a node-based map takes over 40. Ids are positive.
// Not thread-safe; the EventStore's lock guards it.
class CustomerIndex {
  public:
    static constexpr uint32_t kMissing = UINT32_MAX;

    uint32_t Find(int64_t id) const {
        if (keys_.empty()) return kMissing;
        for (size_t i = Slot(id);; i = (i + 1) & (keys_.size() - 1)) {
            if (keys_[i] == id) return values_[i];
            if (keys_[i] == 0) return kMissing;
        }
    }

    // Adds `id` → `value` unless present; answers the value stored for `id`.
    uint32_t Insert(int64_t id, uint32_t value) {
        if ((size_ + 1) * 4 > keys_.size() * 3) Grow();
        for (size_t i = Slot(id);; i = (i + 1) & (keys_.size() - 1)) {
            if (keys_[i] == id) return values_[i];
            if (keys_[i] == 0) {
                keys_[i] = id;
                values_[i] = value;
                ++size_;
                return value;
            }
        }
    }

    size_t size() const { return size_; }
    size_t MemoryBytes() const { return keys_.capacity() * sizeof(int64_t) + values_.capacity() * sizeof(uint32_t); }

  private:
    size_t Slot(int64_t id) const {
        uint64_t h = static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL;
        return static_cast<size_t>(h >> 17) & (keys_.size() - 1);
    }

    void Grow() {
        std::vector<int64_t> old_keys = std::move(keys_);
        std::vector<uint32_t> old_values = std::move(values_);
        size_t capacity = old_keys.empty() ? 16 : old_keys.size() * 2;
        keys_.assign(capacity, 0);
        values_.assign(capacity, 0);
        size_ = 0;
        for (size_t i = 0; i < old_keys.size(); ++i) {
            if (old_keys[i] != 0) Insert(old_keys[i], old_values[i]);
        }
    }

    std::vector<int64_t> keys_;
    std::vector<uint32_t> values_;
    size_t size_ = 0;
};

}  // namespace siyu::engine
