#include "scrm/live_codes.h"

#include <gtest/gtest.h>

#include "scrm/ownership.h"
#include "scrm/fake_wecom_gateway.h"
#include "scrm/staff.h"
#include "scrm/store_directory.h"
#include "store/test_database.h"

namespace siyu::scrm {
namespace {

using fake::Call;
using FakeWecom = fake::FakeGateway;

// --- Assignment --------------------------------------------------------------------------

std::vector<Candidate> Pool(std::initializer_list<int64_t> adds) {
    std::vector<Candidate> out;
    int64_t i = 0;
    for (int64_t a : adds) {
        out.push_back(Candidate{100 + i, i, a, std::nullopt, std::nullopt});
        ++i;
    }
    return out;
}

TEST(ChooseStaff, RoundRobinTakesTheNextPositionAndWraps) {
    auto pool = Pool({0, 0, 0});
    EXPECT_EQ(ChooseStaff("round_robin", std::nullopt, pool, 0, std::nullopt), 0u);
    EXPECT_EQ(ChooseStaff("round_robin", std::nullopt, pool, 1, std::nullopt), 1u);
    EXPECT_EQ(ChooseStaff("round_robin", std::nullopt, pool, 2, std::nullopt), 2u);
    EXPECT_EQ(ChooseStaff("round_robin", std::nullopt, pool, 3, std::nullopt), 0u);
}

TEST(ChooseStaff, RoundRobinSkipsStaffAtTheDailyCap) {
    auto pool = Pool({0, 5, 1});
    EXPECT_EQ(ChooseStaff("round_robin", 5, pool, 1, std::nullopt), 2u);
}

TEST(ChooseStaff, LeastLoadedTakesFewestAddsThenPoolOrder) {
    EXPECT_EQ(ChooseStaff("least_loaded", std::nullopt, Pool({3, 1, 2}), 0, std::nullopt), 1u);
    EXPECT_EQ(ChooseStaff("least_loaded", std::nullopt, Pool({2, 1, 1}), 0, std::nullopt), 1u);
}

TEST(ChooseStaff, EveryoneAtTheCapGoesToTheLeastLoaded) {
    EXPECT_EQ(ChooseStaff("round_robin", 2, Pool({4, 2, 3}), 0, std::nullopt), 1u);
    EXPECT_EQ(ChooseStaff("nearest_store", 2, Pool({4, 3, 2}), 0, GeoPoint{31.2, 121.4}), 2u);
}

TEST(ChooseStaff, NearestStoreTakesTheClosestStoreAndPutsStaffWithoutOneLast) {
    std::vector<Candidate> pool = {
        {1, 0, 0, std::nullopt, std::nullopt},  // no store
        {2, 1, 0, 39.9042, 116.4074},           // Beijing
        {3, 2, 9, 31.2304, 121.4737},           // Shanghai, busy
        {4, 3, 0, 22.5431, 114.0579},           // Shenzhen
    };
    GeoPoint hangzhou{30.2741, 120.1551};
    EXPECT_EQ(ChooseStaff("nearest_store", std::nullopt, pool, 0, hangzhou), 2u);
    // At the cap the Shanghai store is skipped; Shenzhen is nearer to Hangzhou than Beijing.
    EXPECT_EQ(ChooseStaff("nearest_store", 5, pool, 0, hangzhou), 3u);
    // Without the scanner's location: least loaded.
    EXPECT_EQ(ChooseStaff("nearest_store", std::nullopt, pool, 0, std::nullopt), 0u);
}

TEST(ChooseStaff, NoCandidatesNoPick) {
    EXPECT_FALSE(ChooseStaff("least_loaded", std::nullopt, {}, 0, std::nullopt).has_value());
}

TEST(DistanceMetres, ShanghaiToBeijingIsAbout1070Km) {
    double d = DistanceMetres({31.2304, 121.4737}, {39.9042, 116.4074});
    EXPECT_GT(d, 1'050'000);
    EXPECT_LT(d, 1'090'000);
}

// --- Welcome messages and input ------------------------------------------------------------

TEST(WelcomeMessageBody, ReplacesPlaceholdersAndMapsAttachments) {
    Json welcome = {{"text", "{name}您好，券码 {coupon_code}"},
                    {"attachments",
                     {{{"type", "link"}, {"title", "新人礼"}, {"url", "https://example.com/g"}},
                      {{"type", "image"}, {"media_id", "MEDIA1"}},
                      {{"type", "miniprogram"},
                       {"title", "商城"},
                       {"appid", "wx1"},
                       {"page", "pages/index"},
                       {"pic_media_id", "PIC"}}}}};
    auto body = WelcomeMessageBody(welcome, "WC1", std::string("C0DE"), "小李");
    ASSERT_TRUE(body.has_value());
    EXPECT_EQ((*body)["welcome_code"], "WC1");
    EXPECT_EQ((*body)["text"]["content"], "小李您好，券码 C0DE");
    ASSERT_EQ((*body)["attachments"].size(), 3u);
    EXPECT_EQ((*body)["attachments"][0]["msgtype"], "link");
    EXPECT_EQ((*body)["attachments"][0]["link"]["url"], "https://example.com/g");
    EXPECT_FALSE((*body)["attachments"][0]["link"].contains("type"));
    EXPECT_EQ((*body)["attachments"][1]["image"]["media_id"], "MEDIA1");
    EXPECT_EQ((*body)["attachments"][2]["miniprogram"]["appid"], "wx1");
}

TEST(WelcomeMessageBody, AppendsACouponTheTextDoesNotMention) {
    auto body = WelcomeMessageBody({{"text", "欢迎"}}, "WC", std::string("ABC"), "");
    ASSERT_TRUE(body.has_value());
    EXPECT_EQ((*body)["text"]["content"], "欢迎\n优惠券码：ABC");
}

TEST(WelcomeMessageBody, NothingToSendWithoutTextOrAttachments) {
    EXPECT_FALSE(WelcomeMessageBody(Json::object(), "WC", std::nullopt, "x").has_value());
}

TEST(ParseLiveCodeInput, ErrorsNameTheField) {
    Json ok = {{"name", "门店海报"}, {"channel", "poster"}, {"staff_ids", {1, 2}}};
    EXPECT_TRUE(ParseLiveCodeInput(ok, true).ok());
    auto field = [&](Json patch) {
        Json b = ok;
        b.merge_patch(patch);
        return ParseLiveCodeInput(b, true).status().field();
    };
    EXPECT_EQ(field({{"channel", "tv"}}), "channel");
    EXPECT_EQ(field({{"staff_ids", Json::array()}}), "staff_ids");
    EXPECT_EQ(field({{"staff_ids", {1, 1}}}), "staff_ids[1]");
    EXPECT_EQ(field({{"assign_mode", "random"}}), "assign_mode");
    EXPECT_EQ(field({{"daily_cap", 0}}), "daily_cap");
    EXPECT_EQ(field({{"welcome", {{"attachments", {{{"type", "link"}, {"title", "t"}, {"url", "ftp://x"}}}}}}}),
              "welcome.attachments[0].url");
    EXPECT_EQ(field({{"welcome", {{"attachments", {{{"type", "image"}}}}}}}), "welcome.attachments[0].media_id");
    EXPECT_EQ(field({{"valid_from", "2026-02-01T00:00:00Z"}, {"valid_to", "2026-01-01T00:00:00Z"}}), "valid_to");
    EXPECT_EQ(field({{"colour", "red"}}), "colour");
    Json missing = {{"channel", "poster"}, {"staff_ids", {1}}};
    EXPECT_EQ(ParseLiveCodeInput(missing, true).status().field(), "name");
    EXPECT_TRUE(ParseLiveCodeInput(Json{{"status", "disabled"}}, false).ok());
}

// --- Storage, the contact way outbox and the landing -----------------------------------------

class LiveCodesTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("live_codes_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        staff_ = std::make_unique<StaffDirectory>(db_.get(), &wecom_.gateway);
        codes_ = std::make_unique<LiveCodes>(db_.get(), &wecom_.gateway);
        int n = 0;
        wecom_.handlers["/cgi-bin/externalcontact/add_contact_way"] = [n](const Json* body, const Query&) mutable {
            ++n;
            std::string user = (*body)["user"][0].get<std::string>();
            return Result<Json>(Json{{"config_id", "cfg-" + user + "-" + std::to_string(n)},
                                     {"qr_code", "https://wework.example/qr/" + user}});
        };
        wecom_.handlers["/cgi-bin/externalcontact/update_contact_way"] = [](const Json*, const Query&) {
            return Result<Json>(Json::object());
        };
        wecom_.handlers["/cgi-bin/externalcontact/del_contact_way"] = [](const Json*, const Query&) {
            return Result<Json>(Json::object());
        };
    }

    std::vector<int64_t> AddStaff(std::vector<std::string> userids, std::vector<std::optional<int64_t>> stores = {}) {
        std::vector<StaffRecord> rows;
        for (size_t i = 0; i < userids.size(); ++i) {
            StaffRecord r;
            r.userid = userids[i];
            r.name = userids[i];
            if (i < stores.size()) r.store_id = stores[i];
            rows.push_back(r);
        }
        EXPECT_TRUE(staff_->Import(1, rows, actor_).ok());
        std::vector<int64_t> ids;
        auto list = staff_->List(1, StaffFilter{}).value();
        for (const auto& s : list) ids.push_back(s.id);
        return ids;
    }

    LiveCode Create(Json body) {
        auto in = ParseLiveCodeInput(body, true);
        EXPECT_TRUE(in.ok()) << in.status().ToString();
        auto code = codes_->Create(1, in.value(), actor_);
        EXPECT_TRUE(code.ok()) << code.status().ToString();
        return code.ok() ? code.value() : LiveCode{};
    }

    // Delivers every contact way message not delivered yet.
    void DeliverContactWays() {
        auto messages = wecom_.Messages(kContactWayKind);
        for (size_t i = delivered_; i < messages.size(); ++i) {
            auto d = codes_->Deliver(wecom_.AsOutbox(messages[i]));
            EXPECT_EQ(d.kind, channels::Delivery::Kind::kDone) << d.error;
        }
        delivered_ = messages.size();
    }

    void AddOwner(int64_t staff_id, const std::string& external, TimeMs at) {
        ASSERT_TRUE(db_->Write([&](store::Connection& c) -> Status {
                           OwnerRecord r;
                           r.customer_id = 1;
                           r.staff_id = staff_id;
                           r.external_userid = external;
                           r.added_at = at;
                           return Ownership::UpsertIn(c, 1, r).status();
                       })
                        .ok());
    }

    std::unique_ptr<store::Database> db_;
    FakeWecom wecom_;
    std::unique_ptr<StaffDirectory> staff_;
    std::unique_ptr<LiveCodes> codes_;
    auth::Actor actor_;
    size_t delivered_ = 0;
};

TEST_F(LiveCodesTest, CreateQueuesAContactWayPerStaffMemberAndDeliveryStoresTheQrCode) {
    auto ids = AddStaff({"zhang", "li"});
    LiveCode code = Create({{"name", "海报"}, {"channel", "poster"}, {"staff_ids", ids}, {"skip_verify", false}});
    EXPECT_EQ(code.SyncStatus(), "pending");
    ASSERT_EQ(wecom_.Messages(kContactWayKind).size(), 2u);
    DeliverContactWays();
    ASSERT_EQ(wecom_.CallCount("/cgi-bin/externalcontact/add_contact_way"), 2);
    const Call& call = wecom_.calls.front();
    EXPECT_EQ(call.body["type"], 1);
    EXPECT_EQ(call.body["state"], "lc" + std::to_string(code.id));
    EXPECT_EQ(call.body["skip_verify"], false);
    LiveCode after = codes_->Get(1, code.id).value();
    EXPECT_EQ(after.SyncStatus(), "ready");
    ASSERT_EQ(after.staff.size(), 2u);
    EXPECT_EQ(after.staff[0].qr_code, "https://wework.example/qr/zhang");
    EXPECT_TRUE(after.staff[1].config_id.has_value());
    // Delivering the same message again updates the existing way instead of adding another.
    auto again = codes_->Deliver(wecom_.AsOutbox(wecom_.Messages(kContactWayKind)[0]));
    EXPECT_EQ(again.kind, channels::Delivery::Kind::kDone);
    EXPECT_EQ(wecom_.CallCount("/cgi-bin/externalcontact/add_contact_way"), 2);
    EXPECT_EQ(wecom_.CallCount("/cgi-bin/externalcontact/update_contact_way"), 1);
}

TEST_F(LiveCodesTest, AWecomErrorMarksThePoolMemberFailed) {
    auto ids = AddStaff({"zhang"});
    wecom_.handlers["/cgi-bin/externalcontact/add_contact_way"] = [](const Json*, const Query&) {
        return Result<Json>(Status::Upstream("WeCom errcode 41054: user not activated"));
    };
    LiveCode code = Create({{"name", "x"}, {"channel", "ad"}, {"staff_ids", ids}});
    auto d = codes_->Deliver(wecom_.AsOutbox(wecom_.Messages(kContactWayKind)[0]));
    EXPECT_EQ(d.kind, channels::Delivery::Kind::kFail);
    LiveCode after = codes_->Get(1, code.id).value();
    EXPECT_EQ(after.SyncStatus(), "failed");
    EXPECT_EQ(after.staff[0].sync_error, "WeCom errcode 41054: user not activated");
    EXPECT_EQ(codes_->Land(after.key, std::nullopt).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(LiveCodesTest, UpdateRemovesTheWaysOfDroppedStaffAndDeleteRemovesTheRest) {
    auto ids = AddStaff({"a", "b", "c"});
    LiveCode code = Create({{"name", "x"}, {"channel", "store"}, {"staff_ids", {ids[0], ids[1]}}});
    DeliverContactWays();
    auto patch = ParseLiveCodeInput(Json{{"staff_ids", {ids[1], ids[2]}}}, false).value();
    LiveCode updated = codes_->Update(1, code.id, patch, actor_).value();
    ASSERT_EQ(updated.staff.size(), 2u);
    EXPECT_EQ(updated.staff[0].staff_id, ids[1]);
    EXPECT_EQ(updated.staff[0].sync_status, "ready");
    EXPECT_EQ(updated.staff[1].sync_status, "pending");
    DeliverContactWays();
    EXPECT_EQ(wecom_.CallCount("/cgi-bin/externalcontact/del_contact_way"), 1);
    for (const auto& call : wecom_.calls) {
        if (call.path == "/cgi-bin/externalcontact/del_contact_way") {
            EXPECT_EQ(call.body["config_id"].get<std::string>().rfind("cfg-a-", 0), 0u) << call.body.dump();
        }
    }
    ASSERT_TRUE(codes_->Delete(1, code.id, actor_).ok());
    DeliverContactWays();
    EXPECT_EQ(wecom_.CallCount("/cgi-bin/externalcontact/del_contact_way"), 3);
    EXPECT_EQ(codes_->Get(1, code.id).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(codes_->Land(code.key, std::nullopt).status().code(), StatusCode::kNotFound);
}

TEST_F(LiveCodesTest, PoolStaffMustExistInTheTenant) {
    auto ids = AddStaff({"a"});
    auto in = ParseLiveCodeInput(Json{{"name", "x"}, {"channel", "ad"}, {"staff_ids", {ids[0], 999}}}, true).value();
    auto r = codes_->Create(1, in, actor_);
    EXPECT_EQ(r.status().field(), "staff_ids[1]");
    EXPECT_TRUE(wecom_.Messages(kContactWayKind).empty());
    EXPECT_EQ(codes_->Create(2, ParseLiveCodeInput(Json{{"name", "x"}, {"channel", "ad"}, {"staff_ids", {ids[0]}}},
                                                   true)
                                    .value(),
                             actor_)
                  .status()
                  .field(),
              "staff_ids[0]");
}

TEST_F(LiveCodesTest, LandingGoesRoundRobinAndRecordsScans) {
    auto ids = AddStaff({"a", "b", "c"});
    LiveCode code = Create({{"name", "x"}, {"channel", "poster"}, {"staff_ids", ids}});
    DeliverContactWays();
    std::vector<std::string> picked;
    for (int i = 0; i < 4; ++i) picked.push_back(codes_->Land(code.key, std::nullopt).value().userid);
    EXPECT_EQ(picked, (std::vector<std::string>{"a", "b", "c", "a"}));
    auto pick = codes_->Land(code.key, std::nullopt).value();
    EXPECT_EQ(pick.qr_code, "https://wework.example/qr/b");
    int64_t scans = 0;
    ASSERT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                       auto s = c.Prepare("SELECT count(*) FROM live_code_scans WHERE live_code_id = ?").value();
                       s.Bind(1, code.id);
                       (void)s.Step();
                       scans = s.Int(0);
                       return Status::Ok();
                   })
                    .ok());
    EXPECT_EQ(scans, 5);
}

TEST_F(LiveCodesTest, DailyCapCountsTodaysAddsInTheTenantsTimeZone) {
    auto ids = AddStaff({"a", "b"});
    LiveCode code = Create({{"name", "x"}, {"channel", "event"}, {"staff_ids", ids}, {"assign_mode", "least_loaded"},
                            {"daily_cap", 2}});
    DeliverContactWays();
    // now = 2026-01-01 08:00 in Shanghai: 17:00 UTC the day before is 01:00 today there, 15:00
    // UTC is 23:00 yesterday. (Counted by UTC days, neither would count.)
    TimeMs today_early = wecom_.now - 7 * 3'600'000;
    TimeMs yesterday = wecom_.now - 9 * 3'600'000;
    AddOwner(ids[0], "e1", today_early);
    AddOwner(ids[0], "e2", today_early);
    AddOwner(ids[1], "e3", yesterday);
    AddOwner(ids[1], "e4", yesterday);
    AddOwner(ids[1], "e5", yesterday);
    AddOwner(ids[1], "e6", today_early);
    // a: 2 today (at the cap), b: 1 today.
    EXPECT_EQ(codes_->Land(code.key, std::nullopt).value().userid, "b");
    AddOwner(ids[1], "e7", wecom_.now);
    // Both at the cap: the least loaded (a tie goes to pool order).
    EXPECT_EQ(codes_->Land(code.key, std::nullopt).value().userid, "a");
}

TEST_F(LiveCodesTest, NearestStoreUsesTheStaffMembersStoreCoordinates) {
    StoreDirectory stores(db_.get());
    auto store = [&](const std::string& code, double lat, double lng) {
        StoreInput in;
        in.code = code;
        in.name = code;
        in.kind = "store";
        in.latitude = lat;
        in.longitude = lng;
        return stores.Create(1, in, actor_).value().id;
    };
    int64_t bj = store("BJ", 39.9042, 116.4074);
    int64_t sh = store("SH", 31.2304, 121.4737);
    auto ids = AddStaff({"bj", "sh"}, {bj, sh});
    LiveCode code = Create({{"name", "x"}, {"channel", "store"}, {"staff_ids", ids}, {"assign_mode", "nearest_store"}});
    DeliverContactWays();
    EXPECT_EQ(codes_->Land(code.key, GeoPoint{31.1, 121.3}).value().userid, "sh");
    EXPECT_EQ(codes_->Land(code.key, GeoPoint{40.0, 116.3}).value().userid, "bj");
}

TEST_F(LiveCodesTest, LandingRefusesDisabledExpiredAndNotYetValidCodes) {
    auto ids = AddStaff({"a"});
    LiveCode code = Create({{"name", "x"}, {"channel", "ad"}, {"staff_ids", ids}});
    DeliverContactWays();
    ASSERT_TRUE(codes_->Land(code.key, std::nullopt).ok());
    auto patch = [&](Json body) {
        auto r = codes_->Update(1, code.id, ParseLiveCodeInput(body, false).value(), actor_);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
    };
    patch({{"status", "disabled"}});
    EXPECT_EQ(codes_->Land(code.key, std::nullopt).status().code(), StatusCode::kFailedPrecondition);
    patch({{"status", "active"}, {"valid_to", FormatRfc3339(wecom_.now)}});
    EXPECT_EQ(codes_->Land(code.key, std::nullopt).status().message(), "this live code has expired");
    patch({{"valid_to", nullptr}, {"valid_from", FormatRfc3339(wecom_.now + 1000)}});
    EXPECT_EQ(codes_->Land(code.key, std::nullopt).status().message(), "this live code is not valid yet");
    EXPECT_EQ(codes_->Land("nope", std::nullopt).status().code(), StatusCode::kNotFound);
}

TEST_F(LiveCodesTest, ResignedStaffAreNotPicked) {
    auto ids = AddStaff({"a", "b"});
    LiveCode code = Create({{"name", "x"}, {"channel", "ad"}, {"staff_ids", ids}});
    DeliverContactWays();
    StaffPatch p;
    p.status = "resigned";
    ASSERT_TRUE(staff_->Update(1, ids[0], p, actor_).ok());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(codes_->Land(code.key, std::nullopt).value().userid, "b");
}

}  // namespace
}  // namespace siyu::scrm
