#pragma once

// Membership (会员): registering customers as members with a member number from the tenant's
// pattern, binding an offline member to a WeChat / WeCom identity by phone (一键绑定) and the
// member card that shows everything a member holds. Thread-safe.

#include <optional>
#include <string>

#include "loyalty/core.h"

namespace siyu::loyalty {

class Loyalty;

struct RegisterInput {
    int64_t customer_id = 0;
    std::string channel;  // store, wechat, wecom, web, import, ...
    std::optional<int64_t> store_id;
    std::optional<int64_t> referrer_id;
    std::optional<TimeMs> registered_at;  // default: now
    std::optional<std::string> member_no;  // default: the next number of the tenant's pattern
};

struct BindInput {
    std::string phone;            // E.164, as stored
    std::string identifier_type;  // wechat_unionid, wechat_openid, wecom_external_userid, ...
    std::string identifier_value;
};

class Members {
  public:
    explicit Members(Loyalty* loyalty) : loyalty_(loyalty) {}

    // Registers a customer (following merges). failed_precondition if already a member.
    // Gives the entry tier and the registration bonus; emits `Member Registered`.
    Result<Json> Register(Tx& tx, const RegisterInput& in, const auth::Actor& actor);
    Result<Outcome> Register(const Request& r, const RegisterInput& in);

    // The member card: member fields, tier, points with the next expiry, stored value, valid
    // coupons and paid membership status.
    Result<Json> Card(int64_t tenant_id, int64_t customer_id);

  private:
    Loyalty* loyalty_;
};

// The next member number of the tenant (consumes it).
Result<std::string> NextMemberNo(Tx& tx);

}  // namespace siyu::loyalty
