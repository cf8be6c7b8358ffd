#include "cli/gen_command.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "cli/command_support.h"

namespace siyu::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The fixed "now" of every generated tenant: 2026-07-01T00:00:00Z. Events fall in the two
// years before it; some customers registered up to a year earlier.
constexpr TimeMs kNow = 1'782'864'000'000;
constexpr TimeMs kSecond = 1000;
constexpr TimeMs kHour = 3600 * kSecond;
constexpr TimeMs kDay = 24 * kHour;
constexpr TimeMs kSpanStart = kNow - 730 * kDay;
constexpr int kFormatVersion = 1;

// --- Randomness ------------------------------------------------------------------------------

uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// splitmix64: small, fast and the same everywhere. One independent stream per (seed, purpose,
// index), so that a customer's data depends on nothing generated before it.
class Rng {
  public:
    Rng(uint64_t seed, uint64_t stream, uint64_t index)
        : state_(Mix(seed ^ Mix(stream * 0x9E3779B97F4A7C15ULL + Mix(index + 0x632BE59BD9B4E019ULL)))) {}

    uint64_t Next() {
        state_ += 0x9E3779B97F4A7C15ULL;
        return Mix(state_);
    }
    // Uniform in [0, n).
    uint64_t Below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64); }
    // Uniform in [lo, hi].
    int64_t Between(int64_t lo, int64_t hi) {
        return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1)));
    }
    // Uniform in [0, 1), 53 bits.
    double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
    bool Chance(double p) { return Unit() < p; }
    // An index into `weights`, with probability proportional to its weight.
    template <size_t N>
    size_t Pick(const std::array<uint32_t, N>& weights) {
        uint64_t total = 0;
        for (uint32_t w : weights) total += w;
        uint64_t x = Below(total);
        for (size_t i = 0; i < N; ++i) {
            if (x < weights[i]) return i;
            x -= weights[i];
        }
        return N - 1;
    }

  private:
    uint64_t state_;
};

enum Stream : uint64_t { kCounts = 1, kStores = 2, kCustomer = 3 };

// --- The brand's world ----------------------------------------------------------------------

struct Region {
    const char* name;
    std::array<const char*, 5> cities;  // nullptr-padded
    uint32_t weight;
};
constexpr std::array<Region, 6> kRegions = {{
    {"华东", {"上海", "杭州", "南京", "苏州", "宁波"}, 30},
    {"华北", {"北京", "天津", "济南", "青岛", "石家庄"}, 20},
    {"华南", {"广州", "深圳", "厦门", "福州", "南宁"}, 20},
    {"华中", {"武汉", "长沙", "郑州", "合肥", nullptr}, 12},
    {"西南", {"成都", "重庆", "昆明", "贵阳", nullptr}, 12},
    {"西北", {"西安", "兰州", "银川", nullptr, nullptr}, 6},
}};

size_t CityCount(const Region& r) {
    size_t n = 0;
    while (n < r.cities.size() && r.cities[n] != nullptr) ++n;
    return n;
}

struct Category {
    const char* name;
    int64_t min_yuan, max_yuan;  // list prices
};
constexpr std::array<Category, 5> kCategories = {{
    {"护肤", 99, 1299},
    {"彩妆", 59, 699},
    {"香水", 299, 1999},
    {"个护", 29, 299},
    {"母婴", 39, 599},
}};
// How many customers prefer each category, and how views spread over them.
constexpr std::array<uint32_t, 5> kCategoryWeights = {35, 25, 10, 20, 10};
constexpr int64_t kProductsPerCategory = 1000;

int64_t ProductId(size_t category, int64_t k) { return static_cast<int64_t>(category + 1) * 10'000 + k; }

// A product's list price in yuan, fixed by its id: x9 prices such as 199 or 1,299.
int64_t PriceYuan(size_t category, int64_t product_id) {
    const Category& c = kCategories[category];
    auto steps = static_cast<uint64_t>((c.max_yuan - c.min_yuan) / 10 + 1);
    return c.min_yuan / 10 * 10 + static_cast<int64_t>(Mix(static_cast<uint64_t>(product_id)) % steps) * 10 + 9;
}

struct Tag {
    const char* group;
    const char* name;
};
// Tags 1-5 are the interests, in the order of kCategories.
constexpr std::array<Tag, 40> kTags = {{
    {"兴趣", "护肤爱好者"}, {"兴趣", "彩妆爱好者"}, {"兴趣", "香水爱好者"}, {"兴趣", "个护爱好者"},
    {"兴趣", "母婴人群"},   {"肤质", "干皮"},       {"肤质", "油皮"},       {"肤质", "混合皮"},
    {"肤质", "敏感肌"},     {"渠道", "小程序"},     {"渠道", "企业微信"},   {"渠道", "门店扫码"},
    {"渠道", "天猫"},       {"渠道", "抖音"},       {"渠道", "小红书"},     {"活动", "618参与"},
    {"活动", "双11参与"},   {"活动", "会员日参与"}, {"活动", "新品试用"},   {"活动", "直播间"},
    {"价值", "高潜客户"},   {"价值", "VIP"},        {"价值", "价格敏感"},   {"价值", "高客单"},
    {"价值", "复购客户"},   {"风险", "沉睡风险"},   {"风险", "投诉记录"},   {"风险", "退货较多"},
    {"年龄", "00后"},       {"年龄", "90后"},       {"年龄", "80后"},       {"年龄", "70后"},
    {"偏好", "偏好优惠券"}, {"偏好", "偏好新品"},   {"偏好", "偏好礼盒"},   {"偏好", "偏好小样"},
    {"社群", "社群活跃"},   {"社群", "社群沉默"},   {"社群", "导购专属"},   {"社群", "线下活动"},
}};

constexpr std::array<const char*, 4> kMemberLevels = {"普通会员", "银卡会员", "金卡会员", "钻石会员"};

enum EventName : uint8_t {
    kPageViewed,
    kProductViewed,
    kProductAdded,
    kOrderCompleted,
    kCouponRedeemed,
    kGroupJoined,
};
constexpr std::array<const char*, 6> kEventNames = {"Page Viewed",     "Product Viewed",  "Product Added",
                                                    "Order Completed", "Coupon Redeemed", "Group Joined"};

struct Store {
    int64_t id;
    int64_t parent_id;  // 0: none
    const char* kind;
    std::string name;
    const char* city;
};

// HQ (id 1), one store per region (ids 2-7), then the shops, each under its region.
std::vector<Store> MakeStores(uint64_t seed, int64_t shops) {
    std::vector<Store> out;
    out.push_back({1, 0, "hq", "总部", "上海"});
    for (size_t r = 0; r < kRegions.size(); ++r) {
        out.push_back(
            {static_cast<int64_t>(2 + r), 1, "region", std::string(kRegions[r].name) + "大区", kRegions[r].cities[0]});
    }
    std::array<uint32_t, kRegions.size()> region_weights{};
    for (size_t r = 0; r < kRegions.size(); ++r) region_weights[r] = kRegions[r].weight;
    std::vector<std::vector<int>> per_city(kRegions.size(), std::vector<int>(5, 0));
    Rng rng(seed, kStores, 0);
    for (int64_t i = 0; i < shops; ++i) {
        size_t r = rng.Pick(region_weights);
        size_t cities = CityCount(kRegions[r]);
        // Earlier cities in the list are bigger: u² skews towards them.
        double u = rng.Unit();
        auto c = static_cast<size_t>(u * u * static_cast<double>(cities));
        int number = ++per_city[r][c];
        out.push_back({static_cast<int64_t>(out.size() + 1), static_cast<int64_t>(2 + r), "store",
                       std::string(kRegions[r].cities[c]) + std::to_string(number) + "号店", kRegions[r].cities[c]});
    }
    return out;
}

// --- Output ---------------------------------------------------------------------------------

// A CSV file written through a large buffer. Values never contain commas, quotes or line
// breaks, so nothing is quoted.
class CsvOut {
  public:
    CsvOut(const fs::path& path, std::string_view header) : path_(path.string()) {
        file_ = std::fopen(path_.c_str(), "wb");
        if (file_ == nullptr) Fail("cannot write " + path_);
        buffer_.resize(kBufferSize);
        Raw(header);
        End();
    }
    ~CsvOut() {
        if (file_ != nullptr) std::fclose(file_);
    }
    CsvOut(const CsvOut&) = delete;
    CsvOut& operator=(const CsvOut&) = delete;

    CsvOut& Int(int64_t v) {
        Separate();
        Reserve(24);
        auto r = std::to_chars(buffer_.data() + used_, buffer_.data() + buffer_.size(), v);
        used_ = static_cast<size_t>(r.ptr - buffer_.data());
        return *this;
    }
    CsvOut& Str(std::string_view s) {
        Separate();
        Raw(s);
        return *this;
    }
    CsvOut& Empty() {
        Separate();
        return *this;
    }
    void End() {
        Reserve(1);
        buffer_[used_++] = '\n';
        first_ = true;
        ++rows_;
    }
    // Data rows written (the header is not one).
    int64_t rows() const { return rows_ - 1; }

    void Close() {
        Flush();
        if (std::fclose(file_) != 0) Fail("cannot write " + path_);
        file_ = nullptr;
    }

  private:
    static constexpr size_t kBufferSize = 1 << 20;

    void Separate() {
        if (!first_) {
            Reserve(1);
            buffer_[used_++] = ',';
        }
        first_ = false;
    }
    void Raw(std::string_view s) {
        Reserve(s.size());
        std::copy(s.begin(), s.end(), buffer_.data() + used_);
        used_ += s.size();
    }
    void Reserve(size_t n) {
        if (used_ + n <= buffer_.size()) return;
        Flush();
        if (n > buffer_.size()) buffer_.resize(n);
    }
    void Flush() {
        if (used_ > 0 && std::fwrite(buffer_.data(), 1, used_, file_) != used_) Fail("cannot write " + path_);
        used_ = 0;
    }

    std::string path_;
    FILE* file_ = nullptr;
    std::vector<char> buffer_;
    size_t used_ = 0;
    bool first_ = true;
    int64_t rows_ = 0;
};

std::string WithCommas(int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return n < 0 ? "-" + out : out;
}

// --- Customers and their behaviour ------------------------------------------------------------

// Events per customer: a quarter are members who barely do anything (0-3 events); the rest
// follow a Lomax (Pareto II) law with shape 2 — median about 0.4 of the mean, one customer in
// a thousand above 30 times it — capped at 100 times the mean. Then single events are added
// to or taken from random customers until the total is exactly customers × mean.
std::vector<uint32_t> EventCounts(uint64_t seed, int64_t customers, double mean) {
    std::vector<uint32_t> counts(static_cast<size_t>(customers));
    Rng rng(seed, kCounts, 0);
    double scale = std::max(1.0, (mean - 0.375) / (0.75 * 0.99));
    auto cap = static_cast<uint32_t>(std::max(100.0, 100.0 * mean));
    int64_t total = 0;
    for (auto& n : counts) {
        if (rng.Chance(0.25)) {
            n = static_cast<uint32_t>(rng.Below(4));
        } else {
            double x = scale * (1.0 / std::sqrt(1.0 - rng.Unit()) - 1.0);
            n = x >= cap ? cap : static_cast<uint32_t>(x);
        }
        total += n;
    }
    auto target = static_cast<int64_t>(static_cast<double>(customers) * mean + 0.5);
    while (total < target) {
        auto& n = counts[rng.Below(counts.size())];
        if (n == 0 || n >= cap) continue;  // keep the inactive inactive
        ++n;
        ++total;
    }
    while (total > target) {
        auto& n = counts[rng.Below(counts.size())];
        if (n == 0) continue;
        --n;
        --total;
    }
    return counts;
}

struct Event {
    EventName name;
    int8_t category = -1;  // index into kCategories
    int64_t product_id = 0;
    int64_t revenue = -1;  // minor units
    bool starts_session = false;
};

// A customer's habits, drawn once.
struct Habits {
    size_t favourite = 0;  // category
    double add_rate = 0, order_rate = 0, coupon_rate = 0, return_rate = 0;
};

class CustomerWriter {
  public:
    CustomerWriter(uint64_t seed, const std::vector<Store>& stores, int64_t first_shop, const fs::path& out)
        : seed_(seed),
          stores_(stores),
          first_shop_(first_shop),
          customers_(out / "customers.csv",
                     "id,created_at,store_id,gender,birthday,city,member_level,has_phone,has_wecom"),
          customer_tags_(out / "customer_tags.csv", "customer_id,tag_id"),
          events_(out / "events.csv", "customer_id,ts,name,category,product_id,revenue") {
        for (size_t i = 0; i < kCategories.size(); ++i) category_names_[i] = kCategories[i].name;
    }

    void Write(int64_t id, uint32_t event_count) {
        Rng rng(seed_, kCustomer, static_cast<uint64_t>(id));
        Habits habits;
        habits.favourite = rng.Pick(kCategoryWeights);
        double buyer = rng.Unit();
        habits.add_rate = 0.08 + 0.30 * buyer;
        habits.order_rate = 0.25 + 0.50 * rng.Unit();
        habits.coupon_rate = 0.30 * rng.Unit();
        habits.return_rate = 0.20 + 0.40 * rng.Unit();
        TimeMs created_at = WriteProfile(id, event_count, rng);
        WriteTags(id, event_count, habits, rng);
        WriteEvents(id, event_count, created_at, habits, rng);
    }

    void Close() {
        customers_.Close();
        customer_tags_.Close();
        events_.Close();
    }

    int64_t customers() const { return customers_.rows(); }
    int64_t customer_tags() const { return customer_tags_.rows(); }
    int64_t events() const { return events_.rows(); }
    int64_t orders() const { return orders_; }

  private:
    TimeMs WriteProfile(int64_t id, uint32_t event_count, Rng& rng) {
        TimeMs created_at;
        if (rng.Chance(0.2)) {
            created_at = kSpanStart - 365 * kDay + static_cast<TimeMs>(rng.Below(365 * kDay));
        } else {
            // Growth: more members joined recently (density rising linearly over the span).
            double u = std::sqrt(rng.Unit());
            created_at = kSpanStart + static_cast<TimeMs>(u * static_cast<double>(kNow - 2 * kDay - kSpanStart));
        }
        // Heavy customers have been members for a while.
        if (event_count > 200) created_at = std::min(created_at, kNow - 180 * kDay - rng.Between(0, 365) * kDay);

        int64_t store_id = 0;
        const char* city;
        if (rng.Chance(0.9)) {
            double u = rng.Unit();
            auto shops = static_cast<double>(stores_.size()) - static_cast<double>(first_shop_ - 1);
            const Store& s =
                stores_[static_cast<size_t>(first_shop_ - 1 + static_cast<int64_t>(u * std::sqrt(u) * shops))];
            store_id = s.id;
            city = rng.Chance(0.85) ? s.city : RandomCity(rng);
        } else {
            city = RandomCity(rng);
        }

        double g = rng.Unit();
        const char* gender = g < 0.72 ? "female" : g < 0.92 ? "male" : "";
        char birthday[16] = "";
        if (rng.Chance(0.65)) {
            auto year = static_cast<int>(rng.Between(1965, 2005));
            auto month = static_cast<int>(rng.Between(1, 12));
            static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            int days = kDays[month - 1] + (month == 2 && year % 4 == 0 ? 1 : 0);
            std::snprintf(birthday, sizeof(birthday), "%04d-%02d-%02d", year, month,
                          static_cast<int>(rng.Between(1, days)));
        }

        double l = rng.Unit();
        size_t level = 0;
        if (event_count >= 150 && l < 0.5) {
            level = 3;
        } else if (event_count >= 60 && l < 0.6) {
            level = 2;
        } else if (l < 0.22) {
            level = 1;
        } else if (l < 0.27) {
            level = 2;
        } else if (l < 0.28) {
            level = 3;
        }
        bool phone = rng.Chance(0.88);
        bool wecom = rng.Chance(event_count > 40 ? 0.65 : 0.35);

        customers_.Int(id).Int(created_at);
        store_id > 0 ? customers_.Int(store_id) : customers_.Empty();
        customers_.Str(gender).Str(birthday).Str(city).Str(kMemberLevels[level]).Int(phone).Int(wecom).End();
        return created_at;
    }

    static const char* RandomCity(Rng& rng) {
        std::array<uint32_t, kRegions.size()> weights{};
        for (size_t r = 0; r < kRegions.size(); ++r) weights[r] = kRegions[r].weight;
        const Region& region = kRegions[rng.Pick(weights)];
        return region.cities[rng.Below(CityCount(region))];
    }

    void WriteTags(int64_t id, uint32_t event_count, const Habits& habits, Rng& rng) {
        double u = rng.Unit();
        int n = u < 0.30   ? 0
                : u < 0.75 ? static_cast<int>(rng.Between(1, 3))
                : u < 0.95 ? static_cast<int>(rng.Between(4, 8))
                           : static_cast<int>(rng.Between(9, 15));
        uint64_t chosen = 0;  // bit i: tag i + 1
        if (event_count > 0 && rng.Chance(0.6)) chosen |= 1ULL << habits.favourite;
        for (int i = 0; i < n; ++i) {
            // Skewed towards the first tags of the list: u².
            double v = rng.Unit();
            chosen |= 1ULL << static_cast<size_t>(v * v * static_cast<double>(kTags.size()));
        }
        for (size_t t = 0; t < kTags.size(); ++t) {
            if (chosen & (1ULL << t)) customer_tags_.Int(id).Int(static_cast<int64_t>(t + 1)).End();
        }
    }

    Event Product(EventName name, size_t category, int64_t product_id) {
        Event e{name};
        e.category = static_cast<int8_t>(category);
        e.product_id = product_id;
        return e;
    }

    void Order(size_t category, int64_t product_id, const Habits& habits, Rng& rng) {
        Event e = Product(kOrderCompleted, category, product_id);
        double q = rng.Unit();
        int64_t quantity = q < 0.8 ? 1 : q < 0.95 ? 2 : 3;
        int64_t yuan = PriceYuan(category, product_id) * quantity;
        bool coupon = rng.Chance(habits.coupon_rate);
        if (coupon) yuan = std::max<int64_t>(1, yuan - std::array<int64_t, 3>{20, 30, 50}[rng.Below(3)]);
        e.revenue = yuan * 100;
        buffer_.push_back(e);
        if (coupon) buffer_.push_back(Event{kCouponRedeemed});
    }

    // The customer's event sequence (sessions of the view → add → order funnel), then times.
    void WriteEvents(int64_t id, uint32_t n, TimeMs created_at, const Habits& habits, Rng& rng) {
        buffer_.clear();
        int64_t cart = 0;  // product added but not ordered
        size_t cart_category = 0;
        bool joined = false;
        while (buffer_.size() < n) {
            size_t session_start = buffer_.size();
            if (cart != 0 && rng.Chance(habits.return_rate)) {
                // Comes back to buy what is in the cart.
                Order(cart_category, cart, habits, rng);
                cart = 0;
            } else {
                for (int64_t p = rng.Between(1, 3); p > 0; --p) buffer_.push_back(Event{kPageViewed});
                for (int64_t v = rng.Between(0, 4); v > 0; --v) {
                    size_t category = rng.Chance(0.7) ? habits.favourite : rng.Pick(kCategoryWeights);
                    double u = rng.Unit();
                    int64_t product = ProductId(category, static_cast<int64_t>(u * u * u * kProductsPerCategory));
                    buffer_.push_back(Product(kProductViewed, category, product));
                    if (!rng.Chance(habits.add_rate)) continue;
                    buffer_.push_back(Product(kProductAdded, category, product));
                    if (rng.Chance(habits.order_rate)) {
                        Order(category, product, habits, rng);
                    } else {
                        cart = product;
                        cart_category = category;
                    }
                }
                if (rng.Chance(joined ? 0.002 : 0.03)) {
                    buffer_.push_back(Event{kGroupJoined});
                    joined = true;
                }
            }
            buffer_[session_start].starts_session = true;
        }
        buffer_.resize(n);
        if (n == 0) return;

        // Active from registration (or the start of the span) until now, or, for a third of
        // them, until they lapsed.
        TimeMs start = std::max(created_at, kSpanStart) + rng.Between(60, 3600) * kSecond;
        TimeMs end = kNow - kHour;
        if (rng.Chance(0.35)) {
            end = start + static_cast<TimeMs>((0.2 + 0.8 * rng.Unit()) * static_cast<double>(end - start));
        }
        session_times_.clear();
        for (const Event& e : buffer_) {
            if (e.starts_session) session_times_.push_back(start + static_cast<TimeMs>(rng.Below(end - start)));
        }
        std::sort(session_times_.begin(), session_times_.end());
        size_t session = 0;
        TimeMs ts = 0;
        for (const Event& e : buffer_) {
            ts = e.starts_session ? std::max(session_times_[session++], ts + kSecond)
                                  : ts + rng.Between(3 * kSecond, 180 * kSecond);
            ts += static_cast<TimeMs>(rng.Below(kSecond));
            if (ts >= kNow) break;  // never in practice: sessions start an hour before now at the latest
            events_.Int(id).Int(ts).Str(kEventNames[e.name]);
            if (e.category >= 0) {
                events_.Str(category_names_[static_cast<size_t>(e.category)]).Int(e.product_id);
            } else {
                events_.Empty().Empty();
            }
            e.revenue >= 0 ? events_.Int(e.revenue) : events_.Empty();
            events_.End();
            if (e.name == kOrderCompleted) ++orders_;
        }
    }

    uint64_t seed_;
    const std::vector<Store>& stores_;
    int64_t first_shop_;
    CsvOut customers_, customer_tags_, events_;
    std::array<const char*, kCategories.size()> category_names_{};
    std::vector<Event> buffer_;
    std::vector<TimeMs> session_times_;
    int64_t orders_ = 0;
};

struct SizeDefaults {
    const char* name;
    int64_t customers;
};
constexpr std::array<SizeDefaults, 3> kSizes = {{{"tiny", 20'000}, {"small", 1'000'000}, {"large", 10'000'000}}};
constexpr double kDefaultEventsPerCustomer = 30;

int Run(const GenFlags& flags) {
    auto size = std::find_if(kSizes.begin(), kSizes.end(), [&](const SizeDefaults& s) { return flags.size == s.name; });
    if (size == kSizes.end()) Fail("gen: --size must be tiny, small or large");
    int64_t customers = flags.customers > 0 ? flags.customers : size->customers;
    double mean = flags.events_per_customer > 0 ? flags.events_per_customer : kDefaultEventsPerCustomer;
    fs::path out(flags.out);
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) Fail("gen: cannot create " + flags.out + ": " + ec.message());

    auto started = Clock::now();
    int64_t shops = std::clamp<int64_t>(customers / 4000, 24, 5000);
    std::vector<Store> stores = MakeStores(flags.seed, shops);
    {
        CsvOut file(out / "stores.csv", "id,parent_id,kind,name,city");
        for (const Store& s : stores) {
            file.Int(s.id);
            s.parent_id > 0 ? file.Int(s.parent_id) : file.Empty();
            file.Str(s.kind).Str(s.name).Str(s.city).End();
        }
        file.Close();
        CsvOut tags(out / "tags.csv", "id,group,name");
        for (size_t t = 0; t < kTags.size(); ++t) {
            tags.Int(static_cast<int64_t>(t + 1)).Str(kTags[t].group).Str(kTags[t].name).End();
        }
        tags.Close();
    }

    std::vector<uint32_t> counts = EventCounts(flags.seed, customers, mean);
    CustomerWriter writer(flags.seed, stores, 2 + static_cast<int64_t>(kRegions.size()), out);
    bool tty = ::isatty(STDERR_FILENO);
    auto last = Clock::now();
    for (int64_t id = 1; id <= customers; ++id) {
        writer.Write(id, counts[static_cast<size_t>(id - 1)]);
        if (flags.no_progress || (id & 0xFFF) != 0) continue;
        auto now = Clock::now();
        if (now - last < std::chrono::seconds(tty ? 1 : 5)) continue;
        last = now;
        double seconds = std::chrono::duration<double>(now - started).count();
        std::fprintf(stderr, "%ssiyu gen: %s / %s customers, %s events, %.1f M events/s%s", tty ? "\r" : "",
                     WithCommas(id).c_str(), WithCommas(customers).c_str(), WithCommas(writer.events()).c_str(),
                     static_cast<double>(writer.events()) / seconds / 1e6, tty ? "\033[K" : "\n");
    }
    writer.Close();
    if (tty && !flags.no_progress) std::fputs("\r\033[K", stderr);
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();

    FILE* meta = std::fopen((out / "meta.json").string().c_str(), "wb");
    if (meta == nullptr) Fail("gen: cannot write meta.json");
    std::fprintf(meta,
                 "{\n  \"format\": %d,\n  \"size\": \"%s\",\n  \"seed\": %llu,\n  \"tenant_id\": 1,\n"
                 "  \"time_zone\": \"Asia/Shanghai\",\n  \"now_ms\": %lld,\n  \"now\": \"%s\",\n"
                 "  \"events_per_customer\": %g,\n  \"stores\": %zu,\n  \"tags\": %zu,\n  \"customers\": %lld,\n"
                 "  \"customer_tags\": %lld,\n  \"events\": %lld,\n  \"orders\": %lld\n}\n",
                 kFormatVersion, flags.size.c_str(), static_cast<unsigned long long>(flags.seed),
                 static_cast<long long>(kNow), FormatRfc3339(kNow).c_str(), mean, stores.size(), kTags.size(),
                 static_cast<long long>(writer.customers()), static_cast<long long>(writer.customer_tags()),
                 static_cast<long long>(writer.events()), static_cast<long long>(writer.orders()));
    if (std::fclose(meta) != 0) Fail("gen: cannot write meta.json");

    std::printf("customers=%lld\nevents=%lld\norders=%lld\ncustomer_tags=%lld\nstores=%zu\ntags=%zu\n",
                static_cast<long long>(writer.customers()), static_cast<long long>(writer.events()),
                static_cast<long long>(writer.orders()), static_cast<long long>(writer.customer_tags()), stores.size(),
                kTags.size());
    std::printf("now=%s\nseconds=%.3f\nevents_per_second=%.0f\n", FormatRfc3339(kNow).c_str(), seconds,
                static_cast<double>(writer.events()) / seconds);
    return 0;
}

}  // namespace

void AddGenCommand(CLI::App& app, GenFlags* flags) {
    flags->command = app.add_subcommand(
        "gen", "Write a deterministic synthetic tenant (customers, tags, stores, events) as CSV files");
    flags->command->add_option("--size", flags->size, "tiny (20 k customers), small (1 M, default) or large (10 M)");
    flags->command->add_option("--customers", flags->customers, "number of customers (overrides --size)")
        ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
    flags->command
        ->add_option("--events-per-customer", flags->events_per_customer, "mean events per customer (default 30)")
        ->check(CLI::Range(0.01, 10'000.0));
    flags->command->add_option("--seed", flags->seed, "generator seed (default 1)");
    flags->command->add_option("--out", flags->out, "output directory")->required();
    flags->command->add_flag("--no-progress", flags->no_progress, "no progress on stderr");
}

int RunGen(const GenFlags& flags) { return Run(flags); }

}  // namespace siyu::cli
