#pragma once

#include <cstdint>
#include <string>

#include "auth/accounts.h"
#include "base/status.h"
#include "store/database.h"

namespace siyu::cli {

struct DemoSummary {
    int64_t tenant_id = 0;
    int stores = 0;
    int users = 0;
    int customers = 0;
    int events = 0;
    bool created = false;  // false when the demo tenant already existed
    std::string password;  // every demo user's password
};

// Creates the demo tenant "示例品牌" with stores in several cities, one user per role and
// `customers` customers with plausible Chinese names, phones and identifiers, and a history
// of browsing, registrations, orders and refunds for them; tag groups, tags and rule tags,
// a year of tagging that follows those histories (by hand, import, the skin quiz 肤质测试,
// which about 200 customers answered, and two API keys whose secrets are not kept) and saved
// segments of several rule kinds; the loyalty programme (settings, tiers 普卡/银卡/金卡/钻石,
// earning rules, members with orders and points, coupons issued and redeemed, points mall
// exchanges, stored value and a paid plan) through the loyalty library. All is generated deterministically from `seed`, with times
// relative to now. Does nothing when a demo tenant exists. The existing account
// `owner_email`, when set, also becomes an owner of the demo tenant.
Result<DemoSummary> LoadDemo(store::Database* db, auth::Accounts* accounts, int customers, uint64_t seed,
                             const std::optional<std::string>& owner_email);

}  // namespace siyu::cli
