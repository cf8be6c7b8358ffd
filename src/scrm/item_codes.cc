#include "scrm/item_codes.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "scrm/qr_image.h"
#include "scrm/wecom_support.h"

namespace siyu::scrm {

namespace {

constexpr const char* kBatchColumns =
    "SELECT b.id, b.name, b.count, b.target_type, b.target, b.live_code_id, b.created_at, b.created_by, "
    "(SELECT count(*) FROM item_codes i WHERE i.batch_id = b.id AND i.first_scanned_at IS NOT NULL), "
    "(SELECT coalesce(sum(i.scans), 0) FROM item_codes i WHERE i.batch_id = b.id) FROM item_code_batches b ";

ItemCodeBatch ReadBatch(store::Statement& s) {
    ItemCodeBatch b;
    b.id = s.Int(0);
    b.name = s.Text(1);
    b.count = s.Int(2);
    b.target_type = s.Text(3);
    b.target = s.Text(4);
    b.live_code_id = s.OptInt(5);
    b.created_at = s.Int(6);
    b.created_by = s.Text(7);
    b.used_codes = s.Int(8);
    b.scans = s.Int(9);
    return b;
}

ItemCode ReadCode(store::Statement& s) {
    ItemCode c;
    c.id = s.Int(0);
    c.code = s.Text(1);
    c.scans = s.Int(2);
    c.first_scanned_at = s.OptInt(3);
    c.last_scanned_at = s.OptInt(4);
    return c;
}

bool IsHttpUrl(const std::string& url) {
    return (StartsWith(url, "https://") || StartsWith(url, "http://")) && url.size() <= 2000 &&
           url.find_first_of(" \t\r\n\"<>") == std::string::npos && url.size() > 8;
}

}  // namespace

Result<ItemCodeBatch> ItemCodes::CreateBatch(int64_t tenant_id, const ItemCodeBatchInput& in,
                                             const auth::Actor& actor) {
    std::string name(Trim(in.name));
    if (name.empty() || Utf8Length(name) > 100) return Status::InvalidArgument("name", "must be 1 to 100 characters");
    if (in.count < 1 || in.count > kMaxItemCodeBatch) {
        return Status::InvalidArgument("count", "must be between 1 and " + std::to_string(kMaxItemCodeBatch));
    }
    if (in.live_code_id.has_value() == in.target_url.has_value()) {
        return Status::InvalidArgument("live_code_id", "give either live_code_id or target_url");
    }
    if (in.target_url && !IsHttpUrl(*in.target_url)) {
        return Status::InvalidArgument("target_url", "must be an http or https URL");
    }
    int64_t id = 0;
    TimeMs now = NowMs();
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        std::string target_type = "url";
        std::string target = in.target_url.value_or("");
        if (in.live_code_id) {
            SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT key FROM live_codes WHERE tenant_id = ? AND id = ? AND "
                                                    "deleted_at IS NULL"));
            q.Bind(1, tenant_id).Bind(2, *in.live_code_id);
            SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
            if (!row) return Status::InvalidArgument("live_code_id", "no such live code");
            target_type = "live_code";
            target = q.Text(0);
        }
        SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO item_code_batches(tenant_id, name, count, target_type, "
                                                  "target, live_code_id, created_at, created_by) VALUES (?, ?, ?, ?, "
                                                  "?, ?, ?, ?)"));
        ins.Bind(1, tenant_id).Bind(2, name).Bind(3, in.count).Bind(4, target_type).Bind(5, target);
        ins.Bind(6, in.live_code_id).Bind(7, now).Bind(8, actor.name);
        SIYU_RETURN_IF_ERROR(ins.Run());
        id = c.LastInsertId();
        // 62^12 codes: a collision is astronomically rare, and the unique index catches it.
        SIYU_ASSIGN_OR_RETURN(auto code, c.Prepare("INSERT OR IGNORE INTO item_codes(tenant_id, batch_id, code) "
                                                   "VALUES (?, ?, ?)"));
        int64_t made = 0;
        while (made < in.count) {
            code.Reset();
            SIYU_RETURN_IF_ERROR(code.Bind(1, tenant_id).Bind(2, id).Bind(3, RandomCode(kItemCodeLength)).Run());
            made += c.Changes();
        }
        return auth::AppendAudit(c, tenant_id, actor, "wecom.item_codes.create", "item_code_batch", std::to_string(id),
                                 nlohmann::json{{"name", name}, {"count", in.count}}.dump());
    }));
    return GetBatch(tenant_id, id);
}

Result<std::vector<ItemCodeBatch>> ItemCodes::ListBatches(int64_t tenant_id, int limit, std::optional<int64_t> before) {
    std::vector<ItemCodeBatch> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kBatchColumns) +
                                                   "WHERE b.tenant_id = ?1 AND (?2 IS NULL OR b.id < ?2) ORDER BY b.id "
                                                   "DESC LIMIT ?3"));
        stmt.Bind(1, tenant_id).Bind(2, before).Bind(3, static_cast<int64_t>(limit));
        return stmt.ForEachRow([&] { out.push_back(ReadBatch(stmt)); });
    }));
    return out;
}

Result<ItemCodeBatch> ItemCodes::GetBatch(int64_t tenant_id, int64_t id) {
    std::optional<ItemCodeBatch> b;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kBatchColumns) + "WHERE b.tenant_id = ? AND b.id = ?"));
        stmt.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) b = ReadBatch(stmt);
        return Status::Ok();
    }));
    if (!b) return Status::NotFound("no item code batch " + std::to_string(id));
    return std::move(*b);
}

Result<std::vector<ItemCode>> ItemCodes::Codes(int64_t tenant_id, int64_t batch_id, int limit, int64_t after_id) {
    std::vector<ItemCode> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, code, scans, first_scanned_at, last_scanned_at FROM "
                                                   "item_codes WHERE tenant_id = ? AND batch_id = ? AND id > ? ORDER "
                                                   "BY id LIMIT ?"));
        stmt.Bind(1, tenant_id).Bind(2, batch_id).Bind(3, after_id).Bind(4, static_cast<int64_t>(limit));
        return stmt.ForEachRow([&] { out.push_back(ReadCode(stmt)); });
    }));
    return out;
}

Result<ItemCode> ItemCodes::GetCode(int64_t tenant_id, int64_t batch_id, const std::string& code) {
    std::optional<ItemCode> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, code, scans, first_scanned_at, last_scanned_at FROM "
                                                   "item_codes WHERE tenant_id = ? AND batch_id = ? AND code = ?"));
        stmt.Bind(1, tenant_id).Bind(2, batch_id).Bind(3, code);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) out = ReadCode(stmt);
        return Status::Ok();
    }));
    if (!out) return Status::NotFound("no code " + code + " in batch " + std::to_string(batch_id));
    return std::move(*out);
}

Status ItemCodes::ForEachCode(int64_t tenant_id, int64_t batch_id, const std::function<void(const ItemCode&)>& fn) {
    return db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, code, scans, first_scanned_at, last_scanned_at FROM "
                                                   "item_codes WHERE tenant_id = ? AND batch_id = ? ORDER BY id"));
        stmt.Bind(1, tenant_id).Bind(2, batch_id);
        return stmt.ForEachRow([&] { fn(ReadCode(stmt)); });
    });
}

Result<ItemCodeScan> ItemCodes::Scan(const std::string& code, TimeMs at) {
    if (code.size() != kItemCodeLength) return Status::NotFound("no such code");
    ItemCodeScan scan;
    std::string batch_name;
    std::optional<int64_t> live_code_id;
    bool found = false;
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT i.tenant_id, i.batch_id, i.first_scanned_at, b.target_type, "
                                                "b.target, b.name, b.live_code_id FROM item_codes i JOIN "
                                                "item_code_batches b ON b.id = i.batch_id WHERE i.code = ?"));
        q.Bind(1, code);
        SIYU_ASSIGN_OR_RETURN(found, q.Step());
        if (!found) return Status::Ok();
        scan.tenant_id = q.Int(0);
        scan.batch_id = q.Int(1);
        scan.first = q.IsNull(2);
        scan.target_type = q.Text(3);
        scan.target = q.Text(4);
        batch_name = q.Text(5);
        live_code_id = q.OptInt(6);
        scan.code = code;
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE item_codes SET scans = scans + 1, first_scanned_at = "
                                                 "coalesce(first_scanned_at, ?1), last_scanned_at = ?1 WHERE code = ?2 "
                                                 "RETURNING scans"));
        up.Bind(1, at).Bind(2, code);
        SIYU_ASSIGN_OR_RETURN(bool row, up.Step());
        if (row) scan.scans = up.Int(0);
        return Status::Ok();
    }));
    if (!found) return Status::NotFound("no such code");
    nlohmann::json props = {{"code", code},
                            {"kind", "item_code"},
                            {"batch_id", scan.batch_id},
                            {"batch_name", batch_name},
                            {"scan_number", scan.scans},
                            {"first_scan", scan.first},
                            {"target_type", scan.target_type},
                            {"live_code_id", live_code_id ? nlohmann::json(*live_code_id) : nlohmann::json(nullptr)}};
    auto m = AnonymousTrack("itemcode-" + code + "-" + std::to_string(scan.scans), "Live Code Scanned", at, props,
                            "itemcode-" + code);
    SIYU_RETURN_IF_ERROR(ingestor_->Ingest(scan.tenant_id, {m}).status());
    return scan;
}

std::string ItemCodeExports::PathOf(int64_t tenant_id, int64_t batch_id) const {
    return dir_ + "/item-codes-" + std::to_string(tenant_id) + "-" + std::to_string(batch_id) + ".zip";
}

Status ItemCodeExports::Write(int64_t tenant_id, int64_t batch_id, const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return Status::Unavailable("cannot write " + tmp);
    std::vector<std::string> codes;
    Status st = codes_->ForEachCode(tenant_id, batch_id, [&](const ItemCode& c) { codes.push_back(c.code); });
    ZipWriter zip(1);
    std::string csv = "code,url\n";
    for (const auto& code : codes) csv += code + "," + public_base_ + "/s/" + code + "\n";
    zip.Add("codes.csv", csv, true);
    bool ok = st.ok();
    for (size_t i = 0; ok && i < codes.size(); ++i) {
        auto qr = EncodeQr(public_base_ + "/s/" + codes[i]);
        if (!qr.ok()) {
            st = qr.status();
            ok = false;
            break;
        }
        zip.Add("svg/" + codes[i] + ".svg", QrSvg(*qr), true);
        if (i % 1000 == 999) {
            std::string bytes = zip.Take();
            ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
        }
    }
    if (ok) {
        std::string bytes = zip.Take() + zip.Finish();
        ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    }
    ok = std::fclose(f) == 0 && ok;
    if (!ok) {
        std::filesystem::remove(tmp, ec);
        return st.ok() ? Status::Unavailable("cannot write " + tmp) : st;
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) return Status::Unavailable("cannot rename " + tmp + ": " + ec.message());
    return Status::Ok();
}

Result<ItemCodeZip> ItemCodeExports::Zip(int64_t tenant_id, int64_t batch_id) {
    SIYU_ASSIGN_OR_RETURN(auto batch, codes_->GetBatch(tenant_id, batch_id));
    std::string path = PathOf(tenant_id, batch_id);
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return ItemCodeZip{"ready", path, ""};
    if (batch.count <= sync_limit_) {
        SIYU_RETURN_IF_ERROR(Write(tenant_id, batch_id, path));
        return ItemCodeZip{"ready", path, ""};
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto key = std::make_pair(tenant_id, batch_id);
    auto it = jobs_.find(key);
    if (it != jobs_.end() && it->second.status != "failed") return it->second;
    // A failed export is tried again on the next request.
    jobs_[key] = ItemCodeZip{"preparing", "", it != jobs_.end() ? it->second.error : ""};
    queue_.push_back(key);
    if (!worker_.joinable() && !stopping_) worker_ = std::thread([this] { Work(); });
    cv_.notify_all();
    return jobs_[key];
}

void ItemCodeExports::Work() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
        if (queue_.empty()) {
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            continue;
        }
        auto key = queue_.front();
        queue_.pop_front();
        lock.unlock();
        std::string path = PathOf(key.first, key.second);
        Status st = Write(key.first, key.second, path);
        lock.lock();
        jobs_[key] = st.ok() ? ItemCodeZip{"ready", path, ""} : ItemCodeZip{"failed", "", st.message()};
    }
}

void ItemCodeExports::Stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

}  // namespace siyu::scrm
