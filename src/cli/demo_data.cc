#include "cli/demo_data.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "cdp/customer_repository.h"
#include "cdp/event_ingestor.h"
#include "scrm/store_directory.h"

namespace siyu::cli {

namespace {

constexpr char kDemoTenantName[] = "示例品牌";
constexpr char kDemoPassword[] = "siyu-demo-2026";

struct DemoStore {
    const char* code;
    const char* name;
    const char* city;
    const char* region;
    double lat, lon;
};

const DemoStore kStores[] = {
    {"SH-JA", "上海静安嘉里店", "上海", "EAST", 31.2243, 121.4453},
    {"SH-XH", "上海徐汇港汇店", "上海", "EAST", 31.1946, 121.4372},
    {"HZ-XH", "杭州湖滨银泰店", "杭州", "EAST", 30.2573, 120.1634},
    {"NJ-XJK", "南京新街口店", "南京", "EAST", 32.0416, 118.7841},
    {"GZ-TH", "广州天河城店", "广州", "SOUTH", 23.1322, 113.3228},
    {"SZ-NS", "深圳南山海岸城店", "深圳", "SOUTH", 22.5170, 113.9360},
    {"BJ-SLT", "北京三里屯店", "北京", "NORTH", 39.9334, 116.4548},
    {"BJ-WJ", "北京望京店", "北京", "NORTH", 39.9964, 116.4740},
    {"TJ-BJD", "天津滨江道店", "天津", "NORTH", 39.1205, 117.1946},
    {"CD-CXL", "成都春熙路店", "成都", "WEST", 30.6546, 104.0817},
    {"CQ-JFB", "重庆解放碑店", "重庆", "WEST", 29.5577, 106.5772},
};

struct DemoRegion {
    const char* code;
    const char* name;
};
const DemoRegion kRegions[] = {
    {"EAST", "华东大区"}, {"SOUTH", "华南大区"}, {"NORTH", "华北大区"}, {"WEST", "西南大区"}};

const char* const kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
                                 "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
                                 "邓", "曹", "彭", "曾", "萧", "田", "董", "潘", "袁", "蔡", "蒋", "余"};
const char* const kGivenFemale[] = {"芳",   "娜",   "敏",   "静",   "丽",   "婷",   "雪",   "琳",   "欣怡", "雨桐",
                                    "梓涵", "思琪", "佳怡", "诗涵", "可馨", "晓燕", "美玲", "海燕", "梦瑶", "子萱"};
const char* const kGivenMale[] = {"伟",   "强",   "磊",   "军",   "洋",   "勇",   "杰",   "涛",   "浩然", "子轩",
                                  "宇航", "俊杰", "志强", "建华", "明辉", "文博", "天宇", "嘉豪", "一鸣", "思远"};
const char* const kChannels[] = {"门店扫码", "小程序", "公众号", "抖音直播", "小红书", "天猫旗舰店", "朋友推荐"};
const char* const kMobilePrefixes[] = {"133", "135", "136", "137", "138", "139", "150", "151", "152", "158",
                                       "159", "176", "177", "180", "181", "186", "187", "188", "189", "199"};

// A small deterministic generator (SplitMix64): the same seed gives the same demo
// everywhere, unlike the standard distributions.
class Rng {
  public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t Next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    uint64_t Below(uint64_t n) { return Next() % n; }
    bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
    std::string Token(size_t n) {
        static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        std::string out;
        for (size_t i = 0; i < n; ++i) out.push_back(kChars[Below(64)]);
        return out;
    }

  private:
    uint64_t state_;
};

template <typename T, size_t N>
const T& Pick(Rng& rng, const T (&items)[N]) {
    return items[rng.Below(N)];
}

struct DemoProduct {
    const char* id;
    const char* name;
    const char* category;
    int64_t price;  // 分
};

const DemoProduct kProducts[] = {
    {"SK-001", "玻尿酸保湿精华 30ml", "护肤", 29900}, {"SK-002", "烟酰胺焕亮面膜 5片", "护肤", 12900},
    {"SK-003", "氨基酸洁面乳 120g", "护肤", 8900},    {"MU-001", "丝绒哑光口红 #01", "彩妆", 16900},
    {"MU-002", "轻薄气垫粉底", "彩妆", 25900},        {"FR-001", "白茶淡香水 50ml", "香氛", 45900},
    {"BD-001", "樱花身体乳 250ml", "个护", 9900},     {"GF-001", "节日礼盒（精华+面霜）", "礼盒", 69900},
};

// Gives each demo customer a plausible history through the real ingest path, so computed
// attributes, lifecycle stages, timelines and the engine all have something to show.
Result<int> AddDemoEvents(store::Database* db, int64_t tenant_id, const std::vector<cdp::Customer>& customers, Rng& rng,
                          TimeMs now) {
    cdp::EventIngestor ingestor(db);
    std::vector<cdp::TrackingMessage> batch;
    int total = 0;
    auto flush = [&]() -> Status {
        if (batch.empty()) return Status::Ok();
        SIYU_RETURN_IF_ERROR(ingestor.Ingest(tenant_id, batch).status());
        total += static_cast<int>(batch.size());
        batch.clear();
        return Status::Ok();
    };
    for (size_t i = 0; i < customers.size(); ++i) {
        const cdp::Customer& c = customers[i];
        int seq = 0;
        auto message = [&](const char* type, std::string name, TimeMs at, nlohmann::json props) {
            cdp::TrackingMessage m;
            m.type = type;
            m.name = std::move(name);
            m.message_id = "demo:" + std::to_string(i) + ":" + std::to_string(seq++);
            m.timestamp = std::min(at, now);
            m.properties = props.dump();
            m.context = R"({"source":"demo"})";
            m.identifiers.push_back(cdp::Identifier{"phone", *c.phone, 0});
            return m;
        };
        TimeMs span = std::max<TimeMs>(now - c.created_at, 3'600'000);
        auto at = [&](uint64_t parts, uint64_t k) {
            return c.created_at +
                   static_cast<TimeMs>((span / static_cast<TimeMs>(parts + 1)) * static_cast<TimeMs>(k + 1)) +
                   static_cast<TimeMs>(rng.Below(3'600'000));
        };
        if (c.member_no) {
            batch.push_back(message("track", "Member Registered", c.created_at + 60'000,
                                    {{"member_no", *c.member_no}, {"channel", "门店扫码"}}));
        }
        // Most customers browse; about half buy, some repeatedly; a few refund.
        uint64_t views = rng.Below(8);
        uint64_t orders = rng.Chance(55) ? 1 + std::min(rng.Below(6), rng.Below(6)) : 0;
        for (uint64_t k = 0; k < views; ++k) {
            const DemoProduct& p = Pick(rng, kProducts);
            batch.push_back(message("track", "Product Viewed", at(views, k),
                                    {{"product_id", p.id},
                                     {"name", p.name},
                                     {"category", p.category},
                                     {"price", static_cast<double>(p.price) / 100}}));
        }
        for (uint64_t k = 0; k < orders; ++k) {
            const DemoProduct& p = Pick(rng, kProducts);
            int64_t qty = 1 + static_cast<int64_t>(rng.Below(2));
            std::string order_id = "DEMO-" + std::to_string(i) + "-" + std::to_string(k);
            cdp::TrackingMessage m =
                message("track", "Order Completed", at(orders, k),
                        {{"order_id", order_id},
                         {"revenue", static_cast<double>(p.price * qty) / 100},
                         {"currency", "CNY"},
                         {"store_id", c.store_id ? nlohmann::json(*c.store_id) : nlohmann::json(nullptr)},
                         {"products",
                          {{{"product_id", p.id},
                            {"name", p.name},
                            {"category", p.category},
                            {"price", static_cast<double>(p.price) / 100},
                            {"quantity", qty}}}}});
            m.revenue = p.price * qty;
            m.currency = "CNY";
            TimeMs ordered_at = m.timestamp;
            batch.push_back(std::move(m));
            if (rng.Chance(6)) {
                cdp::TrackingMessage r = message("track", "Order Refunded", ordered_at + 2 * 86'400'000,
                                                 {{"order_id", order_id},
                                                  {"revenue", static_cast<double>(p.price * qty) / 100},
                                                  {"currency", "CNY"}});
                r.revenue = p.price * qty;
                r.currency = "CNY";
                batch.push_back(std::move(r));
            }
        }
        if (batch.size() >= 2000) SIYU_RETURN_IF_ERROR(flush());
    }
    SIYU_RETURN_IF_ERROR(flush());
    return total;
}

}  // namespace

Result<DemoSummary> LoadDemo(store::Database* db, auth::Accounts* accounts, int customer_count, uint64_t seed,
                             const std::optional<std::string>& owner_email) {
    DemoSummary summary;
    summary.password = kDemoPassword;
    SIYU_ASSIGN_OR_RETURN(auto tenants, accounts->ListTenants());
    for (const auto& t : tenants) {
        if (t.demo) {
            summary.tenant_id = t.id;
            return summary;
        }
    }
    auth::Actor actor{"system", std::nullopt, "demo loader", ""};
    SIYU_ASSIGN_OR_RETURN(auto tenant, accounts->CreateTenant(kDemoTenantName, "Asia/Shanghai", "CNY", true));
    summary.tenant_id = tenant.id;
    summary.created = true;

    scrm::StoreDirectory stores(db);
    scrm::StoreInput hq_in;
    hq_in.code = "HQ";
    hq_in.name = "示例品牌总部";
    hq_in.kind = "hq";
    hq_in.city = "上海";
    SIYU_ASSIGN_OR_RETURN(auto hq, stores.Create(tenant.id, hq_in, actor));
    std::map<std::string, int64_t> region_ids;
    for (const auto& r : kRegions) {
        scrm::StoreInput in;
        in.code = r.code;
        in.name = r.name;
        in.kind = "region";
        in.parent_id = hq.id;
        SIYU_ASSIGN_OR_RETURN(auto region, stores.Create(tenant.id, in, actor));
        region_ids[r.code] = region.id;
    }
    std::vector<int64_t> store_ids;
    std::map<std::string, int64_t> store_by_code;
    for (const auto& s : kStores) {
        scrm::StoreInput in;
        in.code = s.code;
        in.name = s.name;
        in.kind = "store";
        in.city = s.city;
        in.parent_id = region_ids[s.region];
        in.latitude = s.lat;
        in.longitude = s.lon;
        SIYU_ASSIGN_OR_RETURN(auto store, stores.Create(tenant.id, in, actor));
        store_ids.push_back(store.id);
        store_by_code[s.code] = store.id;
    }
    summary.stores = 1 + static_cast<int>(std::size(kRegions) + std::size(kStores));

    struct DemoUser {
        const char* email;
        const char* name;
        auth::Role role;
        std::vector<int64_t> stores;
    };
    const DemoUser users[] = {
        {"owner@demo.siyu.local", "陈总（品牌主）", auth::Role::kOwner, {}},
        {"admin@demo.siyu.local", "系统管理员", auth::Role::kAdmin, {}},
        {"operator@demo.siyu.local", "总部运营 林晓", auth::Role::kOperator, {}},
        {"analyst@demo.siyu.local", "数据分析师 周宁", auth::Role::kAnalyst, {}},
        {"manager.east@demo.siyu.local", "华东区域经理 许强", auth::Role::kStoreManager, {region_ids["EAST"]}},
        {"manager.sh@demo.siyu.local", "静安店长 王丽", auth::Role::kStoreManager, {store_by_code["SH-JA"]}},
        {"guide.sh@demo.siyu.local", "静安导购 李婷", auth::Role::kGuide, {store_by_code["SH-JA"]}},
        {"guide.bj@demo.siyu.local", "三里屯导购 赵磊", auth::Role::kGuide, {store_by_code["BJ-SLT"]}},
    };
    for (const auto& u : users) {
        auth::NewMember m{u.email, u.name, u.role, kDemoPassword, u.stores};
        SIYU_RETURN_IF_ERROR(accounts->AddMember(tenant.id, m, actor).status());
        ++summary.users;
    }
    if (owner_email) {
        auth::NewMember m{*owner_email, "Owner", auth::Role::kOwner, "", {}};
        SIYU_RETURN_IF_ERROR(accounts->AddMember(tenant.id, m, actor).status());
    }

    Rng rng(seed);
    TimeMs now = NowMs();
    std::vector<cdp::Customer> batch;
    cdp::CustomerRepository repo(db);
    for (int i = 0; i < customer_count; ++i) {
        cdp::Customer c;
        bool female = rng.Chance(62);
        c.gender = rng.Chance(5) ? "unknown" : (female ? "female" : "male");
        c.name = std::string(Pick(rng, kSurnames)) + (female ? Pick(rng, kGivenFemale) : Pick(rng, kGivenMale));
        char phone[16];
        std::snprintf(phone, sizeof(phone), "+86%s%04d%04d", Pick(rng, kMobilePrefixes), i % 10000,
                      static_cast<int>(rng.Below(10000)));
        c.phone = phone;
        if (rng.Chance(75)) {
            c.store_id = store_ids[rng.Below(store_ids.size())];
        }
        if (rng.Chance(60)) {
            char no[16];
            std::snprintf(no, sizeof(no), "M%08d", 10'000'000 + i);
            c.member_no = no;
        }
        if (rng.Chance(20)) c.email = "demo" + std::to_string(i) + "@example.com";
        int year = 1965 + static_cast<int>(rng.Below(42));
        char birthday[11];
        std::snprintf(birthday, sizeof(birthday), "%04d-%02d-%02d", year, static_cast<int>(1 + rng.Below(12)),
                      static_cast<int>(1 + rng.Below(28)));
        if (rng.Chance(70)) c.birthday = birthday;
        // Recent months are busier: take the smaller of two draws.
        uint64_t days_ago = std::min(rng.Below(365), rng.Below(365));
        c.created_at = now - static_cast<TimeMs>(days_ago) * 86'400'000 - static_cast<TimeMs>(rng.Below(86'400'000));
        c.updated_at = c.created_at;
        std::string channel = Pick(rng, kChannels);
        nlohmann::json traits = {{"source", "demo"}, {"channel", channel}};
        if (c.store_id) {
            traits["city"] =
                kStores[std::find(store_ids.begin(), store_ids.end(), *c.store_id) - store_ids.begin()].city;
        }
        c.traits = traits.dump();
        c.identifiers.push_back({"phone", *c.phone, c.created_at});
        if (c.member_no) c.identifiers.push_back({"member_no", *c.member_no, c.created_at});
        if (c.email) c.identifiers.push_back({"email", *c.email, c.created_at});
        if (rng.Chance(70)) c.identifiers.push_back({"wechat_unionid", "o6_bm" + rng.Token(23), c.created_at});
        if (rng.Chance(45)) c.identifiers.push_back({"wecom_external_userid", "wmDemo" + rng.Token(26), c.created_at});
        if (rng.Chance(15)) c.identifiers.push_back({"taobao_ouid", "tb" + rng.Token(20), c.created_at});
        batch.push_back(std::move(c));
    }
    // Oldest first, so ids grow with sign-up time as they do in real use.
    std::stable_sort(batch.begin(), batch.end(),
                     [](const cdp::Customer& a, const cdp::Customer& b) { return a.created_at < b.created_at; });
    for (size_t start = 0; start < batch.size(); start += 1000) {
        std::vector<cdp::Customer> chunk(
            batch.begin() + static_cast<std::ptrdiff_t>(start),
            batch.begin() + static_cast<std::ptrdiff_t>(std::min(batch.size(), start + 1000)));
        SIYU_RETURN_IF_ERROR(repo.ImportBatch(tenant.id, chunk));
    }
    summary.customers = customer_count;
    SIYU_ASSIGN_OR_RETURN(summary.events, AddDemoEvents(db, tenant.id, batch, rng, now));
    return summary;
}

}  // namespace siyu::cli
