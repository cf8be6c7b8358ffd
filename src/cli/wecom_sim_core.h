#pragma once

// The simulator's insides, shared by its source files: the in-memory corp, the id generator,
// errcode answers and callback delivery. Only wecom_sim*.cc include this.

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "channels/wecom/crypto.h"
#include "cli/wecom_sim.h"
#include "http/router.h"

namespace siyu::cli {

using Json = nlohmann::ordered_json;

// WeCom errcodes the simulator answers with (docs/wecom-simulator.md lists them).
namespace sim_err {
inline constexpr int kSystemBusy = -1;
inline constexpr int kInvalidCredential = 40001;
inline constexpr int kInvalidUserid = 40003;
inline constexpr int kInvalidCorpid = 40013;
inline constexpr int kInvalidAccessToken = 40014;
inline constexpr int kInvalidChatId = 40050;
inline constexpr int kInvalidParameter = 40058;
inline constexpr int kInvalidTagId = 40068;
inline constexpr int kTagNameExists = 40071;
inline constexpr int kInvalidExternalUserid = 40096;
inline constexpr int kNotResigned = 40097;
inline constexpr int kAlreadyInTransfer = 40100;
inline constexpr int kAccessTokenMissing = 41001;
inline constexpr int kCorpidMissing = 41002;
inline constexpr int kSecretMissing = 41004;
inline constexpr int kNoAvailableCustomer = 41048;
inline constexpr int kWelcomeCodeUsed = 41051;
inline constexpr int kAccessTokenExpired = 42001;
inline constexpr int kFreqOutOfLimit = 45009;
inline constexpr int kDataFormatError = 47001;
inline constexpr int kInvalidPartyId = 60123;
inline constexpr int kUserNotFound = 60111;
inline constexpr int kNotExternalContact = 84061;
}  // namespace sim_err

// An errcode answer: WeCom's body is {"errcode":n,"errmsg":"..."} with HTTP 200.
struct SimError {
    int errcode = 0;
    std::string errmsg;
};

struct SimStaff {
    std::string userid, name, mobile, position, email;
    std::vector<int64_t> department{1};
    int gender = 0;
    int status = 1;  // 1 active, 2 disabled, 4 not activated, 5 left the company
};

struct SimDepartment {
    int64_t id = 0;
    std::string name;
    int64_t parentid = 0;
    int64_t order = 0;
};

struct SimFollow {
    std::string userid, remark, description, state, oper_userid;
    int64_t createtime = 0;  // seconds
    int add_way = 0;
    std::vector<std::string> tag_ids;
};

struct SimContact {
    std::string external_userid, name, unionid, avatar;
    int gender = 0;  // 0 unknown, 1 male, 2 female
    int type = 1;    // 1 WeChat user
    std::vector<SimFollow> follow_user;
    SimFollow* Follow(const std::string& userid);
};

struct SimTag {
    std::string id, name, group_id;
    int64_t create_time = 0, order = 0;
};

struct SimTagGroup {
    std::string group_id, group_name;
    int64_t create_time = 0, order = 0;
    std::vector<std::string> tag_ids;  // in creation order
};

struct SimContactWay {
    std::string config_id, remark, state, qr_code;
    int type = 1, scene = 2, style = 0;
    bool skip_verify = true, is_temp = false;
    int64_t expires_in = 0, chat_expires_in = 0;
    std::vector<std::string> user;
    std::vector<int64_t> party;
    Json conclusions;
};

struct SimGroupMember {
    std::string userid;
    int type = 2;  // 1 corp member, 2 external contact
    int64_t join_time = 0;
    int join_scene = 1;  // 1 direct invite, 2 invite link, 3 group QR code
    std::string invitor;
};

struct SimGroup {
    std::string chat_id, name, owner, notice;
    int64_t create_time = 0;
    int member_limit = 200;
    bool dismissed = false;
    int64_t version = 1;
    std::vector<SimGroupMember> members;
    std::vector<std::string> admin_list;
    std::string MemberVersion() const;
};

struct SimWelcomeCode {
    std::string code, userid, external_userid;
    int64_t issued_at_ms = 0;
    bool used = false;
};

struct SimRecipient {
    std::string external_userid, userid, chat_id;
    int status = 0;  // 0 not sent, 1 sent, 2 not a friend, 3 already received another mass message
    int64_t send_time = 0;
};

struct SimTemplate {
    std::string msgid, sender, chat_type;
    Json request;
    int64_t create_time = 0;
    std::vector<std::string> fail_list;
    std::vector<SimRecipient> recipients;
};

struct SimTransfer {
    std::string kind;  // "onjob" | "resigned"
    std::string handover_userid, takeover_userid, external_userid;
    int status = 2;  // 1 done, 2 waiting, 3 refused, 4 takeover at limit, 5 no record
    int64_t created_at = 0, takeover_time = 0;
};

struct SimFault {
    int errcode = 0;
    std::string errmsg;
    int remaining = 0;
};

// One callback as delivered, kept so it can be delivered again byte for byte.
struct SimCallback {
    int64_t id = 0;
    std::string event, change_type, plaintext, url, body;
    int64_t at_ms = 0;
    int status = 0;
    std::string answer, error;
};

// What a delivery produced, for the control API's answer.
struct CallbackOutcome {
    bool sent = false;
    int64_t id = 0;
    int status = 0;
    std::string body, error;
    Json ToJson() const;
};

// The whole simulated corp. Every member below `mu` is guarded by it; callbacks are built under
// the lock and delivered after it is released.
class SimCore {
  public:
    SimCore(WecomSimOptions options, SimTransport transport, SimClock clock);

    int64_t NowMs() const;
    int64_t NowSeconds() const { return NowMs() / 1000; }

    // Ids as WeCom shapes them, from the seeded generator. Caller holds mu.
    std::string NewId(std::string_view prefix, size_t length);

    // {"errcode":0,"errmsg":"ok", ...fields}. WeCom answers errors with HTTP 200 too.
    static http::Response Ok(Json fields = Json::object());
    http::Response Err(int errcode, std::string_view errmsg);
    http::Response Err(const SimError& e) { return Err(e.errcode, e.errmsg); }

    // Builds the plaintext callback XML: ToUserName, FromUserName sys, CreateTime, MsgType event,
    // Event, ChangeType, then `fields` in order (CDATA, except the numbers JoinScene, QuitScene,
    // MemChangeCnt and the pre-built MemChangeList). Caller holds mu.
    std::string EventXml(std::string_view event, std::string_view change_type,
                         const std::vector<std::pair<std::string, std::string>>& fields) const;
    // Encrypts and signs `plaintext` as WeCom does and POSTs it to the callback URL. Must be
    // called without mu held.
    CallbackOutcome Deliver(std::string_view event, std::string_view change_type, const std::string& plaintext);
    // The POST WeCom would make for `plaintext`: URL with msg_signature, timestamp, nonce and the
    // <xml><ToUserName/><Encrypt/><AgentID/></xml> body. Fails when the key or URL is not set.
    Result<channels::HttpRequest> BuildCallbackRequest(const std::string& plaintext);
    Result<channels::HttpResponse> Send(const channels::HttpRequest& request) const { return transport_(request); }

    // Caller holds mu.
    SimStaff* FindStaff(const std::string& userid);
    SimContact* FindContact(const std::string& external_userid);
    bool ValidTag(const std::string& id) const { return tags.count(id) > 0; }
    void RecordCall(const std::string& path, int errcode);
    // A new external contact (or the one with this unionid / id) followed by `userid`, with a fresh
    // welcome code. Returns the external_userid and the code.
    struct AddResult {
        std::string external_userid, welcome_code;
        bool already_following = false;
    };
    AddResult AddFollow(const std::string& userid, const Json& who, const std::string& state, int add_way);
    void Reset();
    Json StateJson(bool full);

    mutable std::mutex mu;
    WecomSimOptions options;  // GUARDED_BY(mu)
    std::optional<channels::wecom::MsgCrypt> crypt;  // GUARDED_BY(mu)
    std::string crypt_error;                         // GUARDED_BY(mu)
    std::atomic<int64_t> clock_offset_ms{0};
    std::mt19937_64 rng;                             // GUARDED_BY(mu)
    std::atomic<int64_t> hint_counter{0};

    std::map<std::string, std::pair<int64_t, std::string>> tokens;  // token → (expiry ms, secret); GUARDED_BY(mu)
    int64_t rate_window = 0;                // current second; GUARDED_BY(mu)
    int64_t rate_count = 0;                 // GUARDED_BY(mu)
    std::map<std::string, std::deque<SimFault>> faults;  // by path; GUARDED_BY(mu)

    std::map<std::string, SimStaff> staff;            // by userid; GUARDED_BY(mu)
    std::map<int64_t, SimDepartment> departments;     // GUARDED_BY(mu)
    std::map<std::string, SimContact> contacts;       // by external_userid; GUARDED_BY(mu)
    std::vector<std::string> contact_order;           // creation order; GUARDED_BY(mu)
    std::map<std::string, std::string> by_unionid;    // GUARDED_BY(mu)
    std::map<std::string, SimTag> tags;               // GUARDED_BY(mu)
    std::map<std::string, SimTagGroup> tag_groups;    // GUARDED_BY(mu)
    std::vector<std::string> tag_group_order;         // GUARDED_BY(mu)
    std::map<std::string, SimContactWay> contact_ways;  // GUARDED_BY(mu)
    std::map<std::string, SimGroup> groups;           // GUARDED_BY(mu)
    std::vector<std::string> group_order;             // GUARDED_BY(mu)
    std::map<std::string, SimWelcomeCode> welcome_codes;  // GUARDED_BY(mu)
    Json welcome_sent = Json::array();                // GUARDED_BY(mu)
    Json welcome_rejected = Json::array();            // GUARDED_BY(mu)
    Json mark_tag_calls = Json::array();              // GUARDED_BY(mu)
    std::map<std::string, SimTemplate> templates;     // GUARDED_BY(mu)
    std::vector<std::string> template_order;          // GUARDED_BY(mu)
    std::vector<SimTransfer> transfers;               // GUARDED_BY(mu)
    Json group_transfers = Json::array();             // GUARDED_BY(mu)
    std::map<std::string, std::pair<int64_t, int64_t>> call_counts;  // path → (calls, errors); GUARDED_BY(mu)
    std::deque<Json> call_log;                        // the latest calls; GUARDED_BY(mu)
    std::deque<SimCallback> callbacks;                // the latest callbacks; GUARDED_BY(mu)
    int64_t next_callback_id = 1;                     // GUARDED_BY(mu)
    int64_t load_runs = 0;                            // GUARDED_BY(mu)

    static constexpr size_t kCallLogSize = 500;
    static constexpr size_t kCallbackLogSize = 2000;
    static constexpr int64_t kWelcomeWindowMs = 20'000;

  private:
    void ResetLocked();
    SimTransport transport_;
    SimClock clock_;
};

// Route registration, one per source file.
void AddApiRoutes(SimCore* core, http::Router* router);
void AddControlRoutes(SimCore* core, http::Router* router);

// The load generator behind POST /sim/load (wecom_sim_load.cc).
struct LoadSpec {
    double rate = 2000;
    double seconds = 30;
    int connections = 64;
    std::string userid, config_id, state;
    int timeout_ms = 5000;  // per callback, as WeCom waits
};
Result<Json> RunLoad(SimCore* core, const LoadSpec& spec);

// Control API helpers shared by the control and load files.
http::Response SimBadRequest(std::string_view field, std::string_view message);
http::Response SimNotFound(std::string_view message);
http::Response SimConflict(std::string_view message);
std::string CData(std::string_view s);

}  // namespace siyu::cli
