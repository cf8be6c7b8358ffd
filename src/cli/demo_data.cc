#include "cli/demo_data.h"
#include "cli/demo_rng.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cdp/customer_repository.h"
#include "cdp/event_ingestor.h"
#include "cdp/questionnaires.h"
#include "cdp/segment_repository.h"
#include "cdp/tags.h"
#include "engine/segment_rule.h"
#include "loyalty/coupons.h"
#include "loyalty/earning_rules.h"
#include "loyalty/loyalty.h"
#include "loyalty/mall.h"
#include "loyalty/members.h"
#include "loyalty/paid_membership.h"
#include "loyalty/points.h"
#include "loyalty/stored_value.h"
#include "loyalty/tiers.h"
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

using Rng = DemoRng;

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

constexpr TimeMs kMinuteMs = 60'000;
constexpr TimeMs kHourMs = 3'600'000;
constexpr TimeMs kDayMs = 86'400'000;

// The part of a demo customer's generated history that its tags follow.
struct DemoHistory {
    std::map<std::string, TimeMs> first_viewed;  // category -> first view
    std::map<std::string, TimeMs> first_bought;  // category -> first order
    std::vector<TimeMs> activity;                // every event, oldest first
    int views = 0;
    int orders = 0;
    int64_t first_order_revenue = 0;       // fen
    std::optional<TimeMs> big_spender_at;  // when the orders first added up to ¥2000
};

constexpr int64_t kVipSpendFen = 200'000;

// Gives each demo customer a plausible history through the real ingest path, so computed
// attributes, lifecycle stages, timelines and the engine all have something to show.
// `histories` receives a summary per customer, in the order of `customers`.
Result<int> AddDemoEvents(store::Database* db, int64_t tenant_id, const std::vector<cdp::Customer>& customers, Rng& rng,
                          TimeMs now, std::vector<DemoHistory>* histories) {
    histories->assign(customers.size(), DemoHistory{});
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
        DemoHistory& h = (*histories)[i];
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
            h.activity.push_back(m.timestamp);
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
        h.views = static_cast<int>(views);
        h.orders = static_cast<int>(orders);
        for (uint64_t k = 0; k < views; ++k) {
            const DemoProduct& p = rng.Pick(kProducts);
            batch.push_back(message("track", "Product Viewed", at(views, k),
                                    {{"product_id", p.id},
                                     {"name", p.name},
                                     {"category", p.category},
                                     {"price", static_cast<double>(p.price) / 100}}));
            h.first_viewed.emplace(p.category, batch.back().timestamp);
        }
        int64_t spent = 0;
        for (uint64_t k = 0; k < orders; ++k) {
            const DemoProduct& p = rng.Pick(kProducts);
            int64_t qty = 1 + static_cast<int64_t>(rng.Below(2));
            std::string order_id = "DEMO-" + std::to_string(i) + "-" + std::to_string(k);
            // Every demo order holds one product; its category is also on the order, so rules
            // can filter orders by category.
            cdp::TrackingMessage m =
                message("track", "Order Completed", at(orders, k),
                        {{"order_id", order_id},
                         {"revenue", static_cast<double>(p.price * qty) / 100},
                         {"currency", "CNY"},
                         {"category", p.category},
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
            h.first_bought.emplace(p.category, ordered_at);
            if (k == 0) h.first_order_revenue = p.price * qty;
            spent += p.price * qty;
            if (spent >= kVipSpendFen && !h.big_spender_at) h.big_spender_at = ordered_at;
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
        std::sort(h.activity.begin(), h.activity.end());
        if (batch.size() >= 2000) SIYU_RETURN_IF_ERROR(flush());
    }
    SIYU_RETURN_IF_ERROR(flush());
    return total;
}

// --- Tags, a questionnaire and saved segments ---------------------------------------------

struct DemoTagGroupSpec {
    const char* name;
    const char* color;
};

const DemoTagGroupSpec kTagGroups[] = {
    {"兴趣偏好", "#EB2F96"}, {"肤质", "#13C2C2"}, {"客户价值", "#FAAD14"}, {"渠道来源", "#1677FF"}, {"风险", "#8C8C8C"},
};

struct DemoTagSpec {
    const char* group;
    const char* name;
    const char* color;
    const char* description;
    const char* rule;  // null: tagged explicitly
};

const DemoTagSpec kTags[] = {
    {"兴趣偏好", "护肤爱好者", "#EB2F96", "买过或常看护肤品", nullptr},
    {"兴趣偏好", "彩妆达人", "#F5222D", "买过或常看彩妆", nullptr},
    {"兴趣偏好", "香水控", "#722ED1", "买过或看过香氛", nullptr},
    {"兴趣偏好", "母婴", "#FA8C16", "家有宝宝，关注母婴护理", nullptr},
    {"肤质", "干性肌", "#FAAD14", "", nullptr},
    {"肤质", "油性肌", "#52C41A", "", nullptr},
    {"肤质", "混合肌", "#13C2C2", "", nullptr},
    {"肤质", "敏感肌", "#F5222D", "换季或用新品时易泛红、刺痛", nullptr},
    {"客户价值", "高价值", "#FAAD14", "近 365 天消费满 ¥1000",
     R"({"event":"Order Completed","window":{"last_days":365},"aggregate":{"sum":"revenue","op":"gte","value":1000}})"},
    {"客户价值", "近期活跃", "#52C41A", "近 30 天浏览过商品或下过单",
     R"({"or":[{"event":"Product Viewed","window":{"last_days":30}},{"event":"Order Completed","window":{"last_days":30}}]})"},
    {"客户价值", "高潜客户", "#FA8C16", "首单金额高或多次浏览未购买，总部运营每周跟进", nullptr},
    {"客户价值", "VIP", "#D4B106", "累计消费满 ¥2000，随 CRM 会员数据导入", nullptr},
    {"渠道来源", "门店", "#1677FF", "", nullptr},
    {"渠道来源", "小程序", "#52C41A", "", nullptr},
    {"渠道来源", "企业微信", "#13C2C2", "", nullptr},
    {"风险", "沉睡风险", "#8C8C8C", "90 天没有浏览或下单，总部运营每周标记", nullptr},
};

// The demo's tag ids by name.
struct DemoTags {
    std::map<std::string, int64_t> ids;
    int64_t Id(const std::string& name) const { return ids.at(name); }
};

// A rule for a tag or segment, checked as the API checks it.
Result<std::string> CheckedRule(const std::string& rule) {
    SIYU_RETURN_IF_ERROR(engine::ParseRule(rule).status());
    return nlohmann::json::parse(rule).dump();
}

Result<cdp::TagRuleRefs> CheckTagRule(std::string_view rule_json) {
    SIYU_ASSIGN_OR_RETURN(engine::NodePtr rule, engine::ParseRule(rule_json));
    engine::RuleRefs refs = engine::CollectRefs(*rule);
    return cdp::TagRuleRefs{std::move(refs.tag_ids), std::move(refs.store_ids)};
}

Result<DemoTags> AddDemoTagDefinitions(cdp::TagRepository& tags, int64_t tenant_id, const auth::Actor& actor) {
    std::map<std::string, int64_t> group_ids;
    int64_t order = 0;
    for (const auto& g : kTagGroups) {
        cdp::TagGroupInput in;
        in.name = g.name;
        in.color = std::optional<std::string>(g.color);
        in.sort_order = ++order;
        SIYU_ASSIGN_OR_RETURN(auto group, tags.CreateGroup(tenant_id, in, actor));
        group_ids[g.name] = group.id;
    }
    DemoTags out;
    order = 0;
    for (const auto& t : kTags) {
        cdp::TagInput in;
        in.group_id = group_ids.at(t.group);
        in.name = t.name;
        in.color = std::optional<std::string>(t.color);
        in.sort_order = ++order;
        in.description = t.description;
        if (t.rule) {
            SIYU_ASSIGN_OR_RETURN(std::string rule, CheckedRule(t.rule));
            in.rule = std::optional<std::string>(std::move(rule));
        }
        SIYU_ASSIGN_OR_RETURN(auto tag, tags.CreateTag(tenant_id, in, actor));
        out.ids[t.name] = tag.id;
    }
    return out;
}

std::vector<cdp::Question> SkinQuizQuestions(const DemoTags& t) {
    cdp::Question skin{"skin",
                       "您的肤质是？",
                       false,
                       true,
                       {{"dry", "干性：洗脸后紧绷、易起皮", {t.Id("干性肌")}, {"skin:dry"}},
                        {"oily", "油性：全脸易出油、毛孔明显", {t.Id("油性肌")}, {"skin:oily"}},
                        {"combination", "混合性：T 区出油、两颊偏干", {t.Id("混合肌")}, {"skin:combination"}},
                        {"normal", "中性：不干不油", {}, {"skin:normal"}}}};
    cdp::Question sensitive{"sensitive",
                            "换季或用新产品时，皮肤会泛红、刺痛吗？",
                            false,
                            true,
                            {{"often", "经常", {t.Id("敏感肌")}, {"skin:sensitive"}},
                             {"sometimes", "偶尔", {}, {"sensitive:sometimes"}},
                             {"never", "从不", {}, {}}}};
    cdp::Question concerns{"concerns",
                           "您最关心哪些肌肤问题？",
                           true,
                           false,
                           {{"hydration", "补水保湿", {}, {"concern:hydration"}},
                            {"oil", "控油祛痘", {}, {"concern:oil"}},
                            {"brightening", "美白提亮", {}, {"concern:brightening"}},
                            {"antiaging", "抗老紧致", {}, {"concern:antiaging"}}}};
    return {skin, sensitive, concerns};
}

// Who tags in the demo, and through what.
struct DemoTagger {
    cdp::Tagging by;
    cdp::Visibility vis;
};

// Indexes into the taggers LoadDemo builds.
enum DemoTaggerIndex : size_t { kByOperator, kByImport, kByGuideSh, kByGuideBj, kByMiniProgram, kByWecomSync };

// One tagging, or one questionnaire submission, of the demo's past.
struct DemoTagStep {
    TimeMs at = 0;
    size_t customer = 0;  // index into the customers
    size_t tagger = 0;
    cdp::TagAction action = cdp::TagAction::kAdd;
    int64_t tag_id = 0;
    std::vector<cdp::Answer> answers;  // non-empty: a submission of the skin quiz
};

enum class Skin { kDry, kOily, kCombination, kNormal };

// Decides which tags the demo customers got, from whom and when, following their histories:
// guides tag their stores' customers by hand, the mini-program and the WeCom sync tag through
// the API, the operator imports CRM data every two weeks and reviews customers weekly, and
// about 200 customers answered the skin quiz (live since `quiz_since`). The schedules start
// on `first_day`, before the first customer arrived.
class DemoTagPlanner {
  public:
    DemoTagPlanner(const std::vector<cdp::Customer>& customers, const std::vector<DemoHistory>& histories,
                   const DemoTags& tags, int64_t guide_sh_store, int64_t guide_bj_store, TimeMs first_day,
                   TimeMs quiz_since, TimeMs now, uint64_t seed)
        : customers_(customers),
          histories_(histories),
          tags_(tags),
          guide_sh_store_(guide_sh_store),
          guide_bj_store_(guide_bj_store),
          quiz_since_(quiz_since),
          now_(now),
          first_day_(first_day),
          rng_(seed) {}

    std::vector<DemoTagStep> Plan() {
        PlanQuiz();
        for (size_t i = 0; i < customers_.size(); ++i) {
            PlanInterests(i);
            PlanSkin(i);
            PlanValue(i);
            PlanChannels(i);
            PlanRisk(i);
        }
        std::stable_sort(steps_.begin(), steps_.end(),
                         [](const DemoTagStep& a, const DemoTagStep& b) { return a.at < b.at; });
        return std::move(steps_);
    }

  private:
    static constexpr int kQuizAnswers = 200;

    TimeMs Latest() const { return now_ - kMinuteMs; }
    TimeMs Between(TimeMs from, TimeMs to) {
        return from + static_cast<TimeMs>(rng_.Below(static_cast<uint64_t>(std::max<TimeMs>(1, to - from))));
    }
    // The first moment at or after `t` of a schedule starting at `first` every `period`, if past.
    std::optional<TimeMs> NextSlot(TimeMs t, TimeMs first, TimeMs period) const {
        TimeMs slot = t <= first ? first : first + (t - first + period - 1) / period * period;
        if (slot > Latest()) return std::nullopt;
        return slot;
    }
    // The operator imports CRM data every other week and reviews customers weekly.
    std::optional<TimeMs> NextImport(TimeMs t) const { return NextSlot(t, first_day_ + 10 * kHourMs, 14 * kDayMs); }
    std::optional<TimeMs> NextReview(TimeMs t) const {
        return NextSlot(t, first_day_ + 3 * kDayMs + 5 * kHourMs, 7 * kDayMs);
    }

    std::optional<size_t> GuideOf(size_t i) const {
        const auto& store = customers_[i].store_id;
        if (store == guide_sh_store_) return kByGuideSh;
        if (store == guide_bj_store_) return kByGuideBj;
        return std::nullopt;
    }

    void Add(TimeMs at, size_t i, size_t tagger, const char* tag, cdp::TagAction action = cdp::TagAction::kAdd) {
        at = std::max(at, customers_[i].created_at + kMinuteMs);
        if (at > Latest()) return;
        DemoTagStep step;
        step.at = at;
        step.customer = i;
        step.tagger = tagger;
        step.action = action;
        step.tag_id = tags_.Id(tag);
        steps_.push_back(std::move(step));
    }

    Skin SkinOf(size_t i) {
        auto it = skin_.find(i);
        if (it != skin_.end()) return it->second;
        uint64_t r = rng_.Below(100);
        Skin s = r < 22 ? Skin::kDry : r < 44 ? Skin::kOily : r < 80 ? Skin::kCombination : Skin::kNormal;
        skin_[i] = s;
        sensitive_[i] = rng_.Chance(20);
        return s;
    }
    static const char* SkinTag(Skin s) {
        switch (s) {
            case Skin::kDry:
                return "干性肌";
            case Skin::kOily:
                return "油性肌";
            case Skin::kCombination:
                return "混合肌";
            case Skin::kNormal:
                break;
        }
        return nullptr;
    }

    bool CaresAboutSkin(size_t i) const {
        const DemoHistory& h = histories_[i];
        return h.first_bought.count("护肤") || h.first_viewed.count("护肤");
    }

    // About 200 customers who bought or browsed skin care answered the quiz after it went live.
    void PlanQuiz() {
        std::vector<size_t> candidates;
        for (size_t i = 0; i < customers_.size(); ++i) {
            if (CaresAboutSkin(i) && customers_[i].created_at < Latest() - kDayMs) candidates.push_back(i);
        }
        for (size_t k = candidates.size(); k > 1; --k) std::swap(candidates[k - 1], candidates[rng_.Below(k)]);
        candidates.resize(std::min<size_t>(candidates.size(), kQuizAnswers));
        std::sort(candidates.begin(), candidates.end());
        for (size_t i : candidates) {
            Skin skin = SkinOf(i);
            static const char* const kSkinChoices[] = {"dry", "oily", "combination", "normal"};
            std::vector<cdp::Answer> answers;
            answers.push_back({"skin", {kSkinChoices[static_cast<int>(skin)]}});
            answers.push_back({"sensitive", {sensitive_[i] ? "often" : rng_.Chance(40) ? "sometimes" : "never"}});
            std::vector<std::string> concerns;
            concerns.push_back(skin == Skin::kOily ? "oil" : skin == Skin::kDry ? "hydration" : "brightening");
            static const char* const kConcerns[] = {"hydration", "oil", "brightening", "antiaging"};
            const char* more = rng_.Pick(kConcerns);
            if (rng_.Chance(60) && more != concerns.front()) concerns.push_back(more);
            answers.push_back({"concerns", concerns});
            DemoTagStep step;
            step.at = Between(std::max(quiz_since_, customers_[i].created_at) + kHourMs, Latest());
            step.customer = i;
            auto guide = GuideOf(i);
            step.tagger = guide && rng_.Chance(50) ? *guide : kByMiniProgram;
            step.answers = std::move(answers);
            quiz_at_[i] = step.at;
            steps_.push_back(std::move(step));
        }
    }

    // Interests follow what the customer bought or browsed: guides tag after a purchase in
    // their store, the CRM import carries other purchases, the mini-program tags browsing.
    void PlanInterests(size_t i) {
        struct Interest {
            const char* category;
            const char* tag;
            int bought, viewed, otherwise;  // percent
        };
        static const Interest kInterests[] = {
            {"护肤", "护肤爱好者", 60, 20, 3}, {"彩妆", "彩妆达人", 55, 15, 2}, {"香氛", "香水控", 60, 12, 2}};
        const cdp::Customer& c = customers_[i];
        const DemoHistory& h = histories_[i];
        auto guide = GuideOf(i);
        for (const auto& interest : kInterests) {
            auto bought = h.first_bought.find(interest.category);
            auto viewed = h.first_viewed.find(interest.category);
            int percent = bought != h.first_bought.end()   ? interest.bought
                          : viewed != h.first_viewed.end() ? interest.viewed
                                                           : interest.otherwise;
            if (!rng_.Chance(percent)) continue;
            if (bought != h.first_bought.end()) {
                if (guide) {
                    Add(bought->second + kHourMs + Between(0, 2 * kDayMs), i, *guide, interest.tag);
                } else if (auto slot = NextImport(bought->second)) {
                    Add(*slot, i, kByImport, interest.tag);
                }
            } else if (viewed != h.first_viewed.end()) {
                Add(viewed->second + kMinuteMs + Between(0, kHourMs), i, kByMiniProgram, interest.tag);
            } else {
                Add(Between(c.created_at, Latest()), i, guide ? *guide : kByMiniProgram, interest.tag);
            }
        }
        if ((c.gender == "female" && rng_.Chance(8)) || rng_.Chance(1)) {
            Add(Between(c.created_at, Latest()), i, guide ? *guide : kByMiniProgram, "母婴");
        }
    }

    // Skin types come from the quiz, from guides after a skin-care purchase (now and then
    // wrong, and corrected once the customer's own answer is in) and from the CRM import.
    void PlanSkin(size_t i) {
        const cdp::Customer& c = customers_[i];
        const DemoHistory& h = histories_[i];
        auto guide = GuideOf(i);
        auto bought = h.first_bought.find("护肤");
        if (guide && bought != h.first_bought.end() && rng_.Chance(65)) {
            Skin skin = SkinOf(i);
            if (skin == Skin::kNormal) return;
            TimeMs at = bought->second + kHourMs + Between(0, 2 * kDayMs);
            const char* tag = SkinTag(skin);
            bool wrong = rng_.Chance(15);
            if (wrong) tag = SkinTag(skin == Skin::kCombination ? Skin::kDry : Skin::kCombination);
            Add(at, i, *guide, tag);
            if (sensitive_[i]) Add(at, i, *guide, "敏感肌");
            auto quiz = quiz_at_.find(i);
            if (wrong && quiz != quiz_at_.end() && quiz->second > at) {
                Add(quiz->second + kDayMs + Between(0, 2 * kDayMs), i, *guide, tag, cdp::TagAction::kRemove);
            }
            return;
        }
        if (!guide && c.member_no && rng_.Chance(8)) {
            Skin skin = SkinOf(i);
            auto slot = NextImport(c.created_at + Between(0, 30 * kDayMs));
            if (skin == Skin::kNormal || !slot) return;
            Add(*slot, i, kByImport, SkinTag(skin));
            if (sensitive_[i]) Add(*slot, i, kByImport, "敏感肌");
        }
    }

    // VIP comes with the CRM import once spending reaches ¥2000; the operator marks promising
    // customers weekly and takes the mark off when they become VIP.
    void PlanValue(size_t i) {
        const DemoHistory& h = histories_[i];
        std::optional<TimeMs> vip;
        if (h.big_spender_at) vip = NextImport(*h.big_spender_at);
        if (vip) Add(*vip, i, kByImport, "VIP");
        std::optional<TimeMs> promising;
        if (h.orders >= 1 && h.orders <= 2 && h.first_order_revenue >= 40'000) {
            TimeMs first = Latest();
            for (const auto& [category, at] : h.first_bought) first = std::min(first, at);
            promising = first;
        } else if (h.orders == 0 && h.views >= 5) {
            promising = h.activity[std::min<size_t>(h.activity.size() - 1, 5)];
        }
        if (!promising || !rng_.Chance(45)) return;
        auto review = NextReview(*promising);
        if (!review) return;
        Add(*review, i, kByOperator, "高潜客户");
        if (vip && *vip > *review) Add(*vip + kDayMs, i, kByOperator, "高潜客户", cdp::TagAction::kRemove);
    }

    void PlanChannels(size_t i) {
        const cdp::Customer& c = customers_[i];
        auto guide = GuideOf(i);
        std::string channel = nlohmann::json::parse(c.traits).value("channel", "");
        if (channel == "小程序")
            Add(c.created_at + Between(2 * kMinuteMs, 30 * kMinuteMs), i, kByMiniProgram, "小程序");
        if (channel == "门店扫码") {
            if (guide) {
                Add(c.created_at + Between(10 * kMinuteMs, 2 * kHourMs), i, *guide, "门店");
            } else if (auto slot = NextImport(c.created_at)) {
                Add(*slot, i, kByImport, "门店");
            }
        }
        bool wecom = std::any_of(c.identifiers.begin(), c.identifiers.end(),
                                 [](const cdp::Identifier& id) { return id.type == "wecom_external_userid"; });
        if (wecom && rng_.Chance(85)) {
            Add(c.created_at + Between(kHourMs, 3 * kDayMs), i, guide ? *guide : kByWecomSync, "企业微信");
        }
    }

    // Every silence of 90 days is marked at the next weekly review and unmarked at the review
    // after the customer came back.
    void PlanRisk(size_t i) {
        const DemoHistory& h = histories_[i];
        TimeMs previous = customers_[i].created_at;
        for (size_t k = 0; k <= h.activity.size(); ++k) {
            std::optional<TimeMs> next;
            if (k < h.activity.size()) next = h.activity[k];
            if (next && *next <= previous + 90 * kDayMs) {
                previous = std::max(previous, *next);
                continue;
            }
            auto flagged = NextReview(previous + 90 * kDayMs);
            if (flagged && (!next || *flagged < *next) && rng_.Chance(85)) {
                Add(*flagged, i, kByOperator, "沉睡风险");
                if (next) {
                    if (auto back = NextReview(*next)) Add(*back, i, kByOperator, "沉睡风险", cdp::TagAction::kRemove);
                }
            }
            if (next) previous = *next;
        }
    }

    const std::vector<cdp::Customer>& customers_;
    const std::vector<DemoHistory>& histories_;
    const DemoTags& tags_;
    std::optional<int64_t> guide_sh_store_, guide_bj_store_;
    TimeMs quiz_since_;
    TimeMs now_;
    TimeMs first_day_;
    Rng rng_;
    std::map<size_t, Skin> skin_;
    std::map<size_t, bool> sensitive_;
    std::map<size_t, TimeMs> quiz_at_;
    std::vector<DemoTagStep> steps_;
};

// Moves what the last change wrote for a customer (stamped with the real time, at or after
// `since`) back to `at`, when the demo says it happened.
Status Backdate(store::Connection& c, int64_t customer_id, TimeMs at, TimeMs since) {
    SIYU_ASSIGN_OR_RETURN(auto tags, c.Prepare("UPDATE customer_tags SET applied_at = ?1 "
                                               "WHERE customer_id = ?2 AND applied_at >= ?3"));
    SIYU_RETURN_IF_ERROR(tags.Bind(1, at).Bind(2, customer_id).Bind(3, since).Run());
    SIYU_ASSIGN_OR_RETURN(auto history,
                          c.Prepare("UPDATE tag_history SET at = ?1 WHERE customer_id = ?2 AND at >= ?3"));
    return history.Bind(1, at).Bind(2, customer_id).Bind(3, since).Run();
}

// Applies tag steps (in the order given) through the repository, many to a transaction, and
// dates each one.
Status ApplyTagSteps(store::Database* db, cdp::TagRepository& tags, int64_t tenant_id,
                     const std::vector<int64_t>& customer_ids, const std::vector<DemoTagger>& taggers,
                     const std::vector<DemoTagStep>& steps, TimeMs since) {
    constexpr size_t kStepsPerWrite = 2000;
    for (size_t begin = 0; begin < steps.size(); begin += kStepsPerWrite) {
        std::vector<cdp::CustomerTagChange> changes;
        SIYU_RETURN_IF_ERROR(db->Write([&](store::Connection& c) -> Status {
            changes.clear();
            for (size_t k = begin; k < std::min(steps.size(), begin + kStepsPerWrite); ++k) {
                const DemoTagStep& s = steps[k];
                const DemoTagger& t = taggers[s.tagger];
                int64_t customer_id = customer_ids[s.customer];
                SIYU_RETURN_IF_ERROR(
                    tags.ApplyIn(c, tenant_id, {customer_id}, {s.tag_id}, s.action, t.by, t.vis, false, &changes)
                        .status());
                SIYU_RETURN_IF_ERROR(Backdate(c, customer_id, s.at, since));
            }
            return Status::Ok();
        }));
        tags.Publish(changes);
    }
    return Status::Ok();
}

// Submits the quiz answers (in the order given) through the questionnaire repository, then
// dates them and the tags they applied.
Status SubmitAnswers(store::Database* db, cdp::Questionnaires& quizzes, int64_t tenant_id, int64_t quiz_id,
                     const std::vector<int64_t>& customer_ids, const std::vector<DemoTagger>& taggers,
                     const std::vector<DemoTagStep>& steps, TimeMs since) {
    std::vector<int64_t> answer_ids;
    for (const DemoTagStep& s : steps) {
        const DemoTagger& t = taggers[s.tagger];
        cdp::AnswerInput in{customer_ids[s.customer], s.answers};
        SIYU_ASSIGN_OR_RETURN(auto answer, quizzes.Submit(tenant_id, quiz_id, in, t.by.actor, t.vis));
        answer_ids.push_back(answer.id);
    }
    return db->Write([&](store::Connection& c) -> Status {
        for (size_t k = 0; k < steps.size(); ++k) {
            SIYU_ASSIGN_OR_RETURN(auto stmt,
                                  c.Prepare("UPDATE questionnaire_answers SET submitted_at = ? WHERE id = ?"));
            SIYU_RETURN_IF_ERROR(stmt.Bind(1, steps[k].at).Bind(2, answer_ids[k]).Run());
            SIYU_RETURN_IF_ERROR(Backdate(c, customer_ids[steps[k].customer], steps[k].at, since));
        }
        return Status::Ok();
    });
}

// Replays the planned steps through the repositories, so customer tags, their history and
// questionnaire answers are what the product itself writes. Each customer's steps are
// replayed in time order (histories list by id); the tagging before a customer's quiz answer
// goes first, then the answers, then the rest, so that a few transactions carry them all.
Status ReplayTagging(store::Database* db, cdp::TagRepository& tags, cdp::Questionnaires& quizzes, int64_t tenant_id,
                     int64_t quiz_id, const std::vector<int64_t>& customer_ids, const std::vector<DemoTagger>& taggers,
                     const std::vector<DemoTagStep>& steps, TimeMs since) {
    std::map<size_t, TimeMs> answered_at;
    for (const auto& s : steps) {
        if (!s.answers.empty()) answered_at[s.customer] = s.at;
    }
    std::vector<DemoTagStep> before, answers, after;
    for (const auto& s : steps) {
        auto answered = answered_at.find(s.customer);
        if (!s.answers.empty()) {
            answers.push_back(s);
        } else if (answered != answered_at.end() && s.at > answered->second) {
            after.push_back(s);
        } else {
            before.push_back(s);
        }
    }
    SIYU_RETURN_IF_ERROR(ApplyTagSteps(db, tags, tenant_id, customer_ids, taggers, before, since));
    SIYU_RETURN_IF_ERROR(SubmitAnswers(db, quizzes, tenant_id, quiz_id, customer_ids, taggers, answers, since));
    return ApplyTagSteps(db, tags, tenant_id, customer_ids, taggers, after, since);
}

// Dates the tag groups, explicit tags and the quiz from when the brand set them up.
Status BackdateDefinitions(store::Database* db, int64_t tenant_id, int64_t quiz_id, TimeMs tags_since,
                           TimeMs quiz_since) {
    return db->Write([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto groups, c.Prepare("UPDATE tag_groups SET created_at = ?1, updated_at = ?1 "
                                                     "WHERE tenant_id = ?2"));
        SIYU_RETURN_IF_ERROR(groups.Bind(1, tags_since).Bind(2, tenant_id).Run());
        SIYU_ASSIGN_OR_RETURN(auto tags, c.Prepare("UPDATE tags SET created_at = ?1, updated_at = ?1 "
                                                   "WHERE tenant_id = ?2 AND rule IS NULL"));
        SIYU_RETURN_IF_ERROR(tags.Bind(1, tags_since).Bind(2, tenant_id).Run());
        SIYU_ASSIGN_OR_RETURN(auto quiz,
                              c.Prepare("UPDATE questionnaires SET created_at = ?1, updated_at = ?1 WHERE id = ?2"));
        return quiz.Bind(1, quiz_since).Bind(2, quiz_id).Run();
    });
}

// Saved segments of different rule kinds; each rule is checked as the API checks it.
Status AddDemoSegments(store::Database* db, int64_t tenant_id, const DemoTags& tags, const auth::Actor& actor) {
    const std::string high_value = std::to_string(tags.Id("高价值"));
    const cdp::SegmentInput segments[] = {
        {"上海复购客户", "城市为上海，累计下单 2 次及以上",
         R"({"and":[{"trait":"city","op":"eq","value":"上海"},{"attribute":"order_count","op":"gte","value":2}]})"},
        {"30 天未复购的护肤客户", "买过护肤品，近 30 天没有再下单",
         R"({"and":[{"event":"Order Completed","where":[{"property":"category","op":"eq","value":"护肤"}]},)"
         R"({"event":"Order Completed","did":false,"window":{"last_days":30}}]})"},
        {"生日在 7 天内的会员", "未来 7 天内过生日的会员，用于生日礼遇",
         R"({"and":[{"trait":"birthday","within_next_days":7},{"trait":"member_no","op":"exists"}]})"},
        {"重要价值客户", "RFM：近期买过、买得多、花得多", R"({"rfm":"in","classes":["重要价值客户"]})"},
        {"高价值且有企微", "持有「高价值」标签并已添加企业微信，可由导购一对一触达",
         R"({"and":[{"tag":"has","id":)" + high_value + R"(},{"identifier":"exists","type":"wecom"}]})"},
        {"沉睡风险客户", "生命周期为沉睡（180 天无互动）", R"({"lifecycle":"in","values":["dormant"]})"},
    };
    cdp::SegmentRepository repo(db);
    for (const auto& s : segments) {
        SIYU_ASSIGN_OR_RETURN(std::string rule, CheckedRule(s.rule));
        SIYU_RETURN_IF_ERROR(repo.Create(tenant_id, cdp::SegmentInput{s.name, s.description, rule}, actor).status());
    }
    return Status::Ok();
}

// Looks up the ids the customers got, by their unique demo phone numbers.
Result<std::vector<int64_t>> DemoCustomerIds(store::Database* db, int64_t tenant_id,
                                             const std::vector<cdp::Customer>& customers) {
    std::map<std::string, int64_t> by_phone;
    SIYU_RETURN_IF_ERROR(db->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT id, phone FROM customers WHERE tenant_id = ? "
                                                   "AND phone IS NOT NULL AND deleted_at IS NULL"));
        stmt.Bind(1, tenant_id);
        return stmt.ForEachRow([&] { by_phone[stmt.Text(1)] = stmt.Int(0); });
    }));
    std::vector<int64_t> ids;
    ids.reserve(customers.size());
    for (const auto& c : customers) {
        auto it = by_phone.find(*c.phone);
        if (it == by_phone.end()) return Status::Internal("demo customer " + *c.phone + " was not stored");
        ids.push_back(it->second);
    }
    return ids;
}

// Tag groups and tags, the skin quiz, a year of tagging consistent with each
// customer's history (by guides, the operator, imports and two API integrations) and saved
// segments, all written through the repositories.
Status AddDemoAudience(store::Database* db, auth::Accounts* accounts, int64_t tenant_id,
                       const std::vector<cdp::Customer>& customers, const std::vector<DemoHistory>& histories,
                       const std::map<std::string, auth::Actor>& users, int64_t guide_sh_store, int64_t guide_bj_store,
                       uint64_t seed, TimeMs now) {
    const auth::Actor& ops = users.at("operator@demo.siyu.local");
    cdp::TagRepository tags(db, CheckTagRule);
    cdp::Questionnaires quizzes(db, &tags);
    SIYU_ASSIGN_OR_RETURN(DemoTags ids, AddDemoTagDefinitions(tags, tenant_id, ops));

    cdp::QuestionnaireInput quiz_in;
    quiz_in.name = "肤质测试";
    quiz_in.description = "3 道题了解肤质和护肤诉求，提交后自动打上肤质标签";
    quiz_in.questions = SkinQuizQuestions(ids);
    SIYU_ASSIGN_OR_RETURN(auto quiz, quizzes.Create(tenant_id, quiz_in, ops));

    SIYU_ASSIGN_OR_RETURN(auto mini_program,
                          accounts->CreateApiKey(tenant_id, "会员小程序", "secret", auth::Role::kOperator, ops));
    SIYU_ASSIGN_OR_RETURN(auto wecom_sync,
                          accounts->CreateApiKey(tenant_id, "企业微信同步", "secret", auth::Role::kOperator, ops));
    std::vector<DemoTagger> taggers(6);
    taggers[kByOperator] = {cdp::TaggingBy(ops), {}};
    taggers[kByImport] = {cdp::Tagging{cdp::TagSource::kImport, ops, std::nullopt}, {}};
    taggers[kByGuideSh] = {cdp::TaggingBy(users.at("guide.sh@demo.siyu.local")),
                           cdp::Visibility{std::vector<int64_t>{guide_sh_store}}};
    taggers[kByGuideBj] = {cdp::TaggingBy(users.at("guide.bj@demo.siyu.local")),
                           cdp::Visibility{std::vector<int64_t>{guide_bj_store}}};
    taggers[kByMiniProgram] = {
        cdp::TaggingBy(auth::Actor{"api_key", mini_program.first.id, mini_program.first.name, ""}), {}};
    taggers[kByWecomSync] = {cdp::TaggingBy(auth::Actor{"api_key", wecom_sync.first.id, wecom_sync.first.name, ""}),
                             {}};

    // The tags were set up a year ago, the quiz four months ago. Like every demo time these
    // are relative to now, so that each load holds the same data.
    TimeMs first_day = now - 366 * kDayMs;
    TimeMs quiz_since = first_day + 245 * kDayMs;
    DemoTagPlanner planner(customers, histories, ids, guide_sh_store, guide_bj_store, first_day, quiz_since, now,
                           seed ^ 0x7461677344656D6FULL);
    std::vector<DemoTagStep> steps = planner.Plan();
    SIYU_ASSIGN_OR_RETURN(auto customer_ids, DemoCustomerIds(db, tenant_id, customers));
    SIYU_RETURN_IF_ERROR(ReplayTagging(db, tags, quizzes, tenant_id, quiz.id, customer_ids, taggers, steps, now));
    SIYU_RETURN_IF_ERROR(BackdateDefinitions(db, tenant_id, quiz.id, first_day, quiz_since));
    return AddDemoSegments(db, tenant_id, ids, ops);
}

// --- Loyalty --------------------------------------------------------------------------------

// A clock the demo moves by hand, so that every loyalty operation happens at its own time in
// the past and ledgers, lots, coupon validity and tier history read as a year of real use.
struct DemoClock {
    TimeMs now = 0;
};

struct DemoCoupons {
    int64_t welcome = 0;     // 新人礼 满199减20
    int64_t member_day = 0;  // 会员日 85折
    int64_t birthday = 0;    // 生日礼 立减50
    int64_t skin_care = 0;   // 护肤满300减50 (category)
    int64_t shipping = 0;    // 包邮券
    int64_t mall_cash = 0;   // 积分商城 20 元券
};

Status CheckOutcome(const Result<loyalty::Outcome>& out, const char* what) {
    if (out.ok()) return Status::Ok();
    return Status::Internal(std::string("demo loyalty: ") + what + ": " + out.status().message());
}

// Settings, tiers 普卡/银卡/金卡/钻石, earning rules, coupon templates, mall items, top-up offers
// and a paid plan, written through the loyalty services as an operator would.
Result<DemoCoupons> AddDemoProgramme(loyalty::Loyalty& programme, int64_t tenant_id, const auth::Actor& ops,
                                     std::vector<int64_t>* mall_items, std::vector<int64_t>* offers,
                                     int64_t* paid_plan, int64_t* quarter_plan) {
    SIYU_RETURN_IF_ERROR(programme.exec().Write(tenant_id, [&](loyalty::Tx& tx) -> Status {
        loyalty::LoyaltySettings s;
        s.downgrade_grace_days = 30;
        s.points_expiring_notice_days = 30;
        s.coupon_expiring_notice_days = 3;
        return tx.SaveSettings(s);
    }));
    struct TierDef {
        const char* name;
        int64_t level, threshold, multiplier;
        std::vector<std::string> benefits;
    };
    const TierDef tiers[] = {
        {"普卡", 0, 0, 100, {"注册礼 200 积分", "生日月积分"}},
        {"银卡", 1, 1500, 120, {"积分 1.2 倍", "生日礼券"}},
        {"金卡", 2, 5000, 150, {"积分 1.5 倍", "生日礼券", "专属客服"}},
        {"钻石", 3, 12000, 200, {"积分 2 倍", "生日礼盒", "新品优先购", "免费包邮"}},
    };
    for (const auto& d : tiers) {
        loyalty::TierInput in;
        in.name = d.name;
        in.level = d.level;
        in.threshold = d.threshold;
        in.multiplier = d.multiplier;
        in.benefits = nlohmann::json(d.benefits);
        SIYU_RETURN_IF_ERROR(programme.tiers().Create(tenant_id, in, ops).status());
    }
    const char* rules[] = {
        R"({"name":"每消费 1 元得 1 积分","kind":"spend","config":{"points":1,"per_yuan":1},"priority":10})",
        R"({"name":"周末护肤双倍积分","kind":"multiplier","config":{"multiplier_pct":200,"categories":["护肤"],"days_of_week":[6,7]}})",
        R"({"name":"礼盒三倍积分","kind":"multiplier","config":{"multiplier_pct":300,"categories":["礼盒"],"cap_per_order":3000}})",
        R"({"name":"注册礼","kind":"bonus","config":{"trigger":"registration","points":200}})",
        R"({"name":"首单礼","kind":"bonus","config":{"trigger":"first_order","points":100}})",
        R"({"name":"满 500 元加赠 50 积分","kind":"bonus","config":{"trigger":"order","points":50,"min_amount":50000,"cap_per_customer":{"points":200,"period":"month"}}})",
        R"({"name":"生日积分","kind":"bonus","config":{"trigger":"birthday","points":500}})",
    };
    for (const char* r : rules) {
        SIYU_RETURN_IF_ERROR(programme.rules().Create(tenant_id, nlohmann::json::parse(r), ops).status());
    }
    DemoCoupons t;
    auto create = [&](const char* body, int64_t* id) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto out,
                              programme.coupons().CreateTemplate(tenant_id, nlohmann::json::parse(body), ops));
        *id = out["id"].get<int64_t>();
        return Status::Ok();
    };
    SIYU_RETURN_IF_ERROR(create(
        R"({"name":"新人礼 满199减20","type":"threshold","amount":2000,"min_order_amount":19900,"validity":{"type":"relative","days":30},"per_customer_limit":1,"note":"新会员专享，全场通用"})",
        &t.welcome));
    SIYU_RETURN_IF_ERROR(create(
        R"({"name":"会员日 85折","type":"percent","percent_off":15,"max_discount":10000,"validity":{"type":"relative","days":14},"note":"每月 18 日会员日，最高减 100 元"})",
        &t.member_day));
    SIYU_RETURN_IF_ERROR(create(
        R"({"name":"生日礼 立减50","type":"cash_off","amount":5000,"min_order_amount":10000,"validity":{"type":"relative","days":30},"per_customer_limit":1,"min_tier_level":1})",
        &t.birthday));
    SIYU_RETURN_IF_ERROR(create(
        R"({"name":"护肤满300减50","type":"threshold","amount":5000,"min_order_amount":30000,"categories":["护肤"],"validity":{"type":"relative","days":21},"total_stock":2000})",
        &t.skin_care));
    SIYU_RETURN_IF_ERROR(create(
        R"({"name":"线上包邮券","type":"free_shipping","validity":{"type":"relative","days":60},"stacks_with_coupons":true})",
        &t.shipping));
    SIYU_RETURN_IF_ERROR(create(
        R"({"name":"积分兑换 20元无门槛券","type":"cash_off","amount":2000,"validity":{"type":"relative","days":30}})",
        &t.mall_cash));

    const std::string items[] = {
        R"({"name":"旅行装精华小样 5ml","kind":"gift","description":"门店领取，每人限 2 份","points_price":800,"stock":300,"per_customer_limit":2})",
        R"({"name":"20 元无门槛券","kind":"coupon","description":"兑换后发到会员卡券包","points_price":1500,"stock":1000,"coupon_template_id":)" +
            std::to_string(t.mall_cash) + "}",
        R"({"name":"品牌限量帆布袋","kind":"limited","description":"2026 春季限定，先到先得","points_price":3000,"stock":60,"per_customer_limit":1})",
        R"({"name":"节日礼盒（精华+面霜）","kind":"gift","description":"积分换正装礼盒","points_price":12000,"stock":20,"per_customer_limit":1})",
    };
    for (const auto& body : items) {
        SIYU_ASSIGN_OR_RETURN(auto out, programme.mall().CreateItem(tenant_id, nlohmann::json::parse(body), ops));
        mall_items->push_back(out["id"].get<int64_t>());
    }
    struct OfferDef {
        const char* name;
        int64_t pay, bonus;
    };
    for (const auto& d : {OfferDef{"充 500 送 30", 50000, 3000}, OfferDef{"充 1000 送 100", 100000, 10000},
                          OfferDef{"充 3000 送 400", 300000, 40000}}) {
        loyalty::TopupOfferInput in;
        in.name = d.name;
        in.pay_amount = d.pay;
        in.bonus_amount = d.bonus;
        SIYU_ASSIGN_OR_RETURN(auto offer, programme.stored_value().CreateOffer(tenant_id, in, ops));
        offers->push_back(offer.id);
    }
    loyalty::PaidPlanInput plan;
    plan.name = "黑金 PLUS 年卡";
    plan.price = 19900;
    plan.duration_days = 365;
    plan.benefits = std::vector<std::string>{"全年包邮", "每月 20 元券", "积分 1.5 倍", "专属顾问"};
    SIYU_ASSIGN_OR_RETURN(auto p, programme.paid().CreatePlan(tenant_id, plan, ops));
    *paid_plan = p.id;
    plan.name = "黑金 PLUS 季卡";
    plan.price = 5900;
    plan.duration_days = 90;
    plan.benefits = std::vector<std::string>{"季度包邮", "每月 10 元券", "积分 1.2 倍"};
    SIYU_ASSIGN_OR_RETURN(auto q, programme.paid().CreatePlan(tenant_id, plan, ops));
    *quarter_plan = q.id;
    return t;
}

// About 60 % of the demo customers are members (those with a member number): registered in
// store or online, with orders that earned points by the rules, coupons issued and redeemed
// over the last months, points mall exchanges, stored value and paid memberships. Every
// change goes through the loyalty library, so `siyu loyalty verify` finds the ledgers clean.
Status AddDemoLoyalty(store::Database* db, int64_t tenant_id, const std::vector<cdp::Customer>& customers,
                      const std::vector<DemoHistory>& histories, const std::map<std::string, auth::Actor>& users,
                      int64_t guide_sh_store, int64_t guide_bj_store, uint64_t seed, TimeMs now) {
    DemoClock clock{now};
    loyalty::LoyaltyOptions options;
    options.clock = [&clock] { return clock.now; };
    loyalty::Loyalty programme(db, nullptr, options);
    const auth::Actor& ops = users.at("operator@demo.siyu.local");
    std::vector<int64_t> mall_items, offers;
    int64_t paid_plan = 0;
    int64_t quarter_plan = 0;
    clock.now = now - 370 * kDayMs;
    SIYU_ASSIGN_OR_RETURN(DemoCoupons coupons,
                          AddDemoProgramme(programme, tenant_id, ops, &mall_items, &offers, &paid_plan, &quarter_plan));
    SIYU_ASSIGN_OR_RETURN(auto ids, DemoCustomerIds(db, tenant_id, customers));
    Rng rng(seed ^ 0x6C6F79616C747921ULL);

    struct Registered {
        size_t index;
        int64_t id;
        TimeMs at;
    };
    std::vector<Registered> members;
    for (size_t i = 0; i < customers.size(); ++i) {
        if (!customers[i].member_no) continue;
        TimeMs at = std::max(customers[i].created_at, now - 365 * kDayMs) + static_cast<TimeMs>(rng.Below(3 * kDayMs));
        if (at >= now) at = now - kHourMs;
        members.push_back({i, ids[i], at});
    }
    // Registration and orders inside loyalty transactions of their own time, 200 members a commit.
    for (size_t start = 0; start < members.size(); start += 200) {
        size_t end = std::min(members.size(), start + 200);
        SIYU_RETURN_IF_ERROR(db->Write([&](store::Connection& c) -> Status {
            for (size_t k = start; k < end; ++k) {
                const Registered& m = members[k];
                const cdp::Customer& cust = customers[m.index];
                loyalty::Tx reg(c, tenant_id, m.at);
                loyalty::RegisterInput in;
                in.customer_id = m.id;
                in.channel = cust.store_id ? "store" : (rng.Chance(60) ? "wechat" : "web");
                in.store_id = cust.store_id;
                in.registered_at = m.at;
                SIYU_RETURN_IF_ERROR(programme.members().Register(reg, in, ops).status());
                int orders = std::min(histories[m.index].orders, 8) + (rng.Chance(30) ? 1 : 0);
                for (int n = 0; n < orders; ++n) {
                    TimeMs span = now - m.at;
                    TimeMs at = m.at + span * (n + 1) / (orders + 1) + static_cast<TimeMs>(rng.Below(kDayMs));
                    if (at >= now) at = now - kMinuteMs * (orders - n);
                    loyalty::OrderFacts o;
                    o.customer_id = m.id;
                    o.order_id = "L" + std::to_string(m.id) + "-" + std::to_string(n + 1);
                    o.store_id = cust.store_id;
                    o.at = at;
                    int lines = 1 + static_cast<int>(rng.Below(3));
                    for (int l = 0; l < lines; ++l) {
                        const DemoProduct& p = rng.Pick(kProducts);
                        loyalty::OrderLine line{p.id, p.category, p.price, 1 + (rng.Chance(20) ? 1 : 0)};
                        o.amount += line.price * line.quantity;
                        o.lines.push_back(line);
                    }
                    loyalty::Tx tx(c, tenant_id, at);
                    SIYU_RETURN_IF_ERROR(programme.points().CompleteOrder(tx, o).status());
                }
            }
            return Status::Ok();
        }));
    }

    // Coupons: issued by campaigns over the last 75 days, about half of them used in store.
    auto actor_for = [&](std::optional<int64_t> store) -> const auth::Actor& {
        if (store && *store == guide_sh_store) return users.at("guide.sh@demo.siyu.local");
        if (store && *store == guide_bj_store) return users.at("guide.bj@demo.siyu.local");
        return ops;
    };
    struct Issued {
        std::string code;
        int64_t template_id;
        TimeMs at;
        size_t member;
    };
    std::vector<Issued> issued;
    const int64_t campaign_templates[] = {coupons.welcome, coupons.member_day, coupons.skin_care, coupons.shipping};
    SIYU_RETURN_IF_ERROR(db->Write([&](store::Connection& c) -> Status {
        for (size_t k = 0; k < members.size(); ++k) {
            const Registered& m = members[k];
            int count = rng.Chance(55) ? 1 + static_cast<int>(rng.Below(2)) : 0;
            if (customers[m.index].store_id &&
                (*customers[m.index].store_id == guide_sh_store || *customers[m.index].store_id == guide_bj_store)) {
                count += 1;  // the demo guides always find coupons to redeem
            }
            for (int n = 0; n < count; ++n) {
                int64_t tpl = n == 0 && m.at > now - 75 * kDayMs ? coupons.welcome : campaign_templates[rng.Below(4)];
                TimeMs at = std::max(m.at, now - static_cast<TimeMs>(1 + rng.Below(75)) * kDayMs);
                if (at >= now) at = now - kHourMs;
                loyalty::Tx tx(c, tenant_id, at);
                loyalty::IssueSource source{"campaign", tpl == coupons.welcome ? "welcome" : "crm-2026"};
                auto out = programme.coupons().IssueIn(tx, tpl, m.id, source);
                if (!out.ok()) continue;  // the per-customer limit of 新人礼
                issued.push_back({(*out)["code"].get<std::string>(), tpl, at, k});
            }
            if (customers[m.index].birthday && rng.Chance(15)) {
                loyalty::Tx tx(c, tenant_id, now - static_cast<TimeMs>(rng.Below(20)) * kDayMs);
                auto out = programme.coupons().IssueIn(tx, coupons.birthday, m.id, {"journey", "birthday"});
                if (out.ok()) issued.push_back({(*out)["code"].get<std::string>(), coupons.birthday, tx.now(), k});
            }
        }
        return Status::Ok();
    }));
    // The redemptions, exchanges, top-ups and purchases below are one operation each, as at the
    // till; a batch commits them together so that loading takes seconds, not one fsync each.
    int order_no = 0;
    SIYU_RETURN_IF_ERROR(programme.exec().Batch([&]() -> Status {
        for (const Issued& coupon : issued) {
            if (!rng.Chance(45)) continue;
            TimeMs at = coupon.at + static_cast<TimeMs>(1 + rng.Below(10)) * kDayMs / 2;
            if (at >= now - kHourMs) continue;
            const Registered& m = members[coupon.member];
            std::optional<int64_t> store = customers[m.index].store_id;
            loyalty::RedeemInput in;
            in.code = coupon.code;
            in.order_id = "C" + std::to_string(++order_no);
            in.store_id = store;
            const DemoProduct& p = kProducts[rng.Below(std::size(kProducts))];
            int64_t quantity = 1 + static_cast<int64_t>(rng.Below(3));
            in.lines.push_back({coupon.template_id == coupons.skin_care ? "SK-001" : p.id,
                                coupon.template_id == coupons.skin_care ? "护肤" : p.category,
                                coupon.template_id == coupons.skin_care ? 29900 : p.price, quantity});
            in.order_amount = in.lines[0].price * quantity;
            if (coupon.template_id == coupons.shipping) in.shipping_fee = 1000;
            clock.now = at;
            auto out = programme.coupons().Redeem(
                loyalty::Request{tenant_id, std::nullopt, in.order_id, actor_for(store)}, in);
            (void)out;  // an order below a threshold is refused, as at the till
        }
        return Status::Ok();
    }));

    // Points mall exchanges, top-ups and spending of stored value, paid memberships.
    SIYU_RETURN_IF_ERROR(programme.exec().Batch([&]() -> Status {
        for (size_t k = 0; k < members.size(); ++k) {
            const Registered& m = members[k];
            const auth::Actor& staff = actor_for(customers[m.index].store_id);
            TimeMs at = now - static_cast<TimeMs>(1 + rng.Below(60)) * kDayMs;
            if (at <= m.at) continue;
            clock.now = at;
            loyalty::Request r{tenant_id, std::nullopt, "demo-" + std::to_string(k), staff};
            if (rng.Chance(12)) {
                auto out = programme.mall().Exchange(r, mall_items[rng.Below(mall_items.size())], m.id, 1);
                (void)out;  // not enough points, or the limit: as in the shop
            }
            if (rng.Chance(10)) {
                loyalty::TopupInput in;
                in.customer_id = m.id;
                in.offer_id = offers[rng.Below(offers.size())];
                in.payment_ref = "WX" + std::to_string(seed % 100000) + std::to_string(k);
                SIYU_RETURN_IF_ERROR(CheckOutcome(programme.stored_value().Topup(r, in), "top-up"));
                if (rng.Chance(60)) {
                    clock.now = at + static_cast<TimeMs>(1 + rng.Below(20)) * kDayMs / 2;
                    if (clock.now >= now) clock.now = now - kMinuteMs;
                    loyalty::SpendInput spend;
                    spend.customer_id = m.id;
                    spend.amount = (10 + static_cast<int64_t>(rng.Below(40))) * 1000;
                    spend.order_id = "S" + std::to_string(m.id);
                    SIYU_RETURN_IF_ERROR(CheckOutcome(programme.stored_value().Spend(r, spend), "stored value spend"));
                }
            }
            if (rng.Chance(4)) {
                // One in five bought the quarter plan about 80 days ago, so theirs ends within days
                // (the store managers' list of paid memberships about to end has work on it).
                int64_t days_ago = static_cast<int64_t>(rng.Below(300));
                const bool quarter = days_ago % 5 == 0;
                if (quarter) days_ago = 80 + (days_ago / 5) % 10;
                clock.now = now - days_ago * kDayMs;
                if (clock.now <= m.at) clock.now = m.at + kHourMs;
                loyalty::PurchaseInput in;
                in.customer_id = m.id;
                in.plan_id = quarter ? quarter_plan : paid_plan;
                in.order_id = "P" + std::to_string(m.id);
                SIYU_RETURN_IF_ERROR(CheckOutcome(programme.paid().Purchase(r, in), "paid membership"));
            }
        }
        return Status::Ok();
    }));
    // The events of the points movements, before the engine loads the events.
    return programme.ProjectLedger();
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
    std::map<std::string, auth::Actor> user_actors;
    for (const auto& u : users) {
        auth::NewMember m{u.email, u.name, u.role, kDemoPassword, u.stores};
        SIYU_ASSIGN_OR_RETURN(auto member, accounts->AddMember(tenant.id, m, actor));
        user_actors[u.email] = auth::Actor{"user", member.user_id, member.email, ""};
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
        c.name = std::string(rng.Pick(kSurnames)) + (female ? rng.Pick(kGivenFemale) : rng.Pick(kGivenMale));
        char phone[16];
        std::snprintf(phone, sizeof(phone), "+86%s%04d%04d", rng.Pick(kMobilePrefixes), i % 10000,
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
        std::string channel = rng.Pick(kChannels);
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
    std::vector<DemoHistory> histories;
    SIYU_ASSIGN_OR_RETURN(summary.events, AddDemoEvents(db, tenant.id, batch, rng, now, &histories));
    SIYU_RETURN_IF_ERROR(AddDemoAudience(db, accounts, tenant.id, batch, histories, user_actors, store_by_code["SH-JA"],
                                         store_by_code["BJ-SLT"], seed, now));
    SIYU_RETURN_IF_ERROR(AddDemoLoyalty(db, tenant.id, batch, histories, user_actors, store_by_code["SH-JA"],
                                        store_by_code["BJ-SLT"], seed, now));
    return summary;
}

}  // namespace siyu::cli
