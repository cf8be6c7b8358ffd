#include "scrm/transfers.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "base/strings.h"

namespace siyu::scrm {

namespace {

constexpr const char* kHandler = "transfer_fail";

constexpr const char* kTransferColumns =
    "SELECT id, kind, handover_userid, takeover_userid, coalesce(transfer_msg, ''), include_groups, status, "
    "created_at, updated_at, polled_at, created_by FROM wecom_transfers ";

Transfer ReadTransfer(store::Statement& s) {
    Transfer t;
    t.id = s.Int(0);
    t.kind = s.Text(1);
    t.handover_userid = s.Text(2);
    t.takeover_userid = s.Text(3);
    t.transfer_msg = s.Text(4);
    t.include_groups = s.Int(5) != 0;
    t.status = s.Text(6);
    t.created_at = s.Int(7);
    t.updated_at = s.Int(8);
    t.polled_at = s.OptInt(9);
    t.created_by = s.Text(10);
    return t;
}

Result<std::optional<Transfer>> LoadTransfer(store::Connection& c, int64_t tenant_id, int64_t id, bool details) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kTransferColumns) + "WHERE tenant_id = ? AND id = ?"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<Transfer>();
    Transfer t = ReadTransfer(stmt);
    if (details) {
        SIYU_ASSIGN_OR_RETURN(auto cs, c.Prepare("SELECT external_userid, customer_id, status, errcode, errmsg, "
                                                 "takeover_time, submissions FROM wecom_transfer_customers WHERE "
                                                 "transfer_id = ? ORDER BY external_userid"));
        cs.Bind(1, id);
        SIYU_RETURN_IF_ERROR(cs.ForEachRow([&] {
            TransferCustomer tc;
            tc.external_userid = cs.Text(0);
            tc.customer_id = cs.OptInt(1);
            tc.status = cs.Text(2);
            tc.errcode = cs.OptInt(3);
            tc.errmsg = cs.OptText(4).value_or("");
            tc.takeover_time = cs.OptInt(5);
            tc.submissions = cs.Int(6);
            t.customers.push_back(std::move(tc));
        }));
        SIYU_ASSIGN_OR_RETURN(auto gs, c.Prepare("SELECT chat_id, status, errcode, errmsg FROM wecom_transfer_groups "
                                                 "WHERE transfer_id = ? ORDER BY chat_id"));
        gs.Bind(1, id);
        SIYU_RETURN_IF_ERROR(gs.ForEachRow([&] {
            t.groups.push_back(TransferGroup{gs.Text(0), gs.Text(1), gs.OptInt(2), gs.OptText(3).value_or("")});
        }));
    }
    return std::optional<Transfer>(std::move(t));
}

std::string ErrmsgOf(const Status& st) {
    const std::string& m = st.message();
    size_t colon = m.find(": ");
    return colon == std::string::npos ? m : m.substr(colon + 2);
}

}  // namespace

std::string TransferStatusOf(int64_t wecom_status) {
    switch (wecom_status) {
        case 1:
            return "accepted";
        case 2:
            return "waiting";
        case 3:
            return "refused";
        case 4:
            return "limit";
        default:
            return "";
    }
}

bool TransferRetryable(const std::string& status) { return status == "limit" || status == "failed"; }

Status Transfers::Enqueue(store::Connection& c, int64_t tenant_id, int64_t transfer_id, const std::string& op,
                          const std::vector<std::string>& items, const std::string& round) {
    for (size_t i = 0; i < items.size(); i += kTransferChunk) {
        std::vector<std::string> chunk(
            items.begin() + static_cast<std::ptrdiff_t>(i),
            items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), i + kTransferChunk)));
        Json payload = {{"transfer_id", transfer_id}, {"op", op}, {"items", chunk}};
        std::string key = "transfer-" + std::to_string(transfer_id) + "-" + op + "-" + round + "-" +
                          std::to_string(i / kTransferChunk);
        SIYU_RETURN_IF_ERROR(enqueue_(c, tenant_id, kTransferOutboxKind, payload, key).status());
    }
    return Status::Ok();
}

Result<Transfer> Transfers::Create(int64_t tenant_id, const TransferInput& in, const auth::Actor& actor) {
    if (in.kind != "on_job" && in.kind != "resigned") {
        return Status::InvalidArgument("kind", "must be on_job or resigned");
    }
    if (Trim(in.handover_userid).empty()) return Status::InvalidArgument("handover_userid", "is required");
    if (Trim(in.takeover_userid).empty()) return Status::InvalidArgument("takeover_userid", "is required");
    if (in.handover_userid == in.takeover_userid) {
        return Status::InvalidArgument("takeover_userid", "must differ from handover_userid");
    }
    if (in.all_customers && !in.external_userids.empty()) {
        return Status::InvalidArgument("external_userids", "give either external_userids or all_customers");
    }
    if (in.external_userids.size() > 10'000) {
        return Status::InvalidArgument("external_userids", "at most 10,000 customers per transfer");
    }
    if (Utf8Length(in.transfer_msg) > 200) return Status::InvalidArgument("transfer_msg", "at most 200 characters");
    if (in.kind == "resigned" && !in.transfer_msg.empty()) {
        return Status::InvalidArgument("transfer_msg", "is only sent for on_job transfers");
    }
    int64_t id = 0;
    TimeMs now = NowMs();
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto handover, StaffIdOf(c, tenant_id, in.handover_userid));
        SIYU_ASSIGN_OR_RETURN(auto takeover, StaffIdOf(c, tenant_id, in.takeover_userid));
        if (!takeover) return Status::InvalidArgument("takeover_userid", "no staff member with this userid");
        if (!handover) return Status::InvalidArgument("handover_userid", "no staff member with this userid");
        std::vector<std::pair<std::string, std::optional<int64_t>>> customers;
        std::set<std::string> seen;
        if (in.all_customers) {
            SIYU_ASSIGN_OR_RETURN(auto q,
                                  c.Prepare("SELECT external_userid, customer_id FROM customer_owners WHERE "
                                            "tenant_id = ? AND staff_id = ? AND status = 'active' ORDER BY id"));
            q.Bind(1, tenant_id).Bind(2, *handover);
            SIYU_RETURN_IF_ERROR(q.ForEachRow([&] {
                if (seen.insert(q.Text(0)).second) customers.emplace_back(q.Text(0), q.Int(1));
            }));
        } else {
            for (size_t i = 0; i < in.external_userids.size(); ++i) {
                const std::string& e = in.external_userids[i];
                if (Trim(e).empty()) {
                    return Status::InvalidArgument("external_userids[" + std::to_string(i) + "]", "is empty");
                }
                if (!seen.insert(e).second) continue;
                SIYU_ASSIGN_OR_RETURN(auto customer, CustomerByIdentifier(c, tenant_id, "wecom_external_userid", e));
                customers.emplace_back(e, customer);
            }
        }
        std::vector<std::string> chats = in.chat_ids;
        // Only groups the handover staff member owns: a caller scoped to some stores must not
        // move another store's groups by naming them.
        for (size_t i = 0; i < chats.size(); ++i) {
            SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT 1 FROM wecom_groups WHERE tenant_id = ? AND chat_id = ? "
                                                    "AND owner_userid = ? AND status = 'active'"));
            q.Bind(1, tenant_id).Bind(2, chats[i]).Bind(3, in.handover_userid);
            SIYU_ASSIGN_OR_RETURN(bool owned, q.Step());
            if (!owned) {
                return Status::InvalidArgument("chat_ids[" + std::to_string(i) + "]",
                                               "no active group " + chats[i] + " owned by " + in.handover_userid);
            }
        }
        if (in.include_groups && chats.empty()) {
            SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT chat_id FROM wecom_groups WHERE tenant_id = ? AND "
                                                    "owner_userid = ? AND status = 'active' ORDER BY id"));
            q.Bind(1, tenant_id).Bind(2, in.handover_userid);
            SIYU_RETURN_IF_ERROR(q.ForEachRow([&] { chats.push_back(q.Text(0)); }));
        }
        if (customers.empty() && chats.empty()) {
            return Status::InvalidArgument("external_userids", "nothing to transfer: no customers and no groups");
        }
        SIYU_ASSIGN_OR_RETURN(auto ins,
                              c.Prepare("INSERT INTO wecom_transfers(tenant_id, kind, handover_userid, "
                                        "takeover_userid, transfer_msg, include_groups, status, created_at, "
                                        "created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)"));
        ins.Bind(1, tenant_id).Bind(2, in.kind).Bind(3, in.handover_userid).Bind(4, in.takeover_userid);
        ins.Bind(5, in.transfer_msg).Bind(6, int64_t{chats.empty() ? 0 : 1}).Bind(7, now).Bind(8, actor.name);
        ins.Bind(9, now);
        SIYU_RETURN_IF_ERROR(ins.Run());
        id = c.LastInsertId();
        SIYU_ASSIGN_OR_RETURN(auto ci, c.Prepare("INSERT INTO wecom_transfer_customers(transfer_id, tenant_id, "
                                                 "external_userid, customer_id, status, submissions, updated_at) "
                                                 "VALUES (?, ?, ?, ?, 'submitting', 1, ?)"));
        std::vector<std::string> items;
        for (const auto& [e, customer] : customers) {
            ci.Reset();
            SIYU_RETURN_IF_ERROR(ci.Bind(1, id).Bind(2, tenant_id).Bind(3, e).Bind(4, customer).Bind(5, now).Run());
            items.push_back(e);
        }
        SIYU_ASSIGN_OR_RETURN(auto gi, c.Prepare("INSERT OR IGNORE INTO wecom_transfer_groups(transfer_id, chat_id, "
                                                 "status, updated_at) VALUES (?, ?, 'submitting', ?)"));
        for (const auto& chat : chats) {
            gi.Reset();
            SIYU_RETURN_IF_ERROR(gi.Bind(1, id).Bind(2, chat).Bind(3, now).Run());
        }
        SIYU_RETURN_IF_ERROR(Enqueue(c, tenant_id, id, "customers", items, "1"));
        SIYU_RETURN_IF_ERROR(Enqueue(c, tenant_id, id, "groups", chats, "1"));
        return auth::AppendAudit(c, tenant_id, actor, "wecom.transfer.create", "wecom_transfer", std::to_string(id),
                                 Json{{"kind", in.kind},
                                      {"handover_userid", in.handover_userid},
                                      {"takeover_userid", in.takeover_userid},
                                      {"customers", items.size()},
                                      {"groups", chats.size()}}
                                     .dump());
    }));
    if (wake_) wake_();
    return Get(tenant_id, id);
}

Result<Transfer> Transfers::Get(int64_t tenant_id, int64_t id) {
    std::optional<Transfer> t;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(t, LoadTransfer(c, tenant_id, id, true));
        return Status::Ok();
    }));
    if (!t) return Status::NotFound("no transfer " + std::to_string(id));
    return std::move(*t);
}

Result<std::vector<Transfer>> Transfers::List(int64_t tenant_id, int limit, std::optional<int64_t> before) {
    std::vector<Transfer> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kTransferColumns) +
                                                   "WHERE tenant_id = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC "
                                                   "LIMIT ?3"));
        stmt.Bind(1, tenant_id).Bind(2, before).Bind(3, static_cast<int64_t>(limit));
        std::vector<int64_t> ids;
        SIYU_RETURN_IF_ERROR(stmt.ForEachRow([&] { ids.push_back(stmt.Int(0)); }));
        for (int64_t id : ids) {
            SIYU_ASSIGN_OR_RETURN(auto t, LoadTransfer(c, tenant_id, id, true));
            if (t) out.push_back(std::move(*t));
        }
        return Status::Ok();
    }));
    return out;
}

Status Transfers::UpdateFinished(store::Connection& c, int64_t transfer_id) {
    SIYU_ASSIGN_OR_RETURN(auto up,
                          c.Prepare("UPDATE wecom_transfers SET status = CASE WHEN EXISTS (SELECT 1 FROM "
                                    "wecom_transfer_customers WHERE transfer_id = ?1 AND status IN ('submitting', "
                                    "'waiting')) OR EXISTS (SELECT 1 FROM wecom_transfer_groups WHERE transfer_id = "
                                    "?1 AND status = 'submitting') THEN 'running' ELSE 'finished' END, updated_at = "
                                    "?2 WHERE id = ?1"));
    return up.Bind(1, transfer_id).Bind(2, NowMs()).Run();
}

Status Transfers::ApplyResult(store::Connection& c, int64_t tenant_id, const Transfer& t,
                              const std::string& external_userid, const std::string& status,
                              std::optional<TimeMs> takeover_time) {
    SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE wecom_transfer_customers SET status = ?, takeover_time = "
                                             "coalesce(?, takeover_time), updated_at = ? WHERE transfer_id = ? AND "
                                             "external_userid = ? AND status IN ('submitting', 'waiting')"));
    TimeMs now = NowMs();
    up.Bind(1, status).Bind(2, takeover_time).Bind(3, now).Bind(4, t.id).Bind(5, external_userid);
    SIYU_RETURN_IF_ERROR(up.Run());
    if (c.Changes() == 0 || status != "accepted") return Status::Ok();
    // Ownership follows: the old relationship ends as transferred, the takeover staff member owns.
    SIYU_ASSIGN_OR_RETURN(auto handover, StaffIdOf(c, tenant_id, t.handover_userid));
    SIYU_ASSIGN_OR_RETURN(auto takeover, StaffIdOf(c, tenant_id, t.takeover_userid));
    std::optional<int64_t> customer_id;
    if (handover) {
        SIYU_ASSIGN_OR_RETURN(auto q, c.Prepare("SELECT customer_id FROM customer_owners WHERE tenant_id = ? AND "
                                                "staff_id = ? AND external_userid = ?"));
        q.Bind(1, tenant_id).Bind(2, *handover).Bind(3, external_userid);
        SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (row) customer_id = q.Int(0);
        SIYU_ASSIGN_OR_RETURN(auto end, c.Prepare("UPDATE customer_owners SET status = 'transferred', ended_at = ? "
                                                  "WHERE tenant_id = ? AND staff_id = ? AND external_userid = ? AND "
                                                  "status = 'active'"));
        SIYU_RETURN_IF_ERROR(end.Bind(1, takeover_time.value_or(now))
                                 .Bind(2, tenant_id)
                                 .Bind(3, *handover)
                                 .Bind(4, external_userid)
                                 .Run());
    }
    if (!customer_id) {
        SIYU_ASSIGN_OR_RETURN(customer_id,
                              CustomerByIdentifier(c, tenant_id, "wecom_external_userid", external_userid));
    }
    if (!takeover || !customer_id) return Status::Ok();
    SIYU_ASSIGN_OR_RETURN(auto own, c.Prepare("INSERT INTO customer_owners(tenant_id, customer_id, staff_id, "
                                              "external_userid, added_at, status) VALUES (?, ?, ?, ?, ?, 'active') ON "
                                              "CONFLICT(tenant_id, staff_id, external_userid) DO UPDATE SET status = "
                                              "'active', ended_at = NULL"));
    return own.Bind(1, tenant_id)
        .Bind(2, *customer_id)
        .Bind(3, *takeover)
        .Bind(4, external_userid)
        .Bind(5, takeover_time.value_or(now))
        .Run();
}

channels::Delivery Transfers::Deliver(const channels::OutboxMessage& m) {
    int64_t tenant_id = m.tenant_id;
    int64_t transfer_id = JsonInt(m.payload, "transfer_id");
    std::string op = JsonString(m.payload, "op");
    std::optional<Transfer> t;
    std::vector<std::string> items;
    Status st = db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(t, LoadTransfer(c, tenant_id, transfer_id, false));
        if (!t) return Status::Ok();
        // Only what still waits for submission (a redelivery skips what was answered).
        SIYU_ASSIGN_OR_RETURN(
            auto q, c.Prepare(op == "groups" ? "SELECT 1 FROM wecom_transfer_groups WHERE transfer_id = ? AND "
                                               "chat_id = ? AND status = 'submitting'"
                                             : "SELECT 1 FROM wecom_transfer_customers WHERE transfer_id = ? AND "
                                               "external_userid = ? AND status = 'submitting'"));
        if (auto it = m.payload.find("items"); it != m.payload.end() && it->is_array()) {
            for (const Json& v : *it) {
                if (!v.is_string()) continue;
                q.Reset();
                q.Bind(1, transfer_id).Bind(2, v.get<std::string>());
                SIYU_ASSIGN_OR_RETURN(bool row, q.Step());
                if (row) items.push_back(v.get<std::string>());
            }
        }
        return Status::Ok();
    });
    if (!st.ok()) return channels::Delivery::Retry(st.message());
    if (!t) return channels::Delivery::Fail("no transfer " + std::to_string(transfer_id));
    if (items.empty()) return channels::Delivery::Done(Json{{"skipped", "nothing left to submit"}});

    std::string path;
    Json body;
    if (op == "groups") {
        // Groups of staff who have left go through groupchat/transfer; those of staff still
        // employed through groupchat/onjob_transfer.
        path = t->kind == "resigned" ? "/cgi-bin/externalcontact/groupchat/transfer"
                                     : "/cgi-bin/externalcontact/groupchat/onjob_transfer";
        body = {{"chat_id_list", items}, {"new_owner", t->takeover_userid}};
    } else {
        path = t->kind == "resigned" ? "/cgi-bin/externalcontact/resigned/transfer_customer"
                                     : "/cgi-bin/externalcontact/transfer_customer";
        body = {{"handover_userid", t->handover_userid},
                {"takeover_userid", t->takeover_userid},
                {"external_userid", items}};
        if (t->kind == "on_job" && !t->transfer_msg.empty()) body["transfer_success_msg"] = t->transfer_msg;
    }
    auto answer = wecom_(tenant_id, path, body);
    if (!answer.ok() && IsTransient(answer.status())) return channels::Delivery::Retry(answer.status().message());

    TimeMs now = NowMs();
    Json recorded = Json::object();
    st = db_->Write([&](store::Connection& c) -> Status {
        if (op == "groups") {
            std::map<std::string, std::pair<int64_t, std::string>> failed;
            if (!answer.ok()) {
                for (const auto& chat : items) failed[chat] = {ErrcodeOf(answer.status()), ErrmsgOf(answer.status())};
            } else if (auto fl = answer->find("failed_chat_list"); fl != answer->end() && fl->is_array()) {
                for (const Json& f : *fl) {
                    if (JsonInt(f, "errcode") != 0)
                        failed[JsonString(f, "chat_id")] = {JsonInt(f, "errcode"), JsonString(f, "errmsg")};
                }
            }
            SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE wecom_transfer_groups SET status = ?, errcode = ?, errmsg "
                                                     "= ?, updated_at = ? WHERE transfer_id = ? AND chat_id = ?"));
            SIYU_ASSIGN_OR_RETURN(auto owner, c.Prepare("UPDATE wecom_groups SET owner_userid = ?, owner_staff_id = "
                                                        "(SELECT id FROM staff WHERE tenant_id = ? AND userid = ?), "
                                                        "updated_at = ? WHERE tenant_id = ? AND chat_id = ?"));
            for (const auto& chat : items) {
                auto f = failed.find(chat);
                up.Reset();
                up.Bind(1, f == failed.end() ? "done" : "failed");
                if (f == failed.end()) {
                    up.BindNull(2).BindNull(3);
                } else {
                    up.Bind(2, f->second.first).Bind(3, f->second.second);
                }
                SIYU_RETURN_IF_ERROR(up.Bind(4, now).Bind(5, transfer_id).Bind(6, chat).Run());
                if (f != failed.end()) continue;
                owner.Reset();
                owner.Bind(1, t->takeover_userid).Bind(2, tenant_id).Bind(3, t->takeover_userid).Bind(4, now);
                SIYU_RETURN_IF_ERROR(owner.Bind(5, tenant_id).Bind(6, chat).Run());
            }
            recorded["failed"] = failed.size();
        } else {
            std::map<std::string, int64_t> codes;
            if (answer.ok()) {
                if (auto list = answer->find("customer"); list != answer->end() && list->is_array()) {
                    for (const Json& e : *list) codes[JsonString(e, "external_userid")] = JsonInt(e, "errcode");
                }
            }
            SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE wecom_transfer_customers SET status = ?, errcode = ?, "
                                                     "errmsg = ?, updated_at = ? WHERE transfer_id = ? AND "
                                                     "external_userid = ? AND status = 'submitting'"));
            int64_t waiting = 0, failed = 0;
            for (const auto& e : items) {
                int64_t code = answer.ok() ? (codes.count(e) ? codes[e] : 0) : ErrcodeOf(answer.status());
                std::string msg =
                    answer.ok() ? (code == 0 ? "" : "refused by WeCom at submission") : ErrmsgOf(answer.status());
                up.Reset();
                up.Bind(1, code == 0 && answer.ok() ? "waiting" : "failed");
                if (code == 0 && answer.ok()) {
                    up.BindNull(2).BindNull(3);
                    ++waiting;
                } else {
                    up.Bind(2, code).Bind(3, msg);
                    ++failed;
                }
                SIYU_RETURN_IF_ERROR(up.Bind(4, now).Bind(5, transfer_id).Bind(6, e).Run());
            }
            recorded["waiting"] = waiting;
            recorded["failed"] = failed;
        }
        return UpdateFinished(c, transfer_id);
    });
    if (!st.ok()) return channels::Delivery::Retry(st.message());
    if (!answer.ok()) return channels::Delivery::Fail(answer.status().message());
    return channels::Delivery::Done(recorded);
}

Result<Transfer> Transfers::Refresh(int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(Transfer t, Get(tenant_id, id));
    std::set<std::string> waiting;
    for (const auto& c : t.customers) {
        if (c.status == "waiting") waiting.insert(c.external_userid);
    }
    if (!waiting.empty()) {
        std::string path = t.kind == "resigned" ? "/cgi-bin/externalcontact/resigned/transfer_result"
                                                : "/cgi-bin/externalcontact/transfer_result";
        // One answer per customer: WeCom may list a customer once per attempt (an earlier
        // "limit" beside a later acceptance); an acceptance is final, otherwise the last one counts.
        std::map<std::string, std::pair<std::string, std::optional<TimeMs>>> results;
        std::string cursor;
        for (int page = 0; page < 1000; ++page) {
            Json body = {{"handover_userid", t.handover_userid}, {"takeover_userid", t.takeover_userid}};
            if (!cursor.empty()) body["cursor"] = cursor;
            SIYU_ASSIGN_OR_RETURN(Json r, wecom_(tenant_id, path, body));
            if (auto list = r.find("customer"); list != r.end() && list->is_array()) {
                for (const Json& e : *list) {
                    std::string ext = JsonString(e, "external_userid");
                    std::string status = TransferStatusOf(JsonInt(e, "status"));
                    if (!waiting.count(ext) || status.empty() || status == "waiting") continue;
                    std::optional<TimeMs> when;
                    if (int64_t s = JsonInt(e, "takeover_time"); s > 0) when = s * 1000;
                    auto& slot = results[ext];
                    if (slot.first != "accepted") slot = {status, when};
                }
            }
            cursor = JsonString(r, "next_cursor");
            if (cursor.empty()) break;
        }
        SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
            for (const auto& [ext, answer] : results) {
                SIYU_RETURN_IF_ERROR(ApplyResult(c, tenant_id, t, ext, answer.first, answer.second));
            }
            SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE wecom_transfers SET polled_at = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(up.Bind(1, NowMs()).Bind(2, id).Run());
            return UpdateFinished(c, id);
        }));
    }
    return Get(tenant_id, id);
}

Result<Transfer> Transfers::Retry(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    SIYU_ASSIGN_OR_RETURN(Transfer t, Get(tenant_id, id));
    std::vector<std::string> customers, groups;
    int round = 1;
    for (const auto& c : t.customers) {
        if (!TransferRetryable(c.status)) continue;
        customers.push_back(c.external_userid);
        round = std::max<int>(round, static_cast<int>(c.submissions) + 1);
    }
    for (const auto& g : t.groups) {
        if (g.status == "failed") groups.push_back(g.chat_id);
    }
    if (customers.empty() && groups.empty()) {
        return Status::FailedPrecondition(
            "nothing to retry: only customers whose takeover staff member was at the limit, failed submissions and "
            "failed groups are submitted again; a customer who refused is not");
    }
    SIYU_RETURN_IF_ERROR(db_->Write([&](store::Connection& c) -> Status {
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE wecom_transfer_customers SET status = 'submitting', errcode = "
                                                 "NULL, errmsg = NULL, submissions = submissions + 1, updated_at = ? "
                                                 "WHERE transfer_id = ? AND external_userid = ?"));
        for (const auto& e : customers) {
            up.Reset();
            SIYU_RETURN_IF_ERROR(up.Bind(1, now).Bind(2, id).Bind(3, e).Run());
        }
        SIYU_ASSIGN_OR_RETURN(auto ug,
                              c.Prepare("UPDATE wecom_transfer_groups SET status = 'submitting', errcode = "
                                        "NULL, errmsg = NULL, updated_at = ? WHERE transfer_id = ? AND chat_id = ?"));
        for (const auto& g : groups) {
            ug.Reset();
            SIYU_RETURN_IF_ERROR(ug.Bind(1, now).Bind(2, id).Bind(3, g).Run());
        }
        SIYU_ASSIGN_OR_RETURN(auto st,
                              c.Prepare("UPDATE wecom_transfers SET status = 'running', updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(st.Bind(1, now).Bind(2, id).Run());
        // Each retry is its own round, so its outbox messages are new.
        std::string round_key = "retry" + std::to_string(now) + "-" + std::to_string(round);
        SIYU_RETURN_IF_ERROR(Enqueue(c, tenant_id, id, "customers", customers, round_key));
        SIYU_RETURN_IF_ERROR(Enqueue(c, tenant_id, id, "groups", groups, round_key));
        return auth::AppendAudit(c, tenant_id, actor, "wecom.transfer.retry", "wecom_transfer", std::to_string(id),
                                 Json{{"customers", customers.size()}, {"groups", groups.size()}}.dump());
    }));
    if (wake_) wake_();
    return Get(tenant_id, id);
}

Status Transfers::OnTransferFail(const channels::wecom::InboxEvent& event) {
    auto field = [&](const char* name) {
        auto it = event.fields.find(name);
        return it == event.fields.end() ? std::string() : it->second;
    };
    std::string takeover = field("UserID");
    std::string external = field("ExternalUserID");
    std::string reason = field("FailReason");
    std::string status = reason == "customer_refused"        ? "refused"
                         : reason == "customer_limit_exceed" ? "limit"
                                                             : "failed";
    return db_->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(bool fresh, MarkInboxApplied(c, event.tenant_id, event.id, kHandler));
        if (!fresh) return Status::Ok();
        SIYU_ASSIGN_OR_RETURN(auto q,
                              c.Prepare("SELECT t.id FROM wecom_transfers t JOIN wecom_transfer_customers tc ON "
                                        "tc.transfer_id = t.id WHERE t.tenant_id = ? AND tc.external_userid = "
                                        "? AND (? = '' OR t.takeover_userid = ?) AND tc.status IN "
                                        "('submitting', 'waiting') ORDER BY t.id DESC"));
        q.Bind(1, event.tenant_id).Bind(2, external).Bind(3, takeover).Bind(4, takeover);
        std::vector<int64_t> ids;
        SIYU_RETURN_IF_ERROR(q.ForEachRow([&] { ids.push_back(q.Int(0)); }));
        SIYU_ASSIGN_OR_RETURN(auto up, c.Prepare("UPDATE wecom_transfer_customers SET status = ?, errmsg = ?, "
                                                 "updated_at = ? WHERE transfer_id = ? AND external_userid = ?"));
        for (int64_t id : ids) {
            up.Reset();
            SIYU_RETURN_IF_ERROR(
                up.Bind(1, status).Bind(2, reason).Bind(3, NowMs()).Bind(4, id).Bind(5, external).Run());
            SIYU_RETURN_IF_ERROR(UpdateFinished(c, id));
        }
        return Status::Ok();
    });
}

void Transfers::Start(int interval_ms) {
    ticker_.Start(interval_ms, [this, interval_ms] { PollDue(NowMs() - interval_ms); });
}

void Transfers::PollDue(TimeMs older_than) {
    std::vector<std::pair<int64_t, int64_t>> due;
    Status st = db_->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q,
                              c.Prepare("SELECT tenant_id, id FROM wecom_transfers WHERE status = 'running' AND "
                                        "(polled_at IS NULL OR polled_at < ?) AND EXISTS (SELECT 1 FROM "
                                        "wecom_transfer_customers tc WHERE tc.transfer_id = wecom_transfers.id "
                                        "AND tc.status = 'waiting') LIMIT 100"));
        q.Bind(1, older_than);
        return q.ForEachRow([&] { due.emplace_back(q.Int(0), q.Int(1)); });
    });
    if (!st.ok()) spdlog::warn("transfer poll: {}", st.ToString());
    for (const auto& [tenant, id] : due) {
        auto r = Refresh(tenant, id);
        if (!r.ok()) spdlog::warn("transfer {} poll: {}", id, r.status().ToString());
    }
}

}  // namespace siyu::scrm
