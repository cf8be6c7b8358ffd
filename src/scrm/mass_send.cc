#include "scrm/mass_send.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "base/crypto.h"
#include "base/strings.h"

namespace siyu::scrm {

namespace {

constexpr const char* kColumns =
    "SELECT id, name, segment_id, text, original_text, attachments, scheduled_at, status, coalesce(month, ''), "
    "target_count, skipped_monthly_limit, skipped_no_owner, created_at, created_by, dispatched_at, polled_at FROM "
    "mass_sends ";

MassSend ReadSend(store::Statement& s) {
    MassSend m;
    m.id = s.Int(0);
    m.name = s.Text(1);
    m.segment_id = s.Int(2);
    m.text = s.Text(3);
    m.original_text = s.Text(4);
    m.attachments = Json::parse(s.Text(5), nullptr, false);
    if (m.attachments.is_discarded()) m.attachments = Json::array();
    m.scheduled_at = s.OptInt(6);
    m.status = s.Text(7);
    m.month = s.Text(8);
    m.target_count = s.Int(9);
    m.skipped_monthly_limit = s.Int(10);
    m.skipped_no_owner = s.Int(11);
    m.created_at = s.Int(12);
    m.created_by = s.Text(13);
    m.dispatched_at = s.OptInt(14);
    m.polled_at = s.OptInt(15);
    return m;
}

bool UrlChar(unsigned char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`';
}

bool IsHttpUrl(const std::string& url) {
    return (StartsWith(url, "https://") || StartsWith(url, "http://")) && url.size() > 8 && url.size() <= 2000 &&
           url.find_first_of(" \t\r\n\"<>") == std::string::npos;
}

// Validates one attachment; `field` is "attachments[i]".
Status CheckAttachment(const Json& a, const std::string& field) {
    if (!a.is_object()) return Status::InvalidArgument(field, "must be an object");
    std::string type = JsonString(a, "msgtype");
    auto require = [&](const Json& body, const std::string& prefix, const char* key) -> Status {
        if (JsonString(body, key).empty()) return Status::InvalidArgument(prefix + "." + key, "is required");
        return Status::Ok();
    };
    if (type != "link" && type != "image" && type != "miniprogram") {
        return Status::InvalidArgument(field + ".msgtype", "must be link, image or miniprogram");
    }
    auto body = a.find(type);
    std::string prefix = field + "." + type;
    if (body == a.end() || !body->is_object()) return Status::InvalidArgument(prefix, "must be an object");
    if (type == "link") {
        SIYU_RETURN_IF_ERROR(require(*body, prefix, "title"));
        SIYU_RETURN_IF_ERROR(require(*body, prefix, "url"));
        if (!IsHttpUrl(JsonString(*body, "url")))
            return Status::InvalidArgument(prefix + ".url", "must be an http(s) URL");
    } else if (type == "image") {
        if (JsonString(*body, "media_id").empty() && JsonString(*body, "pic_url").empty()) {
            return Status::InvalidArgument(prefix + ".media_id", "give media_id or pic_url");
        }
    } else {
        for (const char* k : {"title", "pic_media_id", "appid", "page"})
            SIYU_RETURN_IF_ERROR(require(*body, prefix, k));
    }
    return Status::Ok();
}

const char* TargetStatusOf(int64_t wecom_status) {
    switch (wecom_status) {
        case 1:
            return "sent";
        case 2:
            return "not_friend";
        case 3:
            return "already_received";
        default:
            return "unsent";
    }
}

}  // namespace

std::string RewriteLinks(std::string_view text, const std::function<std::string(const std::string&)>& shorten) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        size_t a = text.find("http://", i);
        size_t b = text.find("https://", i);
        size_t at = std::min(a, b);
        if (at == std::string_view::npos) break;
        size_t end = at;
        while (end < text.size() && UrlChar(static_cast<unsigned char>(text[end]))) ++end;
        while (end > at && std::string_view(".,;:!?)").find(text[end - 1]) != std::string_view::npos) --end;
        std::string url(text.substr(at, end - at));
        out.append(text.substr(i, at - i));
        if (url.size() > 8 && url != "https://" && url != "http://") {
            out.append(shorten(url));
        } else {
            out.append(url);
        }
        i = std::max(end, at + 1);
        if (end <= at) out.append(text.substr(at, 1));
    }
    out.append(text.substr(std::min(i, text.size())));
    return out;
}

std::string MonthOf(TimeMs at, const std::string& time_zone) { return LocalDate(at, time_zone).substr(0, 7); }

Result<MassSend> MassSends::Create(int64_t tenant_id, const MassSendInput& in, const auth::Actor& actor) {
    std::string name(Trim(in.name));
    if (name.empty() || Utf8Length(name) > 100) return Status::InvalidArgument("name", "must be 1 to 100 characters");
    if (in.segment_id <= 0) return Status::InvalidArgument("segment_id", "is required");
    if (in.text.size() > 4000) return Status::InvalidArgument("text", "at most 4,000 bytes (WeCom's limit)");
    if (!in.attachments.is_array()) return Status::InvalidArgument("attachments", "must be an array");
    if (in.attachments.size() > 9) return Status::InvalidArgument("attachments", "at most 9 attachments");
    if (Trim(in.text).empty() && in.attachments.empty()) {
        return Status::InvalidArgument("text", "give a text or at least one attachment");
    }
    for (size_t i = 0; i < in.attachments.size(); ++i) {
        SIYU_RETURN_IF_ERROR(CheckAttachment(in.attachments[i], "attachments[" + std::to_string(i) + "]"));
    }
    if (segment_members_) SIYU_RETURN_IF_ERROR(segment_members_(tenant_id, in.segment_id).status());
    TimeMs now = Now();
    int64_t id = 0;
    bool later = in.scheduled_at && *in.scheduled_at > now;
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto ins, c.Prepare("INSERT INTO mass_sends(tenant_id, name, segment_id, original_text, "
                                                  "scheduled_at, status, created_at, created_by, updated_at) VALUES "
                                                  "(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        ins.Bind(1, tenant_id).Bind(2, name).Bind(3, in.segment_id).Bind(4, in.text).Bind(5, in.scheduled_at);
        ins.Bind(6, later ? "scheduled" : "sending").Bind(7, now).Bind(8, actor.name).Bind(9, now);
        SIYU_RETURN_IF_ERROR(ins.Run());
        id = c.LastInsertId();
        // One short link per distinct URL of the message.
        std::map<std::string, std::string> codes;
        SIYU_ASSIGN_OR_RETURN(auto link, c.Prepare("INSERT OR IGNORE INTO short_links(code, tenant_id, url, "
                                                   "mass_send_id, created_at) VALUES (?, ?, ?, ?, ?)"));
        Status failure;
        auto shorten = [&](const std::string& url) -> std::string {
            auto it = codes.find(url);
            if (it == codes.end()) {
                for (int attempt = 0; attempt < 8; ++attempt) {
                    std::string code = RandomCode(8);
                    link.Reset();
                    Status st = link.Bind(1, code).Bind(2, tenant_id).Bind(3, url).Bind(4, id).Bind(5, now).Run();
                    if (!st.ok()) {
                        failure = st;
                        return url;
                    }
                    if (c.Changes() > 0) {
                        it = codes.emplace(url, code).first;
                        break;
                    }
                }
                if (it == codes.end()) {
                    failure = Status::Internal("could not allocate a short link code");
                    return url;
                }
            }
            return public_base_ + "/l/" + it->second;
        };
        std::string text = RewriteLinks(in.text, shorten);
        Json attachments = in.attachments;
        for (Json& a : attachments) {
            if (JsonString(a, "msgtype") == "link") a["link"]["url"] = shorten(JsonString(a["link"], "url"));
        }
        SIYU_RETURN_IF_ERROR(failure);
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE mass_sends SET text = ?, attachments = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(up.Bind(1, text).Bind(2, attachments.dump()).Bind(3, id).Run());
        return auth::AppendAudit(c, tenant_id, actor, "wecom.mass_send.create", "mass_send", std::to_string(id),
                                 Json{{"name", name}, {"segment_id", in.segment_id}}.dump());
    }));
    if (!later) SIYU_RETURN_IF_ERROR(Dispatch(tenant_id, id));
    return Get(tenant_id, id);
}

Status MassSends::Dispatch(int64_t tenant_id, int64_t id) {
    std::vector<int64_t> members;
    int64_t segment_id = 0;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT segment_id FROM mass_sends WHERE tenant_id = ? AND id = ?"));
        q.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) return Status::NotFound("no mass send " + std::to_string(id));
        segment_id = q.Int(0);
        return Status::Ok();
    }));
    if (segment_members_) {
        auto m = segment_members_(tenant_id, segment_id);
        if (!m.ok()) {
            SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
                SIYU_ASSIGN_OR_RETURN(
                    auto up, c.Prepare("UPDATE mass_sends SET status = 'failed', updated_at = ? WHERE id = ?"));
                return up.Bind(1, Now()).Bind(2, id).Run();
            }));
            return m.status();
        }
        members = std::move(m).value();
    }
    TimeMs now = Now();
    bool queued = false;
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto st, c.Prepare("SELECT status FROM mass_sends WHERE id = ?"));
        st.Bind(1, id);
        SIYU_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) return Status::NotFound("no mass send " + std::to_string(id));
        SIYU_ASSIGN_OR_RETURN(auto done,
                              c.Prepare("SELECT 1 FROM mass_sends WHERE id = ? AND dispatched_at IS NOT NULL"));
        done.Bind(1, id);
        SIYU_ASSIGN_OR_RETURN(bool dispatched, done.Step());
        if (dispatched) return Status::Ok();
        SIYU_ASSIGN_OR_RETURN(std::string zone, TenantTimeZone(c, tenant_id));
        std::string month = MonthOf(now, zone);
        SIYU_ASSIGN_OR_RETURN(
            auto owner,
            c.Prepare("SELECT co.staff_id, s.userid, co.external_userid FROM customer_owners co JOIN staff s ON s.id = "
                      "co.staff_id WHERE co.tenant_id = ?1 AND co.status = 'active' AND s.status = 'active' AND "
                      "(co.customer_id = ?2 OR co.customer_id IN (SELECT id FROM customers WHERE tenant_id = ?1 AND "
                      "merged_into = ?2)) ORDER BY co.added_at, co.id LIMIT 1"));
        SIYU_ASSIGN_OR_RETURN(auto count, c.Prepare("SELECT count FROM mass_send_monthly WHERE tenant_id = ? AND "
                                                    "customer_id = ? AND month = ?"));
        SIYU_ASSIGN_OR_RETURN(auto bump,
                              c.Prepare("INSERT INTO mass_send_monthly(tenant_id, customer_id, month, count) "
                                        "VALUES (?, ?, ?, 1) ON CONFLICT(tenant_id, customer_id, month) DO "
                                        "UPDATE SET count = count + 1"));
        struct Target {
            int64_t customer_id;
            std::string external_userid;
        };
        std::map<std::pair<std::string, int64_t>, std::vector<Target>> by_staff;  // (userid, staff_id)
        int64_t no_owner = 0, at_limit = 0, targets = 0;
        for (int64_t customer : members) {
            owner.Reset();
            owner.Bind(1, tenant_id).Bind(2, customer);
            SIYU_ASSIGN_OR_RETURN(bool has, owner.Step());
            if (!has) {
                ++no_owner;
                continue;
            }
            count.Reset();
            count.Bind(1, tenant_id).Bind(2, customer).Bind(3, month);
            SIYU_ASSIGN_OR_RETURN(bool counted, count.Step());
            if (counted && count.Int(0) >= kMonthlyMassMessages) {
                ++at_limit;
                continue;
            }
            bump.Reset();
            SIYU_RETURN_IF_ERROR(bump.Bind(1, tenant_id).Bind(2, customer).Bind(3, month).Run());
            by_staff[{owner.Text(1), owner.Int(0)}].push_back(Target{customer, owner.Text(2)});
            ++targets;
        }
        SIYU_ASSIGN_OR_RETURN(auto chunk, c.Prepare("INSERT INTO mass_send_chunks(tenant_id, mass_send_id, staff_id, "
                                                    "userid, target_count, created_at, updated_at) VALUES (?, ?, ?, ?, "
                                                    "?, ?, ?)"));
        SIYU_ASSIGN_OR_RETURN(auto target, c.Prepare("INSERT INTO mass_send_targets(mass_send_id, tenant_id, "
                                                     "customer_id, external_userid, chunk_id, month) VALUES (?, ?, ?, "
                                                     "?, ?, ?)"));
        for (const auto& [staff, list] : by_staff) {
            for (size_t i = 0; i < list.size(); i += kMassSendChunk) {
                size_t end = std::min(list.size(), i + kMassSendChunk);
                chunk.Reset();
                chunk.Bind(1, tenant_id).Bind(2, id).Bind(3, staff.second).Bind(4, staff.first);
                SIYU_RETURN_IF_ERROR(chunk.Bind(5, static_cast<int64_t>(end - i)).Bind(6, now).Bind(7, now).Run());
                int64_t chunk_id = c.LastInsertId();
                for (size_t k = i; k < end; ++k) {
                    target.Reset();
                    target.Bind(1, id).Bind(2, tenant_id).Bind(3, list[k].customer_id).Bind(4, list[k].external_userid);
                    SIYU_RETURN_IF_ERROR(target.Bind(5, chunk_id).Bind(6, month).Run());
                }
                SIYU_RETURN_IF_ERROR(enqueue_(c, tenant_id, kMassSendOutboxKind,
                                              Json{{"mass_send_id", id}, {"chunk_id", chunk_id}},
                                              "mass-send-chunk-" + std::to_string(chunk_id))
                                         .status());
                queued = true;
            }
        }
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE mass_sends SET status = ?, month = ?, target_count = ?, "
                                                 "skipped_monthly_limit = ?, skipped_no_owner = ?, dispatched_at = ?, "
                                                 "updated_at = ? WHERE id = ?"));
        up.Bind(1, targets > 0 ? "sending" : "sent").Bind(2, month).Bind(3, targets).Bind(4, at_limit);
        return up.Bind(5, no_owner).Bind(6, now).Bind(7, now).Bind(8, id).Run();
    }));
    if (queued && wake_) wake_();
    return Status::Ok();
}

channels::Delivery MassSends::Deliver(const channels::OutboxMessage& message) {
    int64_t tenant_id = message.tenant_id;
    int64_t id = JsonInt(message.payload, "mass_send_id");
    int64_t chunk_id = JsonInt(message.payload, "chunk_id");
    std::string userid, text, status;
    Json attachments;
    std::vector<std::string> externals;
    Status st = db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT k.userid, k.status, m.text, m.attachments FROM "
                                                "mass_send_chunks k JOIN mass_sends m ON m.id = k.mass_send_id WHERE "
                                                "k.tenant_id = ? AND k.id = ? AND k.mass_send_id = ?"));
        q.Bind(1, tenant_id).Bind(2, chunk_id).Bind(3, id);
        SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) return Status::NotFound("no chunk");
        userid = q.Text(0);
        status = q.Text(1);
        text = q.Text(2);
        attachments = Json::parse(q.Text(3), nullptr, false);
        SIYU_ASSIGN_OR_RETURN(auto t, c.Prepare("SELECT external_userid FROM mass_send_targets WHERE chunk_id = ? "
                                                "ORDER BY customer_id"));
        t.Bind(1, chunk_id);
        return t.ForEachRow([&] { externals.push_back(t.Text(0)); });
    });
    if (st.code() == StatusCode::kNotFound)
        return channels::Delivery::Fail("no mass send chunk " + std::to_string(chunk_id));
    if (!st.ok()) return channels::Delivery::Retry(st.message());
    if (status == "submitting") {
        // An earlier attempt stopped after it may have reached WeCom: sending again could message
        // the customers twice, so the chunk is failed for an operator to check in WeCom.
        const std::string unknown =
            "interrupted while submitting to WeCom; check 客户群发 in WeCom before sending again";
        st = db_->Write([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE mass_send_chunks SET status = 'failed', error = ?, "
                                                     "updated_at = ? WHERE id = ? AND status = 'submitting'"));
            return up.Bind(1, unknown).Bind(2, Now()).Bind(3, chunk_id).Run();
        });
        if (!st.ok()) return channels::Delivery::Retry(st.message());
        return channels::Delivery::Fail(unknown);
    }
    if (status != "pending") return channels::Delivery::Done(Json{{"skipped", "chunk already " + status}});
    // Claim the chunk before calling WeCom, so a redelivery after a crash never sends it twice.
    bool claimed = false;
    st = db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE mass_send_chunks SET status = 'submitting', updated_at = ? "
                                                 "WHERE id = ? AND status = 'pending'"));
        SIYU_RETURN_IF_ERROR(up.Bind(1, Now()).Bind(2, chunk_id).Run());
        claimed = c.Changes() > 0;
        return Status::Ok();
    });
    if (!st.ok()) return channels::Delivery::Retry(st.message());
    if (!claimed) return channels::Delivery::Done(Json{{"skipped", "chunk taken by another delivery"}});
    Json body = {{"chat_type", "single"}, {"external_userid", externals}, {"sender", userid}};
    if (!text.empty()) body["text"] = {{"content", text}};
    if (attachments.is_array() && !attachments.empty()) body["attachments"] = attachments;
    auto answer = wecom_(tenant_id, "/cgi-bin/externalcontact/add_msg_template", body);
    if (!answer.ok() && IsTransient(answer.status())) {
        // WeCom did not take it (busy, rate limited, unreachable): the chunk may go again.
        Status back = db_->Write([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE mass_send_chunks SET status = 'pending' WHERE id = ? AND "
                                                     "status = 'submitting'"));
            return up.Bind(1, chunk_id).Run();
        });
        if (!back.ok()) spdlog::warn("mass send chunk {}: {}", chunk_id, back.message());
        return channels::Delivery::Retry(answer.status().message());
    }
    std::vector<std::string> fail_list;
    if (answer.ok()) {
        if (auto fl = answer->find("fail_list"); fl != answer->end() && fl->is_array()) {
            for (const Json& f : *fl) {
                if (f.is_string()) fail_list.push_back(f.get<std::string>());
            }
        }
    }
    std::string msgid = answer.ok() ? JsonString(*answer, "msgid") : "";
    TimeMs now = Now();
    auto record = [&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE mass_send_chunks SET status = ?, msgid = ?, fail_list = ?, "
                                                 "error = ?, updated_at = ? WHERE id = ? AND status = 'submitting'"));
        up.Bind(1, answer.ok() ? "created" : "failed").Bind(2, msgid).Bind(3, Json(fail_list).dump());
        if (answer.ok()) {
            up.BindNull(4);
        } else {
            up.Bind(4, answer.status().message());
        }
        SIYU_RETURN_IF_ERROR(up.Bind(5, now).Bind(6, chunk_id).Run());
        if (c.Changes() == 0) return Status::Ok();
        // Customers WeCom will not send to are not counted against their month.
        SIYU_ASSIGN_OR_RETURN(auto fail, c.Prepare("UPDATE mass_send_targets SET status = 'failed' WHERE chunk_id = ? "
                                                   "AND external_userid = ? AND status = 'pending' RETURNING "
                                                   "customer_id, month"));
        SIYU_ASSIGN_OR_RETURN(auto unbump, c.Prepare("UPDATE mass_send_monthly SET count = max(count - 1, 0) WHERE "
                                                     "tenant_id = ? AND customer_id = ? AND month = ?"));
        std::vector<std::string> failed = answer.ok() ? fail_list : externals;
        for (const auto& e : failed) {
            fail.Reset();
            fail.Bind(1, chunk_id).Bind(2, e);
            SIYU_ASSIGN_OR_RETURN(bool row, fail.Step());
            if (!row) continue;
            int64_t customer = fail.Int(0);
            std::string month = fail.Text(1);
            fail.Reset();
            unbump.Reset();
            SIYU_RETURN_IF_ERROR(unbump.Bind(1, tenant_id).Bind(2, customer).Bind(3, month).Run());
        }
        SIYU_ASSIGN_OR_RETURN(auto send, c.Prepare("UPDATE mass_sends SET status = CASE WHEN EXISTS (SELECT 1 FROM "
                                                   "mass_send_chunks WHERE mass_send_id = ?1 AND status IN "
                                                   "('pending', 'submitting')) "
                                                   "THEN 'sending' WHEN EXISTS (SELECT 1 FROM mass_send_chunks WHERE "
                                                   "mass_send_id = ?1 AND status = 'created') THEN 'sent' ELSE "
                                                   "'failed' END, updated_at = ?2 WHERE id = ?1"));
        return send.Bind(1, id).Bind(2, now).Run();
    };
    // WeCom has the task now: record it, retrying only the write (never the send).
    for (int attempt = 0; attempt < 5; ++attempt) {
        st = db_->Write(record);
        if (st.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
    }
    if (!st.ok()) {
        return channels::Delivery::Fail("WeCom accepted the chunk (msgid " + msgid + ") but recording it failed: " +
                                        st.message());
    }
    if (!answer.ok()) return channels::Delivery::Fail(answer.status().message());
    return channels::Delivery::Done(Json{{"msgid", msgid}, {"fail_list", fail_list}});
}

Result<MassSend> MassSends::Refresh(int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(MassSend m, Get(tenant_id, id));
    struct Row {
        int64_t chunk_id;
        std::string external_userid, status;
        std::optional<TimeMs> send_time;
    };
    std::vector<Row> rows;
    for (const auto& chunk : m.chunks) {
        if (chunk.status != "created" || chunk.msgid.empty()) continue;
        std::string cursor;
        for (int page = 0; page < 1000; ++page) {
            Json body = {{"msgid", chunk.msgid}, {"userid", chunk.userid}, {"limit", 1000}};
            if (!cursor.empty()) body["cursor"] = cursor;
            SIYU_ASSIGN_OR_RETURN(Json r, wecom_(tenant_id, "/cgi-bin/externalcontact/get_groupmsg_send_result", body));
            if (auto list = r.find("send_list"); list != r.end() && list->is_array()) {
                for (const Json& e : *list) {
                    std::optional<TimeMs> when;
                    if (int64_t s = JsonInt(e, "send_time"); s > 0) when = s * 1000;
                    rows.push_back(
                        Row{chunk.id, JsonString(e, "external_userid"), TargetStatusOf(JsonInt(e, "status")), when});
                }
            }
            cursor = JsonString(r, "next_cursor");
            if (cursor.empty()) break;
        }
    }
    std::vector<cdp::TrackingMessage> events;
    TimeMs now = Now();
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE mass_send_targets SET status = ?, send_time = coalesce(?, "
                                                 "send_time) WHERE chunk_id = ? AND external_userid = ? AND status IN "
                                                 "('pending', 'unsent') AND status <> ? RETURNING customer_id, month"));
        SIYU_ASSIGN_OR_RETURN(auto unbump, c.Prepare("UPDATE mass_send_monthly SET count = max(count - 1, 0) WHERE "
                                                     "tenant_id = ? AND customer_id = ? AND month = ?"));
        for (const auto& r : rows) {
            up.Reset();
            up.Bind(1, r.status).Bind(2, r.send_time).Bind(3, r.chunk_id).Bind(4, r.external_userid).Bind(5, r.status);
            SIYU_ASSIGN_OR_RETURN(bool changed, up.Step());
            if (!changed) continue;
            int64_t customer = up.Int(0);
            std::string month = up.Text(1);
            up.Reset();
            if (r.status == "not_friend" || r.status == "already_received") {
                unbump.Reset();
                SIYU_RETURN_IF_ERROR(unbump.Bind(1, tenant_id).Bind(2, customer).Bind(3, month).Run());
            }
            if (r.status == "sent") {
                Json props = {{"mass_send_id", id}, {"mass_send_name", m.name}, {"sender", ""}};
                for (const auto& chunk : m.chunks) {
                    if (chunk.id == r.chunk_id) props["sender"] = chunk.userid;
                }
                events.push_back(WecomTrack("masssend-" + std::to_string(id) + "-" + r.external_userid,
                                            "Mass Message Sent", r.send_time.value_or(now), props, r.external_userid));
            }
        }
        SIYU_ASSIGN_OR_RETURN(auto polled, c.Prepare("UPDATE mass_sends SET polled_at = ? WHERE id = ?"));
        return polled.Bind(1, now).Bind(2, id).Run();
    }));
    if (!events.empty()) SIYU_RETURN_IF_ERROR(ingestor_->Ingest(tenant_id, events).status());
    return Get(tenant_id, id);
}

Status MassSends::LoadDetails(store::Connection& c, MassSend* m) {
    SIYU_ASSIGN_OR_RETURN(auto ch,
                          c.Prepare("SELECT k.id, k.staff_id, k.userid, k.target_count, k.status, coalesce(k.msgid, "
                                    "''), k.fail_list, coalesce(k.error, ''), (SELECT count(*) FILTER (WHERE "
                                    "t.status = 'sent') || ',' || count(*) FILTER (WHERE t.status IN ('pending', "
                                    "'unsent')) || ',' || count(*) FILTER (WHERE t.status = 'not_friend') || ',' "
                                    "|| count(*) FILTER (WHERE t.status = 'already_received') || ',' || count(*) "
                                    "FILTER (WHERE t.status = 'failed') FROM mass_send_targets t WHERE t.chunk_id = "
                                    "k.id) FROM mass_send_chunks k WHERE k.mass_send_id = ? ORDER BY k.id"));
    ch.Bind(1, m->id);
    SIYU_RETURN_IF_ERROR(ch.ForEachRow([&] {
        MassSendChunk k;
        k.id = ch.Int(0);
        k.staff_id = ch.OptInt(1);
        k.userid = ch.Text(2);
        k.target_count = ch.Int(3);
        k.status = ch.Text(4);
        k.msgid = ch.Text(5);
        Json fl = Json::parse(ch.Text(6), nullptr, false);
        if (fl.is_array()) {
            for (const Json& f : fl) {
                if (f.is_string()) k.fail_list.push_back(f.get<std::string>());
            }
        }
        k.error = ch.Text(7);
        std::string counts = ch.Text(8);
        auto parts = Split(counts, ',');
        int64_t v[5] = {0, 0, 0, 0, 0};
        for (size_t i = 0; i < parts.size() && i < 5; ++i) ParseInt64(parts[i], &v[i]);
        k.sent = v[0];
        k.unsent = v[1];
        k.not_friend = v[2];
        k.already_received = v[3];
        k.failed = v[4];
        m->sent += k.sent;
        m->unsent += k.unsent;
        m->not_friend += k.not_friend;
        m->already_received += k.already_received;
        m->failed += k.failed;
        m->chunks.push_back(std::move(k));
    }));
    SIYU_ASSIGN_OR_RETURN(auto links, c.Prepare("SELECT l.code, l.url, l.clicks, (SELECT count(DISTINCT clicker) FROM "
                                                "short_link_clicks k WHERE k.code = l.code) FROM short_links l WHERE "
                                                "l.mass_send_id = ? ORDER BY l.created_at, l.code"));
    links.Bind(1, m->id);
    SIYU_RETURN_IF_ERROR(links.ForEachRow([&] {
        ShortLink l{links.Text(0), links.Text(1), public_base_ + "/l/" + links.Text(0), links.Int(2), links.Int(3)};
        m->clicks += l.clicks;
        m->links.push_back(std::move(l));
    }));
    SIYU_ASSIGN_OR_RETURN(auto uniq, c.Prepare("SELECT count(DISTINCT clicker) FROM short_link_clicks WHERE "
                                               "mass_send_id = ?"));
    uniq.Bind(1, m->id);
    SIYU_ASSIGN_OR_RETURN(bool row, uniq.Step());
    if (row) m->unique_clickers = uniq.Int(0);
    return Status::Ok();
}

Result<MassSend> MassSends::Get(int64_t tenant_id, int64_t id) {
    std::optional<MassSend> m;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare(std::string(kColumns) + "WHERE tenant_id = ? AND id = ?"));
        q.Bind(1, tenant_id).Bind(2, id);
        SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) return Status::Ok();
        m = ReadSend(q);
        return LoadDetails(c, &*m);
    }));
    if (!m) return Status::NotFound("no mass send " + std::to_string(id));
    return std::move(*m);
}

Result<std::vector<MassSend>> MassSends::List(int64_t tenant_id, int limit, std::optional<int64_t> before) {
    std::vector<MassSend> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare(std::string(kColumns) +
                                                "WHERE tenant_id = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC "
                                                "LIMIT ?3"));
        q.Bind(1, tenant_id).Bind(2, before).Bind(3, static_cast<int64_t>(limit));
        SIYU_RETURN_IF_ERROR(q.ForEachRow([&] { out.push_back(ReadSend(q)); }));
        for (auto& m : out) SIYU_RETURN_IF_ERROR(LoadDetails(c, &m));
        return Status::Ok();
    }));
    return out;
}

Result<std::string> MassSends::Click(const std::string& code, const std::string& external_userid,
                                     const std::string& visitor, TimeMs at) {
    int64_t tenant_id = 0;
    std::optional<int64_t> mass_send_id;
    std::string url;
    bool target = false;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT tenant_id, url, mass_send_id FROM short_links WHERE code = ?"));
        q.Bind(1, code);
        SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) return Status::NotFound("no such link");
        tenant_id = q.Int(0);
        url = q.Text(1);
        mass_send_id = q.OptInt(2);
        if (!external_userid.empty() && mass_send_id) {
            SIYU_ASSIGN_OR_RETURN(auto t, c.Prepare("SELECT 1 FROM mass_send_targets WHERE mass_send_id = ? AND "
                                                    "external_userid = ?"));
            t.Bind(1, *mass_send_id).Bind(2, external_userid);
            SIYU_ASSIGN_OR_RETURN(target, t.Step());
        }
        return Status::Ok();
    }));
    std::string clicker = target ? external_userid : "visitor-" + Sha256Hex(code + "|" + visitor).substr(0, 24);
    std::string message_id =
        "click-" + code + "-" + Sha256Hex(clicker + "|" + std::to_string(at) + "|" + RandomToken(8)).substr(0, 24);
    Json props = {{"code", code},
                  {"url", url},
                  {"mass_send_id", mass_send_id ? Json(*mass_send_id) : Json(nullptr)},
                  {"attributed", target}};
    cdp::TrackingMessage event = target ? WecomTrack(message_id, "Message Clicked", at, props, external_userid)
                                        : AnonymousTrack(message_id, "Message Clicked", at, props, clicker);
    SIYU_RETURN_IF_ERROR(ingestor_->Ingest(tenant_id, {event}).status());
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        std::optional<int64_t> customer;
        if (target) {
            SIYU_ASSIGN_OR_RETURN(customer,
                                  CustomerByIdentifier(c, tenant_id, "wecom_external_userid", external_userid));
        }
        SIYU_ASSIGN_OR_RETURN(auto ins,
                              c.Prepare("INSERT INTO short_link_clicks(tenant_id, code, mass_send_id, "
                                        "external_userid, customer_id, clicker, at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
        std::optional<std::string> ext;
        if (target) ext = external_userid;
        ins.Bind(1, tenant_id).Bind(2, code).Bind(3, mass_send_id).Bind(4, ext).Bind(5, customer).Bind(6, clicker);
        SIYU_RETURN_IF_ERROR(ins.Bind(7, at).Run());
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE short_links SET clicks = clicks + 1 WHERE code = ?"));
        return up.Bind(1, code).Run();
    }));
    return url;
}

Result<int64_t> MassSends::MonthlyCount(int64_t tenant_id, int64_t customer_id, const std::string& month) {
    int64_t n = 0;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT count FROM mass_send_monthly WHERE tenant_id = ? AND "
                                                "customer_id = ? AND month = ?"));
        q.Bind(1, tenant_id).Bind(2, customer_id).Bind(3, month);
        SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (row) n = q.Int(0);
        return Status::Ok();
    }));
    return n;
}

void MassSends::Start(int interval_ms) {
    ticker_.Start(interval_ms, [this, interval_ms] { Tick(Now() - interval_ms); });
}

void MassSends::Tick(TimeMs poll_older_than) {
    std::vector<std::pair<int64_t, int64_t>> due, poll;
    TimeMs now = Now();
    Status st = db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT tenant_id, id FROM mass_sends WHERE status = 'scheduled' AND "
                                                "scheduled_at <= ? LIMIT 100"));
        q.Bind(1, now);
        SIYU_RETURN_IF_ERROR(q.ForEachRow([&] { due.emplace_back(q.Int(0), q.Int(1)); }));
        // Results are collected for a week after dispatch.
        SIYU_ASSIGN_OR_RETURN(auto p, c.Prepare("SELECT tenant_id, id FROM mass_sends WHERE status = 'sent' AND "
                                                "dispatched_at > ? AND (polled_at IS NULL OR polled_at < ?) AND "
                                                "EXISTS (SELECT 1 FROM mass_send_targets t WHERE t.mass_send_id = "
                                                "mass_sends.id AND t.status IN ('pending', 'unsent')) LIMIT 100"));
        p.Bind(1, now - int64_t{7 * 24 * 3600 * 1000}).Bind(2, poll_older_than);
        return p.ForEachRow([&] { poll.emplace_back(p.Int(0), p.Int(1)); });
    });
    if (!st.ok()) spdlog::warn("mass send tick: {}", st.ToString());
    for (const auto& [tenant, id] : due) {
        if (Status d = Dispatch(tenant, id); !d.ok()) spdlog::warn("mass send {} dispatch: {}", id, d.ToString());
    }
    for (const auto& [tenant, id] : poll) {
        if (auto r = Refresh(tenant, id); !r.ok()) spdlog::warn("mass send {} results: {}", id, r.status().ToString());
    }
}

}  // namespace siyu::scrm
