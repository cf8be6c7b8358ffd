#include "api/routes.h"
#include "base/crypto.h"
#include "base/phone.h"
#include "base/strings.h"
#include "cdp/merge_set.h"
#include "loyalty/earning_rules.h"
#include "loyalty/members.h"
#include "loyalty/points.h"
#include "loyalty/tiers.h"
#include "loyalty/verify.h"

namespace siyu::api {

loyalty::Request LoyaltyRequest(Ctx& c) {
    loyalty::Request r;
    r.tenant_id = c.tenant();
    if (const std::string* key = c.req.Header("idempotency-key")) r.idempotency_key = std::string(Trim(*key));
    r.fingerprint = c.req.method + " " + c.req.path + "\n" + c.req.body;
    r.actor = c.actor;
    return r;
}

http::Response OutcomeResponse(const loyalty::Outcome& outcome) {
    http::Response resp = JsonResponse(outcome.status, outcome.body);
    if (outcome.replayed) resp.SetHeader("Idempotent-Replayed", "true");
    return resp;
}

Status CheckVisible(Ctx& c, int64_t customer_id) {
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    return c.svc.customers.Get(c.tenant(), customer_id, vis).status();
}

Result<int64_t> VisibleCustomer(Ctx& c, const char* param) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req, param));
    SIYU_RETURN_IF_ERROR(CheckVisible(c, id));
    return id;
}

namespace {

constexpr int64_t kMaxAmount = 100'000'000'000;  // ¥1,000,000,000 in fen

Result<int64_t> ReqInt(const Json& o, const char* field) {
    SIYU_ASSIGN_OR_RETURN(auto v, OptInt(o, field));
    if (!v) return Status::InvalidArgument(field, "is required");
    return *v;
}

Result<int64_t> ReqAmount(const Json& o, const char* field) {
    SIYU_ASSIGN_OR_RETURN(int64_t v, ReqInt(o, field));
    if (v <= 0 || v > kMaxAmount) return Status::InvalidArgument(field, "must be a positive amount in fen (分)");
    return v;
}

// --- settings ---------------------------------------------------------------------------------

Result<http::Response> GetSettings(Ctx& c) {
    loyalty::LoyaltySettings s;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(s, loyalty::LoadSettings(conn, c.tenant()));
        return Status::Ok();
    }));
    return JsonResponse(200, loyalty::SettingsToJson(s));
}

Result<http::Response> PutSettings(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    loyalty::LoyaltySettings s;
    SIYU_RETURN_IF_ERROR(c.svc.loyalty->exec().Write(c.tenant(), [&](loyalty::Tx& tx) -> Status {
        SIYU_ASSIGN_OR_RETURN(const loyalty::LoyaltySettings* current, tx.Settings());
        s = *current;
        SIYU_RETURN_IF_ERROR(loyalty::ApplySettingsPatch(body, &s));
        SIYU_RETURN_IF_ERROR(tx.SaveSettings(s));
        return tx.Audit(c.actor, "loyalty.settings.update", "tenant", std::to_string(c.tenant()), body);
    }));
    return JsonResponse(200, loyalty::SettingsToJson(s));
}

// --- tiers ------------------------------------------------------------------------------------

Result<http::Response> ListTiers(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto tiers, c.svc.loyalty->tiers().List(c.tenant()));
    Json data = Json::array();
    for (const auto& t : tiers) data.push_back(loyalty::TierJson(t));
    return JsonResponse(200, Json{{"data", data}});
}

Result<http::Response> CreateTier(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto in, loyalty::ParseTierInput(body));
    SIYU_ASSIGN_OR_RETURN(auto t, c.svc.loyalty->tiers().Create(c.tenant(), in, c.actor));
    return JsonResponse(201, loyalty::TierJson(t));
}

Result<http::Response> UpdateTier(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto in, loyalty::ParseTierInput(body));
    SIYU_ASSIGN_OR_RETURN(auto t, c.svc.loyalty->tiers().Update(c.tenant(), id, in, c.actor));
    return JsonResponse(200, loyalty::TierJson(t));
}

Result<http::Response> DeleteTier(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_RETURN_IF_ERROR(c.svc.loyalty->tiers().Delete(c.tenant(), id, c.actor));
    return http::Response::NoContent();
}

// --- earning rules ----------------------------------------------------------------------------

Result<http::Response> ListRules(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto rules, c.svc.loyalty->rules().List(c.tenant()));
    Json data = Json::array();
    for (const auto& r : rules) data.push_back(loyalty::RuleJson(r));
    return JsonResponse(200, Json{{"data", data}});
}

Result<http::Response> CreateRule(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto r, c.svc.loyalty->rules().Create(c.tenant(), body, c.actor));
    return JsonResponse(201, loyalty::RuleJson(r));
}

Result<http::Response> UpdateRule(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto r, c.svc.loyalty->rules().Update(c.tenant(), id, body, c.actor));
    return JsonResponse(200, loyalty::RuleJson(r));
}

Result<http::Response> DeleteRule(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
    SIYU_RETURN_IF_ERROR(c.svc.loyalty->rules().Delete(c.tenant(), id, c.actor));
    return http::Response::NoContent();
}

// --- members ----------------------------------------------------------------------------------

Result<http::Response> RegisterMember(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(
        RejectUnknown(body, {"customer_id", "channel", "store_id", "referrer_id", "registered_at", "member_no"}));
    loyalty::RegisterInput in;
    SIYU_ASSIGN_OR_RETURN(in.customer_id, ReqInt(body, "customer_id"));
    if (in.customer_id <= 0) return Status::InvalidArgument("customer_id", "must be a positive id");
    SIYU_RETURN_IF_ERROR(CheckVisible(c, in.customer_id));
    SIYU_ASSIGN_OR_RETURN(auto channel, OptString(body, "channel"));
    in.channel = channel.value_or("api");
    SIYU_ASSIGN_OR_RETURN(in.store_id, OptInt(body, "store_id"));
    if (!in.store_id && c.principal.store_ids.size() == 1) in.store_id = c.principal.store_ids.front();
    SIYU_ASSIGN_OR_RETURN(in.referrer_id, OptInt(body, "referrer_id"));
    SIYU_ASSIGN_OR_RETURN(in.member_no, OptString(body, "member_no"));
    SIYU_ASSIGN_OR_RETURN(auto at, OptString(body, "registered_at"));
    if (at) {
        auto ms = ParseRfc3339(*at);
        if (!ms) return Status::InvalidArgument("registered_at", "must be an RFC 3339 time");
        in.registered_at = *ms;
    }
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->members().Register(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> MemberCard(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json card, c.svc.loyalty->members().Card(c.tenant(), id));
    return JsonResponse(200, card);
}

// Finds a member by phone or member number (the store counter's lookup).
Result<http::Response> LookupMember(Ctx& c) {
    auto phone = c.req.Query("phone");
    auto member_no = c.req.Query("member_no");
    if (!phone && !member_no) return Status::InvalidArgument("phone", "give phone or member_no");
    std::string type = phone ? "phone" : "member_no";
    std::string value;
    if (phone) {
        auto normal = NormalizePhone(*phone);
        if (!normal.ok()) return Status::InvalidArgument("phone", normal.status().message());
        value = *normal;
    } else {
        value = std::string(Trim(*member_no));
    }
    std::optional<int64_t> customer;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(customer, cdp::IdentifierSurvivor(conn, c.tenant(), type, value));
        return Status::Ok();
    }));
    if (!customer) return Status::NotFound("no customer with this " + type);
    SIYU_RETURN_IF_ERROR(CheckVisible(c, *customer));
    SIYU_ASSIGN_OR_RETURN(Json card, c.svc.loyalty->members().Card(c.tenant(), *customer));
    return JsonResponse(200, card);
}

Result<http::Response> ListMembers(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    SIYU_ASSIGN_OR_RETURN(auto vis, c.Visibility());
    std::optional<int64_t> tier;
    if (auto t = c.req.Query("tier_id")) {
        int64_t v = 0;
        if (!ParseInt64(*t, &v) || v <= 0) return Status::InvalidArgument("tier_id", "must be a positive id");
        tier = v;
    }
    std::optional<std::string> stores;
    if (vis.store_ids) stores = Json(*vis.store_ids).dump();
    bool pii = c.Can("pii");
    Json data = Json::array();
    std::optional<int64_t> last;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              conn.Prepare("SELECT m.customer_id, m.member_no, m.channel, m.store_id, "
                                           "m.registered_at, m.tier_id, t.name, m.points, m.sv_principal + "
                                           "m.sv_bonus, x.name, x.phone FROM members m JOIN customers x ON "
                                           "x.id = m.customer_id LEFT JOIN tiers t ON t.id = m.tier_id WHERE "
                                           "m.tenant_id = ?1 AND (?2 IS NULL OR m.customer_id < ?2) AND (?3 "
                                           "IS NULL OR m.tier_id = ?3) AND (?4 IS NULL OR x.store_id IN "
                                           "(SELECT value FROM json_each(?4))) ORDER BY m.customer_id DESC "
                                           "LIMIT ?5"));
        stmt.Bind(1, c.tenant())
            .Bind(2, page.cursor)
            .Bind(3, tier)
            .Bind(4, stores)
            .Bind(5, static_cast<int64_t>(page.limit));
        return stmt.ForEachRow([&] {
            std::optional<std::string> phone = stmt.OptText(10);
            if (phone && !pii) phone = MaskPhone(*phone);
            data.push_back(Json{{"customer_id", stmt.Int(0)},
                                {"member_no", stmt.Text(1)},
                                {"channel", stmt.Text(2)},
                                {"store_id", stmt.IsNull(3) ? Json(nullptr) : Json(stmt.Int(3))},
                                {"registered_at", FormatRfc3339(stmt.Int(4))},
                                {"tier_id", stmt.IsNull(5) ? Json(nullptr) : Json(stmt.Int(5))},
                                {"tier", stmt.IsNull(6) ? Json(nullptr) : Json(stmt.Text(6))},
                                {"points", stmt.Int(7)},
                                {"stored_value", stmt.Int(8)},
                                {"name", stmt.IsNull(9) ? Json(nullptr) : Json(stmt.Text(9))},
                                {"phone", phone ? Json(*phone) : Json(nullptr)}});
            last = stmt.Int(0);
        });
    }));
    return JsonResponse(200, PageJson(std::move(data), static_cast<size_t>(page.limit), last));
}

// One-click binding (一键绑定): the member with this phone gains a WeChat / WeCom identity. A
// customer created by that identity before (a WeChat visit) is merged into the member.
Result<http::Response> BindMember(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"phone", "identifier_type", "identifier_value"}));
    SIYU_ASSIGN_OR_RETURN(std::string phone_in, ReqString(body, "phone"));
    auto phone = NormalizePhone(phone_in);
    if (!phone.ok()) return Status::InvalidArgument("phone", phone.status().message());
    SIYU_ASSIGN_OR_RETURN(std::string type, ReqString(body, "identifier_type"));
    SIYU_ASSIGN_OR_RETURN(std::string value, ReqString(body, "identifier_value"));
    static const std::vector<std::string> kTypes = {"wechat_unionid", "wechat_openid", "wecom_external_userid",
                                                    "miniprogram_openid", "user_id"};
    if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
        return Status::InvalidArgument("identifier_type",
                                       "must be one of wechat_unionid, wechat_openid, "
                                       "wecom_external_userid, miniprogram_openid, user_id");
    }
    if (value.empty() || value.size() > 128) return Status::InvalidArgument("identifier_value", "1 to 128 characters");
    // Who holds the phone and the identifier now.
    std::optional<int64_t> member, other;
    bool other_is_member = false;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(member, cdp::IdentifierSurvivor(conn, c.tenant(), "phone", *phone));
        SIYU_ASSIGN_OR_RETURN(other, cdp::IdentifierSurvivor(conn, c.tenant(), type, value));
        if (!member) return Status::Ok();
        loyalty::Tx tx(conn, c.tenant(), NowMs());
        auto m = tx.FindMember(*member);
        if (!m) {
            member.reset();
            return Status::Ok();
        }
        member = m->customer_id;
        if (other && *other != *member) other_is_member = tx.FindMember(*other).has_value();
        return Status::Ok();
    }));
    if (!member) return Status::NotFound("no member has phone " + MaskPhone(*phone));
    SIYU_RETURN_IF_ERROR(CheckVisible(c, *member));
    if (other && *other != *member && other_is_member) {
        return Status(StatusCode::kAlreadyExists, "this " + type + " belongs to another member", "identifier_value");
    }
    if (!other || *other != *member) {
        // The identity graph links (and merges) exactly as tracking does: an identify message
        // carrying both the member's phone and the identifier.
        cdp::TrackingMessage m;
        m.type = "identify";
        m.message_id = "bind-" + RandomToken(16);
        m.timestamp = NowMs();
        m.properties = "{}";
        m.context = R"({"library":{"name":"siyu"}})";
        m.identifiers.push_back(cdp::Identifier{"phone", *phone, 0});
        m.identifiers.push_back(cdp::Identifier{type, value, 0});
        SIYU_RETURN_IF_ERROR(c.svc.ingestor.Ingest(c.tenant(), {m}).status());
    }
    // Confirm the identifier now leads to the member.
    std::optional<int64_t> owner;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(owner, cdp::IdentifierSurvivor(conn, c.tenant(), type, value));
        return Status::Ok();
    }));
    SIYU_ASSIGN_OR_RETURN(Json card, c.svc.loyalty->members().Card(c.tenant(), *member));
    int64_t root = card["customer_id"].get<int64_t>();
    bool bound = false;
    if (owner) {
        SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
            loyalty::Tx tx(conn, c.tenant(), NowMs());
            auto m = tx.FindMember(*owner);
            bound = m && m->customer_id == root;
            return Status::Ok();
        }));
    }
    if (!bound) {
        return Status::FailedPrecondition("the identity settings kept this " + type +
                                          " on another customer (see identity conflicts)");
    }
    card["bound"] =
        Json{{"type", type}, {"merged_customer_id", other && *other != root ? Json(*other) : Json(nullptr)}};
    return JsonResponse(200, card);
}

Result<http::Response> TierHistory(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->tiers().History(c.tenant(), id));
    return JsonResponse(200, out);
}

Result<http::Response> AssignTier(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"tier_id", "reason"}));
    SIYU_ASSIGN_OR_RETURN(int64_t tier, ReqInt(body, "tier_id"));
    SIYU_ASSIGN_OR_RETURN(std::string reason, ReqString(body, "reason"));
    SIYU_ASSIGN_OR_RETURN(auto out,
                          c.svc.loyalty->tiers().Assign(LoyaltyRequest(c), id, tier, std::string(Trim(reason))));
    return OutcomeResponse(out);
}

// --- points -----------------------------------------------------------------------------------

Result<http::Response> PointsEntries(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
    SIYU_ASSIGN_OR_RETURN(Json data, c.svc.loyalty->points().Entries(c.tenant(), id, page.limit, page.cursor));
    std::optional<int64_t> last;
    if (!data.empty()) last = data.back()["id"].get<int64_t>();
    return JsonResponse(200, PageJson(std::move(data), static_cast<size_t>(page.limit), last));
}

Result<http::Response> PointsLots(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->points().Lots(c.tenant(), id));
    return JsonResponse(200, out);
}

Result<http::Response> EarnPoints(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"points", "reason", "source_type", "source_id"}));
    loyalty::EarnInput in;
    in.customer_id = id;
    SIYU_ASSIGN_OR_RETURN(in.points, ReqInt(body, "points"));
    SIYU_ASSIGN_OR_RETURN(in.reason, ReqString(body, "reason"));
    SIYU_ASSIGN_OR_RETURN(auto st, OptString(body, "source_type"));
    in.source_type = st.value_or("campaign");
    SIYU_ASSIGN_OR_RETURN(auto sid, OptString(body, "source_id"));
    in.source_id = sid.value_or("");
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->points().Earn(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> AdjustPoints(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"points", "reason"}));
    SIYU_ASSIGN_OR_RETURN(int64_t points, ReqInt(body, "points"));
    SIYU_ASSIGN_OR_RETURN(std::string reason, ReqString(body, "reason"));
    SIYU_ASSIGN_OR_RETURN(auto out,
                          c.svc.loyalty->points().Adjust(LoyaltyRequest(c), id, points, std::string(Trim(reason))));
    return OutcomeResponse(out);
}

Result<http::Response> TransferPoints(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"to_customer_id", "points", "reason"}));
    SIYU_ASSIGN_OR_RETURN(int64_t to, ReqInt(body, "to_customer_id"));
    if (to <= 0) return Status::InvalidArgument("to_customer_id", "must be a positive id");
    if (Status st = CheckVisible(c, to); !st.ok()) return Status::InvalidArgument("to_customer_id", st.message());
    SIYU_ASSIGN_OR_RETURN(int64_t points, ReqInt(body, "points"));
    SIYU_ASSIGN_OR_RETURN(std::string reason, ReqString(body, "reason"));
    SIYU_ASSIGN_OR_RETURN(
        auto out, c.svc.loyalty->points().Transfer(LoyaltyRequest(c), id, to, points, std::string(Trim(reason))));
    return OutcomeResponse(out);
}

Result<http::Response> RedeemPoints(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"points", "order_id", "order_amount"}));
    loyalty::CashRedeemInput in;
    in.customer_id = id;
    SIYU_ASSIGN_OR_RETURN(in.points, ReqInt(body, "points"));
    SIYU_ASSIGN_OR_RETURN(in.order_id, ReqString(body, "order_id"));
    SIYU_ASSIGN_OR_RETURN(in.order_amount, ReqAmount(body, "order_amount"));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->points().RedeemForCash(LoyaltyRequest(c), in));
    return OutcomeResponse(out);
}

Result<http::Response> HoldPoints(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(int64_t id, VisibleCustomer(c));
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"points", "order_id"}));
    SIYU_ASSIGN_OR_RETURN(int64_t points, ReqInt(body, "points"));
    SIYU_ASSIGN_OR_RETURN(std::string order_id, ReqString(body, "order_id"));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->points().CreateHold(LoyaltyRequest(c), id, points, order_id));
    return OutcomeResponse(out);
}

Result<http::Response> SettleHold(Ctx& c, bool capture) {
    SIYU_ASSIGN_OR_RETURN(int64_t hold, PathId(c.req));
    if (!c.req.body.empty()) {
        SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
        SIYU_RETURN_IF_ERROR(RejectUnknown(body, {}));
    }
    // The hold's member must be visible to the caller.
    std::optional<int64_t> customer;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("SELECT customer_id FROM points_holds WHERE id = ? AND tenant_id "
                                                      "= ?"));
        stmt.Bind(1, hold).Bind(2, c.tenant());
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) customer = stmt.Int(0);
        return Status::Ok();
    }));
    if (!customer) return Status::NotFound("hold " + std::to_string(hold) + " not found");
    SIYU_RETURN_IF_ERROR(CheckVisible(c, *customer));
    SIYU_ASSIGN_OR_RETURN(auto out, c.svc.loyalty->points().SettleHold(LoyaltyRequest(c), hold, capture));
    return OutcomeResponse(out);
}

// --- orders -----------------------------------------------------------------------------------

Result<loyalty::OrderFacts> ParseOrder(Ctx& c, const Json& body) {
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"customer_id", "order_id", "amount", "store_id", "lines", "at"}));
    loyalty::OrderFacts o;
    SIYU_ASSIGN_OR_RETURN(o.customer_id, ReqInt(body, "customer_id"));
    if (o.customer_id <= 0) return Status::InvalidArgument("customer_id", "must be a positive id");
    SIYU_RETURN_IF_ERROR(CheckVisible(c, o.customer_id));
    SIYU_ASSIGN_OR_RETURN(o.order_id, ReqString(body, "order_id"));
    if (o.order_id.empty() || o.order_id.size() > 128) {
        return Status::InvalidArgument("order_id", "must be 1 to 128 characters");
    }
    SIYU_ASSIGN_OR_RETURN(o.amount, ReqInt(body, "amount"));
    if (o.amount < 0 || o.amount > kMaxAmount)
        return Status::InvalidArgument("amount", "must be an amount in fen (分)");
    SIYU_ASSIGN_OR_RETURN(o.store_id, OptInt(body, "store_id"));
    if (!o.store_id && c.principal.store_ids.size() == 1) o.store_id = c.principal.store_ids.front();
    o.at = NowMs();
    SIYU_ASSIGN_OR_RETURN(auto at, OptString(body, "at"));
    if (at) {
        auto ms = ParseRfc3339(*at);
        if (!ms) return Status::InvalidArgument("at", "must be an RFC 3339 time");
        if (*ms > o.at + 5 * 60'000) return Status::InvalidArgument("at", "must not be in the future");
        o.at = *ms;
    }
    if (auto lines = body.find("lines"); lines != body.end()) {
        if (!lines->is_array() || lines->size() > 500) {
            return Status::InvalidArgument("lines", "must be an array of up to 500 lines");
        }
        for (size_t i = 0; i < lines->size(); ++i) {
            const Json& l = (*lines)[i];
            std::string f = "lines[" + std::to_string(i) + "]";
            if (!l.is_object()) return Status::InvalidArgument(f, "must be an object");
            SIYU_RETURN_IF_ERROR(RejectUnknown(l, {"product_id", "category", "price", "quantity"}));
            loyalty::OrderLine line;
            auto pid = l.find("product_id");
            if (pid == l.end() || !pid->is_string()) return Status::InvalidArgument(f + ".product_id", "is required");
            line.product_id = pid->get<std::string>();
            if (auto cat = l.find("category"); cat != l.end()) {
                if (!cat->is_string()) return Status::InvalidArgument(f + ".category", "must be a string");
                line.category = cat->get<std::string>();
            }
            auto price = l.find("price");
            if (price == l.end() || !price->is_number_integer() || price->get<int64_t>() < 0) {
                return Status::InvalidArgument(f + ".price", "must be a unit price in fen (分)");
            }
            line.price = price->get<int64_t>();
            if (auto q = l.find("quantity"); q != l.end()) {
                if (!q->is_number_integer() || q->get<int64_t>() < 1 || q->get<int64_t>() > 100000) {
                    return Status::InvalidArgument(f + ".quantity", "must be 1 to 100000");
                }
                line.quantity = q->get<int64_t>();
            }
            o.lines.push_back(std::move(line));
        }
    }
    return o;
}

Json OrderProperties(const loyalty::OrderFacts& o) {
    Json products = Json::array();
    for (const auto& l : o.lines) {
        products.push_back(Json{{"product_id", l.product_id},
                                {"category", l.category},
                                {"price", static_cast<double>(l.price) / 100.0},
                                {"quantity", l.quantity}});
    }
    Json p{{"order_id", o.order_id}, {"revenue", static_cast<double>(o.amount) / 100.0}, {"currency", "CNY"}};
    if (o.store_id) p["store_id"] = *o.store_id;
    if (!products.empty()) p["products"] = products;
    return p;
}

Result<http::Response> PreviewOrder(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto order, ParseOrder(c, body));
    SIYU_ASSIGN_OR_RETURN(Json out, c.svc.loyalty->points().Preview(c.tenant(), order));
    return JsonResponse(200, out);
}

// A completed order through the API: stored as an `Order Completed` event (so the CDP counts
// it) and earned on in the same transaction.
Result<http::Response> CompleteOrder(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_ASSIGN_OR_RETURN(auto order, ParseOrder(c, body));
    auto& l = *c.svc.loyalty;
    SIYU_ASSIGN_OR_RETURN(
        auto out,
        l.exec().Run(
            LoyaltyRequest(c), "order.complete",
            [&](loyalty::Tx& tx) -> Result<Json> {
                SIYU_ASSIGN_OR_RETURN(loyalty::Member m, tx.LoadMember(order.customer_id));
                std::string message_id = "order-completed-" + order.order_id;
                SIYU_ASSIGN_OR_RETURN(auto seen, tx.c().Prepare("SELECT 1 FROM events WHERE tenant_id = ? "
                                                                "AND message_id = ?"));
                seen.Bind(1, tx.tenant()).Bind(2, message_id);
                SIYU_ASSIGN_OR_RETURN(bool dup, seen.Step());
                seen.Reset();
                if (dup) return Status::AlreadyExists("order_id", "order " + order.order_id + " was already completed");
                SIYU_RETURN_IF_ERROR(
                    tx.Emit(m.customer_id, "Order Completed", OrderProperties(order), order.amount, message_id));
                SIYU_ASSIGN_OR_RETURN(auto stats,
                                      tx.c().Prepare("INSERT INTO customer_stats(customer_id, tenant_id, "
                                                     "first_seen, last_seen, order_count, order_total, "
                                                     "last_order_at) VALUES (?1, ?2, ?3, ?3, 1, ?4, ?3) ON "
                                                     "CONFLICT(customer_id) DO UPDATE SET first_seen = "
                                                     "min(coalesce(first_seen, ?3), ?3), last_seen = "
                                                     "max(coalesce(last_seen, ?3), ?3), order_count = "
                                                     "order_count + 1, order_total = order_total + ?4, "
                                                     "last_order_at = max(coalesce(last_order_at, 0), ?3)"));
                SIYU_RETURN_IF_ERROR(
                    stats.Bind(1, m.customer_id).Bind(2, tx.tenant()).Bind(3, order.at).Bind(4, order.amount).Run());
                return l.points().CompleteOrder(tx, order);
            },
            201));
    return OutcomeResponse(out);
}

Result<http::Response> RefundOrder(Ctx& c) {
    std::string order_id;
    for (const auto& [k, v] : c.req.path_params) {
        if (k == "order_id") order_id = v;
    }
    if (order_id.empty() || order_id.size() > 128) return Status::NotFound("order not found");
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(c.req.body));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"amount", "refund_id"}));
    SIYU_ASSIGN_OR_RETURN(int64_t amount, ReqAmount(body, "amount"));
    SIYU_ASSIGN_OR_RETURN(std::string refund_id, ReqString(body, "refund_id"));
    if (refund_id.empty() || refund_id.size() > 128) {
        return Status::InvalidArgument("refund_id", "must be 1 to 128 characters");
    }
    std::optional<int64_t> customer;
    SIYU_RETURN_IF_ERROR(c.svc.db->Read([&](store::Connection& conn) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, conn.Prepare("SELECT customer_id FROM loyalty_orders WHERE tenant_id = ? AND "
                                                      "order_id = ?"));
        stmt.Bind(1, c.tenant()).Bind(2, order_id);
        SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (row) customer = stmt.Int(0);
        return Status::Ok();
    }));
    if (!customer) return Status::NotFound("order " + order_id + " not found");
    SIYU_RETURN_IF_ERROR(CheckVisible(c, *customer));
    auto& l = *c.svc.loyalty;
    SIYU_ASSIGN_OR_RETURN(
        auto out, l.exec().Run(LoyaltyRequest(c), "order.refund", [&](loyalty::Tx& tx) -> Result<Json> {
            // Unambiguous for any pair of ids.
            std::string message_id = "order-refunded-" + Sha256Hex(order_id + '\n' + refund_id).substr(0, 40);
            SIYU_ASSIGN_OR_RETURN(auto seen,
                                  tx.c().Prepare("SELECT 1 FROM events WHERE tenant_id = ? AND message_id = ?"));
            seen.Bind(1, tx.tenant()).Bind(2, message_id);
            SIYU_ASSIGN_OR_RETURN(bool dup, seen.Step());
            seen.Reset();
            if (dup) return Status::AlreadyExists("refund_id", "refund " + refund_id + " was already recorded");
            SIYU_ASSIGN_OR_RETURN(auto left,
                                  tx.c().Prepare("SELECT amount - refunded FROM loyalty_orders WHERE tenant_id = "
                                                 "? AND order_id = ?"));
            left.Bind(1, tx.tenant()).Bind(2, order_id);
            SIYU_ASSIGN_OR_RETURN(bool row, left.Step());
            int64_t refundable = row ? left.Int(0) : 0;
            left.Reset();
            if (amount > refundable) {
                return Status::InvalidArgument(
                    "amount", "at most " + std::to_string(refundable) + " fen of this order is left to refund");
            }
            SIYU_RETURN_IF_ERROR(tx.Emit(*customer, "Order Refunded",
                                         Json{{"order_id", order_id},
                                              {"refund_id", refund_id},
                                              {"revenue", static_cast<double>(amount) / 100.0},
                                              {"currency", "CNY"}},
                                         amount, message_id));
            SIYU_ASSIGN_OR_RETURN(auto stats,
                                  tx.c().Prepare("UPDATE customer_stats SET refund_count = refund_count + 1, "
                                                 "refund_total = refund_total + ? WHERE customer_id = ?"));
            SIYU_RETURN_IF_ERROR(stats.Bind(1, amount).Bind(2, *customer).Run());
            return l.points().RefundOrder(tx, *customer, order_id, amount);
        }));
    return OutcomeResponse(out);
}

Result<http::Response> VerifyTenant(Ctx& c) {
    SIYU_ASSIGN_OR_RETURN(auto report, loyalty::Verify(*c.svc.db, c.tenant()));
    return JsonResponse(200, report.ToJson());
}

}  // namespace

void AddLoyaltyRoutes(RouteTable& t) {
    const std::string kTag = "Loyalty";
    t.Api({"GET", "/api/v1/loyalty/settings", "Loyalty programme settings", kTag, "loyalty.read"}, GetSettings);
    t.Api({"PUT", "/api/v1/loyalty/settings", "Change loyalty programme settings", kTag, "loyalty.manage"},
          PutSettings);
    t.Api({"GET", "/api/v1/loyalty/tiers", "List tiers", kTag, "loyalty.read"}, ListTiers);
    t.Api({"POST", "/api/v1/loyalty/tiers", "Create a tier", kTag, "loyalty.manage"}, CreateTier);
    t.Api({"PATCH", "/api/v1/loyalty/tiers/{id}", "Change a tier", kTag, "loyalty.manage"}, UpdateTier);
    t.Api({"DELETE", "/api/v1/loyalty/tiers/{id}", "Delete a tier nobody holds", kTag, "loyalty.manage"}, DeleteTier);
    t.Api({"GET", "/api/v1/loyalty/earning-rules", "List earning rules", kTag, "loyalty.read"}, ListRules);
    t.Api({"POST", "/api/v1/loyalty/earning-rules", "Create an earning rule", kTag, "loyalty.manage"}, CreateRule);
    t.Api({"PATCH", "/api/v1/loyalty/earning-rules/{id}", "Change an earning rule", kTag, "loyalty.manage"},
          UpdateRule);
    t.Api({"DELETE", "/api/v1/loyalty/earning-rules/{id}", "Delete an earning rule", kTag, "loyalty.manage"},
          DeleteRule);
    t.Api({"GET",
           "/api/v1/loyalty/members",
           "List members",
           kTag,
           "loyalty.read",
           false,
           "",
           "",
           {"limit", "cursor", "tier_id"}},
          ListMembers);
    t.Api({"POST", "/api/v1/loyalty/members", "Register a customer as a member", kTag, "loyalty.operate"},
          RegisterMember);
    t.Api({"GET",
           "/api/v1/loyalty/members/lookup",
           "Find a member card by phone or member number",
           kTag,
           "loyalty.read",
           false,
           "",
           "",
           {"phone", "member_no"}},
          LookupMember);
    t.Api({"POST", "/api/v1/loyalty/members/bind", "Bind a WeChat or WeCom identity to a member by phone", kTag,
           "loyalty.operate"},
          BindMember);
    t.Api({"GET", "/api/v1/loyalty/members/{customer_id}", "Member card", kTag, "loyalty.read"}, MemberCard);
    t.Api(
        {"GET", "/api/v1/loyalty/members/{customer_id}/tier-history", "Tier changes of a member", kTag, "loyalty.read"},
        TierHistory);
    t.Api({"POST", "/api/v1/loyalty/members/{customer_id}/tier", "Set a member's tier by hand", kTag, "loyalty.adjust"},
          AssignTier);
    t.Api({"GET",
           "/api/v1/loyalty/members/{customer_id}/points/entries",
           "Points ledger entries of a member",
           kTag,
           "loyalty.read",
           false,
           "",
           "",
           {"limit", "cursor"}},
          PointsEntries);
    t.Api({"GET", "/api/v1/loyalty/members/{customer_id}/points/lots", "Points lots and their expiry", kTag,
           "loyalty.read"},
          PointsLots);
    t.Api({"POST", "/api/v1/loyalty/members/{customer_id}/points/earn", "Credit points (campaign, journey)", kTag,
           "loyalty.manage"},
          EarnPoints);
    t.Api({"POST", "/api/v1/loyalty/members/{customer_id}/points/adjust", "Adjust points by hand", kTag,
           "loyalty.adjust"},
          AdjustPoints);
    t.Api({"POST", "/api/v1/loyalty/members/{customer_id}/points/transfer", "Move points to another member", kTag,
           "loyalty.adjust"},
          TransferPoints);
    t.Api({"POST", "/api/v1/loyalty/members/{customer_id}/points/redeem", "Redeem points for cash on an order", kTag,
           "loyalty.operate"},
          RedeemPoints);
    t.Api({"POST", "/api/v1/loyalty/members/{customer_id}/points/holds", "Hold points for a pending order", kTag,
           "loyalty.operate"},
          HoldPoints);
    t.Api({"POST", "/api/v1/loyalty/points/holds/{id}/capture", "Redeem held points", kTag, "loyalty.operate"},
          [](Ctx& c) { return SettleHold(c, true); });
    t.Api({"POST", "/api/v1/loyalty/points/holds/{id}/release", "Release held points", kTag, "loyalty.operate"},
          [](Ctx& c) { return SettleHold(c, false); });
    t.Api({"POST", "/api/v1/loyalty/orders/preview", "What an order would earn", kTag, "loyalty.read"}, PreviewOrder);
    t.Api({"POST", "/api/v1/loyalty/orders", "Complete an order (earns points)", kTag, "loyalty.operate"},
          CompleteOrder);
    t.Api({"POST", "/api/v1/loyalty/orders/{order_id}/refund", "Refund (part of) an order", kTag, "loyalty.operate"},
          RefundOrder);
    t.Api({"GET", "/api/v1/loyalty/verify", "Check that every balance reconciles with its ledger", kTag,
           "loyalty.manage"},
          VerifyTenant);
}

}  // namespace siyu::api
