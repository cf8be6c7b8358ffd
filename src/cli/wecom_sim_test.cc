#include "cli/wecom_sim.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "channels/wecom/crypto.h"

namespace siyu::cli {
namespace {

using Json = nlohmann::json;

constexpr char kCallbackUrl[] = "http://siyu.test/wecom/callback/1";

class WecomSimTest : public testing::Test {
  protected:
    void SetUp() override {
        options_.callback_url = kCallbackUrl;
        sim_ = std::make_unique<WecomSim>(
            options_,
            [this](const channels::HttpRequest& r) -> Result<channels::HttpResponse> {
                sent_.push_back(r);
                return channels::HttpResponse{200, "success", {}};
            },
            [this] { return now_ms_; });
    }

    struct Answer {
        int status;
        Json body;
    };

    Answer Call(const std::string& method, const std::string& path, const std::string& query = "",
                const Json& body = nullptr) {
        http::Request req;
        req.method = method;
        req.path = path;
        req.query = query;
        req.target = path + (query.empty() ? "" : "?" + query);
        if (!body.is_null()) req.body = body.dump();
        http::Response r = sim_->Handle(req);
        return {r.status, r.body.empty() ? Json() : Json::parse(r.body, nullptr, false)};
    }

    std::string Token() {
        if (token_.empty()) {
            auto r = Call("GET", "/cgi-bin/gettoken", "corpid=" + options_.corp_id + "&corpsecret=" + options_.contact_secret);
            token_ = r.body.value("access_token", "");
        }
        return token_;
    }

    Json Api(const std::string& path, const Json& body) {
        return Call("POST", "/cgi-bin/" + path, "access_token=" + Token(), body).body;
    }
    Json ApiGet(const std::string& path, const std::string& query) {
        return Call("GET", "/cgi-bin/" + path, "access_token=" + Token() + (query.empty() ? "" : "&" + query)).body;
    }
    Json Sim(const std::string& path, const Json& body = Json::object()) { return Call("POST", path, "", body).body; }

    // The plaintext XML of the latest callback, decrypted and signature-checked as siyu does.
    std::string LastCallback() {
        EXPECT_FALSE(sent_.empty());
        if (sent_.empty()) return "";
        const auto& r = sent_.back();
        std::string q = r.url.substr(r.url.find('?') + 1);
        http::Request parsed;
        parsed.query = q;
        auto crypt = channels::wecom::MsgCrypt::Create(options_.token, options_.aes_key, options_.corp_id);
        EXPECT_TRUE(crypt.ok());
        auto plain = crypt.value.DecryptMsg(parsed.Query("msg_signature").value_or(""),
                                            parsed.Query("timestamp").value_or(""), parsed.Query("nonce").value_or(""),
                                            r.body);
        EXPECT_TRUE(plain.ok()) << plain.failure.message;
        return plain.value;
    }

    void AddStaff(const std::string& userid) {
        ASSERT_EQ(Call("POST", "/sim/staff", "", {{"userid", userid}, {"name", userid}}).status, 200);
    }

    // A contact way for `userid`, scanned once: answers the scan.
    Json Scan(const std::string& userid, const std::string& state = "lc-1") {
        Json way = Api("externalcontact/add_contact_way",
                       {{"type", 1}, {"scene", 2}, {"state", state}, {"user", {userid}}});
        EXPECT_EQ(way["errcode"], 0) << way.dump();
        return Sim("/sim/scan", {{"config_id", way["config_id"]}});
    }

    WecomSimOptions options_;
    int64_t now_ms_ = 1'760'000'000'000;
    std::vector<channels::HttpRequest> sent_;
    std::unique_ptr<WecomSim> sim_;
    std::string token_;
};

TEST_F(WecomSimTest, GetTokenChecksCorpIdAndSecretAndRepeatsALiveToken) {
    auto bad_secret = Call("GET", "/cgi-bin/gettoken", "corpid=" + options_.corp_id + "&corpsecret=nope");
    EXPECT_EQ(bad_secret.status, 200);
    EXPECT_EQ(bad_secret.body["errcode"], 40001);
    EXPECT_EQ(Call("GET", "/cgi-bin/gettoken", "corpid=wrong&corpsecret=" + options_.contact_secret).body["errcode"],
              40013);
    EXPECT_EQ(Call("GET", "/cgi-bin/gettoken", "corpid=" + options_.corp_id).body["errcode"], 41004);
    auto ok = Call("GET", "/cgi-bin/gettoken", "corpid=" + options_.corp_id + "&corpsecret=" + options_.agent_secret);
    EXPECT_EQ(ok.body["errcode"], 0);
    EXPECT_EQ(ok.body["expires_in"], 7200);
    now_ms_ += 100'000;
    auto again = Call("GET", "/cgi-bin/gettoken", "corpid=" + options_.corp_id + "&corpsecret=" + options_.agent_secret);
    EXPECT_EQ(again.body["access_token"], ok.body["access_token"]);
    EXPECT_EQ(again.body["expires_in"], 7100);
}

TEST_F(WecomSimTest, AccessTokenExpiresAfterItsLifetime) {
    EXPECT_EQ(ApiGet("department/list", "")["errcode"], 0);
    EXPECT_EQ(Call("GET", "/cgi-bin/department/list", "").body["errcode"], 41001);
    EXPECT_EQ(Call("GET", "/cgi-bin/department/list", "access_token=forged").body["errcode"], 40014);
    now_ms_ += 7200 * 1000;
    EXPECT_EQ(ApiGet("department/list", "")["errcode"], 42001);
    token_.clear();
    EXPECT_EQ(ApiGet("department/list", "")["errcode"], 0);
    EXPECT_EQ(Sim("/sim/tokens/expire")["expired"], 2);
    EXPECT_EQ(ApiGet("department/list", "")["errcode"], 42001);
}

TEST_F(WecomSimTest, InjectedFaultsAnswerTheNextCallsThenStop) {
    Token();
    auto f = Call("POST", "/sim/faults", "", {{"path", "externalcontact/get"}, {"errcode", 45009}, {"times", 2}});
    ASSERT_EQ(f.status, 200);
    EXPECT_EQ(f.body["path"], "/cgi-bin/externalcontact/get");
    EXPECT_EQ(ApiGet("externalcontact/get", "external_userid=wmx")["errcode"], 45009);
    EXPECT_EQ(ApiGet("department/list", "")["errcode"], 0);  // other paths unaffected
    EXPECT_EQ(ApiGet("externalcontact/get", "external_userid=wmx")["errcode"], 45009);
    EXPECT_EQ(ApiGet("externalcontact/get", "external_userid=wmx")["errcode"], 40096);
    Sim("/sim/faults", {{"path", "/cgi-bin/gettoken"}, {"errcode", -1}});
    token_.clear();
    auto busy = Call("GET", "/cgi-bin/gettoken", "corpid=" + options_.corp_id + "&corpsecret=" + options_.contact_secret);
    EXPECT_EQ(busy.body["errcode"], -1);
    EXPECT_FALSE(busy.body.contains("access_token"));
}

TEST_F(WecomSimTest, RateLimitAnswers45009WithinTheSecond) {
    Token();
    ASSERT_EQ(Sim("/sim/config", {{"rate_limit", 3}})["rate_limit"], 3);
    now_ms_ += 1000 - now_ms_ % 1000;  // the start of a second
    int ok = 0, limited = 0;
    for (int i = 0; i < 5; ++i) {
        int code = ApiGet("department/list", "")["errcode"];
        ok += code == 0;
        limited += code == 45009;
    }
    EXPECT_EQ(ok, 3);
    EXPECT_EQ(limited, 2);
    now_ms_ += 1000;
    EXPECT_EQ(ApiGet("department/list", "")["errcode"], 0);
}

TEST_F(WecomSimTest, ScanDeliversTheEncryptedAddCallbackWithStateAndWelcomeCode) {
    AddStaff("zhangsan");
    Json scan = Scan("zhangsan", "lc-42");
    ASSERT_EQ(scan["callback"]["status"], 200) << scan.dump();
    std::string xml = LastCallback();
    EXPECT_NE(xml.find("<Event><![CDATA[change_external_contact]]></Event>"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<ChangeType><![CDATA[add_external_contact]]></ChangeType>"), std::string::npos);
    EXPECT_NE(xml.find("<UserID><![CDATA[zhangsan]]></UserID>"), std::string::npos);
    EXPECT_NE(xml.find("<ExternalUserID><![CDATA[" + scan["external_userid"].get<std::string>() + "]]>"),
              std::string::npos);
    EXPECT_NE(xml.find("<State><![CDATA[lc-42]]></State>"), std::string::npos);
    EXPECT_NE(xml.find("<WelcomeCode><![CDATA[" + scan["welcome_code"].get<std::string>() + "]]>"), std::string::npos);
    EXPECT_NE(xml.find("<CreateTime>1760000000</CreateTime>"), std::string::npos);
    EXPECT_EQ(sent_.back().url.rfind(std::string(kCallbackUrl) + "?msg_signature=", 0), 0u);

    Json contact = ApiGet("externalcontact/get", "external_userid=" + scan["external_userid"].get<std::string>());
    EXPECT_EQ(contact["errcode"], 0);
    EXPECT_EQ(contact["follow_user"][0]["userid"], "zhangsan");
    EXPECT_EQ(contact["follow_user"][0]["state"], "lc-42");
    EXPECT_EQ(contact["follow_user"][0]["add_way"], 1);
    EXPECT_EQ(contact["external_contact"]["external_userid"].get<std::string>().rfind("wm", 0), 0u);
}

TEST_F(WecomSimTest, NumericUseridsStayInCData) {
    AddStaff("13800000000");
    Json added = Sim("/sim/add-contact", {{"userid", "13800000000"}});
    ASSERT_EQ(added["callback"]["status"], 200) << added.dump();
    EXPECT_NE(LastCallback().find("<UserID><![CDATA[13800000000]]></UserID>"), std::string::npos);
}

TEST_F(WecomSimTest, WelcomeCodeIsSingleUseAndExpiresAfterTwentySeconds) {
    AddStaff("zhangsan");
    Json first = Scan("zhangsan");
    Json msg = {{"welcome_code", first["welcome_code"]}, {"text", {{"content", "你好"}}}};
    now_ms_ += 19'000;
    EXPECT_EQ(Api("externalcontact/send_welcome_msg", msg)["errcode"], 0);
    EXPECT_EQ(Api("externalcontact/send_welcome_msg", msg)["errcode"], 41051);

    Json second = Scan("zhangsan", "lc-2");
    now_ms_ += 20'001;
    msg["welcome_code"] = second["welcome_code"];
    EXPECT_EQ(Api("externalcontact/send_welcome_msg", msg)["errcode"], 41051);
    msg["welcome_code"] = "no-such-code";
    EXPECT_EQ(Api("externalcontact/send_welcome_msg", msg)["errcode"], 40058);

    Json state = Call("GET", "/sim/state").body;
    ASSERT_EQ(state["welcome_sent"].size(), 1u);
    EXPECT_EQ(state["welcome_sent"][0]["delay_ms"], 19'000);
    EXPECT_EQ(state["welcome_sent"][0]["text"]["content"], "你好");
    EXPECT_EQ(state["welcome_rejected"].size(), 3u);
}

TEST_F(WecomSimTest, OnTheJobTransferWaitsThenMovesTheCustomerOrFails) {
    AddStaff("a");
    AddStaff("b");
    std::string x = Scan("a")["external_userid"], y = Scan("a", "s2")["external_userid"];
    Json r = Api("externalcontact/transfer_customer",
                 {{"handover_userid", "a"}, {"takeover_userid", "b"}, {"external_userid", {x, y, "wmnobody"}}});
    ASSERT_EQ(r["errcode"], 0) << r.dump();
    EXPECT_EQ(r["customer"][0]["errcode"], 0);
    EXPECT_EQ(r["customer"][2]["errcode"], 40096);
    Json again = Api("externalcontact/transfer_customer",
                     {{"handover_userid", "a"}, {"takeover_userid", "b"}, {"external_userid", {x}}});
    EXPECT_EQ(again["customer"][0]["errcode"], 40100);

    Json result = Api("externalcontact/transfer_result", {{"handover_userid", "a"}, {"takeover_userid", "b"}});
    ASSERT_EQ(result["customer"].size(), 2u);
    EXPECT_EQ(result["customer"][0]["status"], 2);

    now_ms_ += 5000;
    Json done = Sim("/sim/transfers/complete", {{"external_userid", x}, {"status", 1}});
    EXPECT_EQ(done["transfer"]["status"], 1);
    std::string del = LastCallback();
    EXPECT_NE(del.find("<ChangeType><![CDATA[del_external_contact]]></ChangeType>"), std::string::npos);
    EXPECT_NE(del.find("<Source><![CDATA[DELETE_BY_TRANSFER]]></Source>"), std::string::npos);
    Json contact = ApiGet("externalcontact/get", "external_userid=" + x);
    ASSERT_EQ(contact["follow_user"].size(), 1u);
    EXPECT_EQ(contact["follow_user"][0]["userid"], "b");

    Sim("/sim/transfers/complete", {{"external_userid", y}, {"status", 3}});
    std::string fail = LastCallback();
    EXPECT_NE(fail.find("<ChangeType><![CDATA[transfer_fail]]></ChangeType>"), std::string::npos);
    EXPECT_NE(fail.find("<FailReason><![CDATA[customer_refused]]></FailReason>"), std::string::npos);
    EXPECT_NE(fail.find("<UserID><![CDATA[b]]></UserID>"), std::string::npos);

    result = Api("externalcontact/transfer_result", {{"handover_userid", "a"}, {"takeover_userid", "b"}});
    EXPECT_EQ(result["customer"][0]["status"], 1);
    EXPECT_EQ(result["customer"][0]["takeover_time"], now_ms_ / 1000);
    EXPECT_EQ(result["customer"][1]["status"], 3);
}

TEST_F(WecomSimTest, ResignedTransferNeedsAResignedHandover) {
    AddStaff("a");
    AddStaff("b");
    std::string x = Scan("a")["external_userid"];
    Json body = {{"handover_userid", "a"}, {"takeover_userid", "b"}, {"external_userid", {x}}};
    EXPECT_EQ(Api("externalcontact/resigned/transfer_customer", body)["errcode"], 40097);
    Sim("/sim/staff/a/resign");
    EXPECT_EQ(Api("externalcontact/resigned/transfer_customer", body)["customer"][0]["errcode"], 0);
    Sim("/sim/transfers/complete", {{"external_userid", x}, {"status", 4}});
    EXPECT_NE(LastCallback().find("customer_limit_exceed"), std::string::npos);
    Json result = Api("externalcontact/resigned/transfer_result", {{"handover_userid", "a"}, {"takeover_userid", "b"}});
    EXPECT_EQ(result["customer"][0]["status"], 4);
}

TEST_F(WecomSimTest, MassMessageFailsCustomersTheSenderDoesNotFollowAndHonoursTheMonthlyLimit) {
    AddStaff("a");
    AddStaff("b");
    std::string x = Scan("a")["external_userid"], other = Scan("b")["external_userid"];
    Json t = Api("externalcontact/add_msg_template",
                 {{"sender", "a"}, {"external_userid", {x, other}}, {"text", {{"content", "上新"}}}});
    ASSERT_EQ(t["errcode"], 0) << t.dump();
    EXPECT_EQ(t["fail_list"], Json::array({other}));
    Json none = Api("externalcontact/add_msg_template",
                    {{"sender", "a"}, {"external_userid", {other}}, {"text", {{"content", "x"}}}});
    EXPECT_EQ(none["errcode"], 41048);

    std::vector<std::string> ids{t["msgid"]};
    for (int i = 0; i < 4; ++i) {
        ids.push_back(Api("externalcontact/add_msg_template",
                          {{"sender", "a"}, {"external_userid", {x}}, {"text", {{"content", "第" + std::to_string(i)}}}})
                          ["msgid"]);
    }
    for (const auto& id : ids) Sim("/sim/messages/" + id + "/deliver");
    Json first = Api("externalcontact/get_groupmsg_send_result", {{"msgid", ids[0]}, {"userid", "a"}});
    EXPECT_EQ(first["send_list"][0]["status"], 1);
    EXPECT_EQ(first["send_list"][0]["send_time"], now_ms_ / 1000);
    Json fifth = Api("externalcontact/get_groupmsg_send_result", {{"msgid", ids[4]}, {"userid", "a"}});
    EXPECT_EQ(fifth["send_list"][0]["status"], 3);
}

TEST_F(WecomSimTest, MarkTagChecksTagsAndFollowersAndIsRecorded) {
    AddStaff("a");
    AddStaff("b");
    std::string x = Scan("a")["external_userid"];
    Json added = Api("externalcontact/add_corp_tag", {{"group_name", "来源"}, {"tag", {{{"name", "门店"}}}}});
    ASSERT_EQ(added["errcode"], 0) << added.dump();
    std::string tag = added["tag_group"]["tag"][0]["id"];
    EXPECT_EQ(Api("externalcontact/add_corp_tag", {{"group_name", "来源"}, {"tag", {{{"name", "门店"}}}}})["errcode"],
              40071);
    EXPECT_EQ(Api("externalcontact/mark_tag", {{"userid", "a"}, {"external_userid", x}, {"add_tag", {"etnope"}}})
                  ["errcode"],
              40068);
    EXPECT_EQ(Api("externalcontact/mark_tag", {{"userid", "b"}, {"external_userid", x}, {"add_tag", {tag}}})["errcode"],
              84061);
    EXPECT_EQ(Api("externalcontact/mark_tag", {{"userid", "a"}, {"external_userid", x}, {"add_tag", {tag}}})["errcode"],
              0);
    Json contact = ApiGet("externalcontact/get", "external_userid=" + x);
    EXPECT_EQ(contact["follow_user"][0]["tags"][0]["tag_name"], "门店");
    EXPECT_EQ(contact["follow_user"][0]["tags"][0]["group_name"], "来源");
    EXPECT_EQ(Call("GET", "/sim/state").body["mark_tag_calls"].size(), 1u);
}

TEST_F(WecomSimTest, GroupJoinReportsTheMemberChangeWithWeComsJoinScene) {
    AddStaff("owner");
    std::string x = Scan("owner")["external_userid"];
    Json g = Sim("/sim/groups", {{"owner", "owner"}, {"name", "会员群"}, {"member_limit", 2}});
    std::string chat = g["chat_id"];
    EXPECT_NE(LastCallback().find("<ChangeType><![CDATA[create]]></ChangeType>"), std::string::npos);
    Json join = Sim("/sim/groups/" + chat + "/join", {{"external_userid", x}, {"join_scene", 3}});
    ASSERT_EQ(join["callback"]["status"], 200) << join.dump();
    std::string xml = LastCallback();
    EXPECT_NE(xml.find("<UpdateDetail><![CDATA[add_member]]></UpdateDetail>"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<JoinScene>3</JoinScene>"), std::string::npos);
    EXPECT_NE(xml.find("<MemChangeCnt>1</MemChangeCnt>"), std::string::npos);
    EXPECT_NE(xml.find("<MemChangeList><Item><![CDATA[" + x + "]]></Item></MemChangeList>"), std::string::npos);
    Json info = Api("externalcontact/groupchat/get", {{"chat_id", chat}, {"need_name", 1}});
    ASSERT_EQ(info["group_chat"]["member_list"].size(), 2u);
    EXPECT_EQ(info["group_chat"]["member_list"][1]["join_scene"], 3);
    std::string other = Scan("owner", "s3")["external_userid"];
    EXPECT_EQ(Call("POST", "/sim/groups/" + chat + "/join", "", {{"external_userid", other}}).status, 409);
}

TEST_F(WecomSimTest, ControlApiNamesTheBadFieldAndChangesNothing) {
    auto r = Call("POST", "/sim/staff", "", {{"name", "无名"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body["error"]["field"], "userid");
    r = Call("POST", "/sim/staff", "", {{"userid", "a"}, {"department", {99}}});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body["error"]["field"], "department");
    EXPECT_TRUE(Call("GET", "/sim/state").body["staff"].empty());
    EXPECT_EQ(Call("POST", "/sim/scan", "", {{"config_id", "nope"}}).status, 404);
    EXPECT_EQ(Call("POST", "/sim/config", "", {{"aes_key", "short"}}).status, 400);
}

}  // namespace
}  // namespace siyu::cli
