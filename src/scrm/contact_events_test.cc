#include "scrm/contact_events.h"

#include <gtest/gtest.h>

#include "cdp/customer_repository.h"
#include "scrm/live_codes.h"
#include "scrm/ownership.h"
#include "scrm/fake_wecom_gateway.h"
#include "scrm/staff.h"
#include "store/test_database.h"

namespace siyu::scrm {
namespace {

using channels::wecom::InboxEvent;
using FakeWecom = fake::FakeGateway;

class ContactEventsTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("contact_events_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        ingestor_ = std::make_unique<cdp::EventIngestor>(db_.get());
        tags_ = std::make_unique<cdp::TagRepository>(
            db_.get(), [](std::string_view) -> Result<cdp::TagRuleRefs> { return cdp::TagRuleRefs{}; });
        staff_ = std::make_unique<StaffDirectory>(db_.get(), &wecom_.gateway);
        codes_ = std::make_unique<LiveCodes>(db_.get(), &wecom_.gateway);
        events_ = std::make_unique<ContactEvents>(
            db_.get(), &wecom_.gateway, ingestor_.get(), tags_.get(),
            [this](int64_t tenant, int64_t template_id, int64_t customer_id, const std::string& key,
                   int64_t live_code_id) -> Result<std::string> {
                coupon_keys_.push_back(key);
                return "CPN" + std::to_string(customer_id);
            });
        wecom_.handlers["/cgi-bin/externalcontact/get"] = [](const Json*, const Query& q) {
            std::string id = q.at(0).second;
            return Result<Json>(Json{{"external_contact",
                                      {{"external_userid", id},
                                       {"name", "客户" + id},
                                       {"avatar", "https://img.example/" + id},
                                       {"gender", 2},
                                       {"unionid", "union-" + id},
                                       {"type", 1}}},
                                     {"follow_user",
                                      {{{"userid", "zhang"}, {"remark", "老客户"}, {"add_way", 1}, {"state", "x"}}}}});
        };
        wecom_.handlers["/cgi-bin/externalcontact/add_contact_way"] = [](const Json* body, const Query&) {
            return Result<Json>(Json{{"config_id", "cfg"}, {"qr_code", "https://qr/x"}});
        };
    }

    InboxEvent Event(int64_t id, const std::string& change_type, const std::string& userid,
                     const std::string& external, const std::string& state = "", const std::string& welcome = "") {
        InboxEvent e;
        e.id = id;
        e.tenant_id = 1;
        e.received_at = wecom_.now;
        e.event = "change_external_contact";
        e.change_type = change_type;
        e.fields = {{"ToUserName", "corp"},
                    {"CreateTime", std::to_string(wecom_.now / 1000 - 2)},
                    {"MsgType", "event"},
                    {"Event", "change_external_contact"},
                    {"ChangeType", change_type},
                    {"UserID", userid},
                    {"ExternalUserID", external}};
        if (!state.empty()) e.fields["State"] = state;
        if (!welcome.empty()) e.fields["WelcomeCode"] = welcome;
        return e;
    }

    // A live code with a tag (known to WeCom), a welcome message and a coupon.
    LiveCode MakeCode() {
        StaffRecord r;
        r.userid = "zhang";
        r.name = "张三";
        EXPECT_TRUE(staff_->Import(1, {r}, actor_).ok());
        int64_t staff_id = staff_->List(1, StaffFilter{}).value().at(0).id;
        cdp::TagGroupInput g;
        g.name = "渠道";
        g.wecom_group_id = std::optional<std::string>("wg1");
        int64_t group = tags_->CreateGroup(1, g, actor_).value().id;
        cdp::TagInput t;
        t.group_id = group;
        t.name = "海报";
        t.wecom_tag_id = std::optional<std::string>("wt1");
        tag_id_ = tags_->CreateTag(1, t, actor_).value().id;
        EXPECT_TRUE(db_->Write([](store::Connection& c) {
                           return c.Exec("INSERT INTO coupon_templates(tenant_id, name, type, config, created_at, "
                                         "updated_at) VALUES (1, '新人券', 'cash_off', '{}', 0, 0)");
                       })
                        .ok());
        Json body = {{"name", "海报"},
                     {"channel", "poster"},
                     {"staff_ids", {staff_id}},
                     {"tag_ids", {tag_id_}},
                     {"coupon_template_id", 1},
                     {"welcome", {{"text", "{name}，欢迎！券码 {coupon_code}"}}}};
        auto code = codes_->Create(1, ParseLiveCodeInput(body, true).value(), actor_);
        EXPECT_TRUE(code.ok()) << code.status().ToString();
        return code.value();
    }

    int64_t Count(const std::string& sql) {
        int64_t n = -1;
        EXPECT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                           SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
                           SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                           if (row) n = s.Int(0);
                           return Status::Ok();
                       })
                        .ok());
        return n;
    }

    std::unique_ptr<store::Database> db_;
    FakeWecom wecom_;
    std::unique_ptr<cdp::EventIngestor> ingestor_;
    std::unique_ptr<cdp::TagRepository> tags_;
    std::unique_ptr<StaffDirectory> staff_;
    std::unique_ptr<LiveCodes> codes_;
    std::unique_ptr<ContactEvents> events_;
    std::vector<std::string> coupon_keys_;
    int64_t tag_id_ = 0;
    auth::Actor actor_;
};

TEST_F(ContactEventsTest, AddRecordsTheCustomerOwnerTagsCouponAndWelcomeOnce) {
    LiveCode code = MakeCode();
    InboxEvent e = Event(7, "add_external_contact", "zhang", "wmEXT1", "lc" + std::to_string(code.id), "WELCOME1");
    ASSERT_TRUE(events_->OnAdd(e).ok());
    ASSERT_TRUE(events_->OnAdd(e).ok());  // run again: nothing more happens

    cdp::CustomerRepository customers(db_.get());
    auto customer = customers.Lookup(1, "wecom_external_userid", "wmEXT1", cdp::Visibility{});
    ASSERT_TRUE(customer.ok()) << customer.status().ToString();
    EXPECT_EQ(customer->name, "客户wmEXT1");
    EXPECT_EQ(customer->gender, "female");
    EXPECT_TRUE(customers.Lookup(1, "wechat_unionid", "union-wmEXT1", cdp::Visibility{}).ok());

    Ownership owners(db_.get());
    auto rows = owners.OwnersOf(1, customer->id).value();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].staff_userid, "zhang");
    EXPECT_EQ(rows[0].live_code_id, code.id);
    EXPECT_EQ(rows[0].state, "lc" + std::to_string(code.id));
    EXPECT_EQ(rows[0].add_way, 1);
    EXPECT_EQ(rows[0].remark, "老客户");
    EXPECT_EQ(rows[0].added_at, (wecom_.now / 1000 - 2) * 1000);

    auto held = tags_->TagsOf(1, customer->id, cdp::Visibility{}).value();
    ASSERT_EQ(held.tags.size(), 1u);
    EXPECT_EQ(held.tags[0].tag.id, tag_id_);

    auto mark = wecom_.ApiMessages("/cgi-bin/externalcontact/mark_tag");
    ASSERT_EQ(mark.size(), 1u);
    EXPECT_EQ(mark[0].payload["body"]["add_tag"], Json::array({"wt1"}));
    EXPECT_EQ(mark[0].payload["body"]["userid"], "zhang");

    auto welcome = wecom_.ApiMessages("/cgi-bin/externalcontact/send_welcome_msg");
    ASSERT_EQ(welcome.size(), 1u);
    EXPECT_EQ(welcome[0].payload["app"], "contact");
    EXPECT_EQ(welcome[0].payload["body"]["welcome_code"], "WELCOME1");
    std::string coupon = "CPN" + std::to_string(customer->id);
    EXPECT_EQ(welcome[0].payload["body"]["text"]["content"], "客户wmEXT1，欢迎！券码 " + coupon);
    EXPECT_EQ(welcome[0].options.deadline_at, (wecom_.now / 1000 - 2) * 1000 + kWelcomeWindowMs);
    EXPECT_EQ(coupon_keys_, (std::vector<std::string>{"wecom-inbox-7-coupon"}));

    EXPECT_EQ(Count("SELECT count(*) FROM events WHERE name = 'WeCom Contact Added'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM scrm_contact_log WHERE kind = 'add'"), 1);
    std::string props;
    ASSERT_TRUE(db_->Read([&](store::Connection& c) -> Status {
                       auto s = c.Prepare("SELECT properties FROM events WHERE name = 'WeCom Contact Added'").value();
                       (void)s.Step();
                       props = s.Text(0);
                       return Status::Ok();
                   })
                    .ok());
    Json p = Json::parse(props);
    EXPECT_EQ(p["staff_userid"], "zhang");
    EXPECT_EQ(p["live_code_id"], code.id);
    EXPECT_EQ(p["add_way"], 1);
}

TEST_F(ContactEventsTest, AddWithoutWelcomeCodeSendsNoWelcomeMessage) {
    LiveCode code = MakeCode();
    ASSERT_TRUE(events_->OnAdd(Event(8, "add_half_external_contact", "zhang", "wmEXT2", "lc" + std::to_string(code.id)))
                    .ok());
    EXPECT_TRUE(wecom_.ApiMessages("/cgi-bin/externalcontact/send_welcome_msg").empty());
    EXPECT_EQ(wecom_.ApiMessages("/cgi-bin/externalcontact/mark_tag").size(), 1u);
}

TEST_F(ContactEventsTest, AnUnknownStaffMemberIsCreatedFromTheCallback) {
    ASSERT_TRUE(events_->OnAdd(Event(9, "add_external_contact", "wang", "wmEXT3")).ok());
    auto staff = staff_->List(1, StaffFilter{}).value();
    ASSERT_EQ(staff.size(), 1u);
    EXPECT_EQ(staff[0].userid, "wang");
    EXPECT_EQ(staff[0].source, "callback");
    EXPECT_EQ(staff[0].customer_count, 1);
    EXPECT_TRUE(wecom_.messages.empty());
}

TEST_F(ContactEventsTest, TheCustomerDeletingTheStaffMemberEndsTheRelationshipAndAlertsOnce) {
    LiveCode code = MakeCode();
    ASSERT_TRUE(events_->OnAdd(Event(10, "add_external_contact", "zhang", "wmEXT4", "lc" + std::to_string(code.id)))
                    .ok());
    InboxEvent del = Event(11, "del_follow_user", "zhang", "wmEXT4");
    ASSERT_TRUE(events_->OnDelete(del).ok());
    ASSERT_TRUE(events_->OnDelete(del).ok());
    Ownership owners(db_.get());
    int64_t customer = Count("SELECT customer_id FROM customer_owners");
    auto rows = owners.OwnersOf(1, customer).value();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, "deleted_by_customer");
    EXPECT_TRUE(rows[0].ended_at.has_value());
    auto alerts = events_->Alerts(1, AlertFilter{}).value();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].reason, "deleted_by_customer");
    EXPECT_EQ(alerts[0].staff_userid, "zhang");
    EXPECT_EQ(alerts[0].customer_id, customer);
    EXPECT_EQ(Count("SELECT count(*) FROM events WHERE name = 'WeCom Contact Lost'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM events WHERE name = 'WeCom Contact Lost' AND "
                    "json_extract(properties, '$.by') = 'customer'"),
              1);
    EXPECT_EQ(events_->UnreadCount(1, std::nullopt).value(), 1);
    EXPECT_EQ(events_->MarkRead(1, {alerts[0].id}, std::vector<int64_t>{999}).value(), 0);  // not their staff
    EXPECT_EQ(events_->MarkRead(1, {alerts[0].id}, std::nullopt).value(), 1);
    AlertFilter unread;
    unread.unread = true;
    EXPECT_TRUE(events_->Alerts(1, unread).value().empty());
    EXPECT_EQ(owners.CustomersOf(1, alerts[0].staff_id, OwnedFilter{}).value().size(), 0u);
}

TEST_F(ContactEventsTest, TheStaffMemberDeletingTheCustomerIsMarkedAsSuch) {
    ASSERT_TRUE(events_->OnAdd(Event(12, "add_external_contact", "zhang", "wmEXT5")).ok());
    ASSERT_TRUE(events_->OnDelete(Event(13, "del_external_contact", "zhang", "wmEXT5")).ok());
    EXPECT_EQ(Count("SELECT count(*) FROM customer_owners WHERE status = 'deleted_by_staff'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM events WHERE name = 'WeCom Contact Lost' AND "
                    "json_extract(properties, '$.by') = 'staff'"),
              1);
}

TEST_F(ContactEventsTest, ADeletionWithoutARelationshipRaisesNothing) {
    ASSERT_TRUE(events_->OnDelete(Event(14, "del_follow_user", "zhang", "wmNOBODY")).ok());
    EXPECT_TRUE(events_->Alerts(1, AlertFilter{}).value().empty());
    EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM customers"), 0);
}

TEST_F(ContactEventsTest, AnAddRetriedAfterTheLossDoesNotReopenTheRelationship) {
    InboxEvent add = Event(18, "add_external_contact", "zhang", "wmEXT7");
    add.fields["CreateTime"] = std::to_string(wecom_.now / 1000 - 600);  // the add happened ten minutes ago
    ASSERT_TRUE(events_->OnAdd(add).ok());
    ASSERT_TRUE(events_->OnDelete(Event(19, "del_follow_user", "zhang", "wmEXT7")).ok());
    // The same add processed again later (an operator retried a failed inbox row).
    add.id = 20;
    ASSERT_TRUE(events_->OnAdd(add).ok());
    EXPECT_EQ(Count("SELECT count(*) FROM customer_owners WHERE external_userid = 'wmEXT7' AND status = 'active'"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM customer_owners WHERE external_userid = 'wmEXT7' AND "
                    "status = 'deleted_by_customer'"),
              1);
}

TEST_F(ContactEventsTest, AddingAgainAfterALossReopensTheRelationship) {
    ASSERT_TRUE(events_->OnAdd(Event(15, "add_external_contact", "zhang", "wmEXT6")).ok());
    ASSERT_TRUE(events_->OnDelete(Event(16, "del_follow_user", "zhang", "wmEXT6")).ok());
    ASSERT_TRUE(events_->OnAdd(Event(17, "add_external_contact", "zhang", "wmEXT6")).ok());
    EXPECT_EQ(Count("SELECT count(*) FROM customer_owners WHERE status = 'active' AND ended_at IS NULL"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM customers"), 1);
}

TEST_F(ContactEventsTest, TransportFailuresAreRetriedAndChangeNothing) {
    wecom_.handlers["/cgi-bin/externalcontact/get"] = [](const Json*, const Query&) {
        return Result<Json>(Status::Unavailable("connection refused"));
    };
    Status st = events_->OnAdd(Event(18, "add_external_contact", "zhang", "wmEXT7"));
    EXPECT_EQ(st.code(), StatusCode::kUnavailable);
    EXPECT_EQ(Count("SELECT count(*) FROM customers"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM customer_owners"), 0);
}

TEST_F(ContactEventsTest, EditRefreshesTheRemark) {
    ASSERT_TRUE(events_->OnAdd(Event(19, "add_external_contact", "zhang", "wmEXT8")).ok());
    wecom_.handlers["/cgi-bin/externalcontact/get"] = [](const Json*, const Query&) {
        return Result<Json>(Json{{"external_contact", {{"name", "新名字"}}},
                                 {"follow_user", {{{"userid", "zhang"}, {"remark", "VIP"}}}}});
    };
    InboxEvent edit = Event(20, "edit_external_contact", "zhang", "wmEXT8");
    edit.fields["CreateTime"] = std::to_string(wecom_.now / 1000 + 60);
    ASSERT_TRUE(events_->OnEdit(edit).ok());
    EXPECT_EQ(Count("SELECT count(*) FROM customer_owners WHERE remark = 'VIP'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE name = '新名字'"), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM events WHERE name = 'WeCom Contact Edited'"), 1);
}

}  // namespace
}  // namespace siyu::scrm
