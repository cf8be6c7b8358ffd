#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/audit_log.h"
#include "cdp/event_ingestor.h"
#include "store/database.h"

namespace siyu::scrm {

inline constexpr int64_t kMaxItemCodeBatch = 100'000;
inline constexpr size_t kItemCodeLength = 12;

struct ItemCodeBatchInput {
    std::string name;
    int64_t count = 0;
    std::optional<int64_t> live_code_id;    // target: the live code's landing page /c/{key}
    std::optional<std::string> target_url;  // or any http(s) URL
};

struct ItemCodeBatch {
    int64_t id = 0;
    std::string name;
    int64_t count = 0;
    std::string target_type;  // live_code | url
    std::string target;       // the live code's key, or the URL
    std::optional<int64_t> live_code_id;
    TimeMs created_at = 0;
    std::string created_by;
    int64_t used_codes = 0;  // codes scanned at least once
    int64_t scans = 0;
};

struct ItemCode {
    int64_t id = 0;
    std::string code;
    int64_t scans = 0;
    std::optional<TimeMs> first_scanned_at;
    std::optional<TimeMs> last_scanned_at;
};

// What a scan of /s/{code} found.
struct ItemCodeScan {
    int64_t tenant_id = 0;
    int64_t batch_id = 0;
    std::string code;
    bool first = false;  // this scan marked the code used
    int64_t scans = 0;
    std::string target_type;
    std::string target;
};

// Unique per-item codes (一物一码): batches of random codes printed on packaging; scanning one
// records `Live Code Scanned` and leads to the batch's target. Thread-safe.
class ItemCodes {
  public:
    ItemCodes(store::Database* db, cdp::EventIngestor* ingestor) : db_(db), ingestor_(ingestor) {}

    // Generates `count` (1..100,000) unique codes in one transaction.
    Result<ItemCodeBatch> CreateBatch(int64_t tenant_id, const ItemCodeBatchInput& input, const auth::Actor& actor);
    Result<std::vector<ItemCodeBatch>> ListBatches(int64_t tenant_id, int limit, std::optional<int64_t> before_id);
    Result<ItemCodeBatch> GetBatch(int64_t tenant_id, int64_t id);
    // Codes in creation order after `after_id`.
    Result<std::vector<ItemCode>> Codes(int64_t tenant_id, int64_t batch_id, int limit, int64_t after_id);
    Result<ItemCode> GetCode(int64_t tenant_id, int64_t batch_id, const std::string& code);
    // Every code of a batch in creation order (exports).
    Status ForEachCode(int64_t tenant_id, int64_t batch_id, const std::function<void(const ItemCode&)>& fn);

    // A scan of the public /s/{code}: counts it, marks the first scan, emits the event
    // (anonymous id derived from the code). NotFound for an unknown code.
    Result<ItemCodeScan> Scan(const std::string& code, TimeMs at);

  private:
    store::Database* db_;
    cdp::EventIngestor* ingestor_;
};

// Where a batch's ZIP export stands.
struct ItemCodeZip {
    std::string status;  // ready | preparing | failed
    std::string path;    // when ready
    std::string error;   // when failed
};

// ZIP exports of per-item code batches (codes.csv and one SVG per code), written to files under
// `dir` by one background worker, since a 100,000-code archive takes longer than a request may.
// A batch never changes, so a written archive stays valid. Thread-safe.
class ItemCodeExports {
  public:
    // Batches up to `sync_limit` codes are written during the request.
    ItemCodeExports(ItemCodes* codes, std::string dir, std::string public_base, int64_t sync_limit = 2000)
        : codes_(codes), dir_(std::move(dir)), public_base_(std::move(public_base)), sync_limit_(sync_limit) {}
    ~ItemCodeExports() { Stop(); }

    // The archive of a batch: ready (its file), or preparing (queued for the worker), or failed.
    Result<ItemCodeZip> Zip(int64_t tenant_id, int64_t batch_id);
    // Writes the archive of a batch to `path` (through a temporary file and a rename).
    Status Write(int64_t tenant_id, int64_t batch_id, const std::string& path);
    void Stop();

  private:
    std::string PathOf(int64_t tenant_id, int64_t batch_id) const;
    void Work();

    ItemCodes* codes_;
    std::string dir_;
    std::string public_base_;
    int64_t sync_limit_;
    std::mutex mu_;
    std::map<std::pair<int64_t, int64_t>, ItemCodeZip> jobs_;  // GUARDED_BY(mu_)
    std::deque<std::pair<int64_t, int64_t>> queue_;            // GUARDED_BY(mu_)
    std::condition_variable cv_;
    bool stopping_ = false;  // GUARDED_BY(mu_)
    std::thread worker_;
};

}  // namespace siyu::scrm
