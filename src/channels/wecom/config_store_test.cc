#include "channels/wecom/config_store.h"

#include <gtest/gtest.h>

#include <vector>

#include "store/test_database.h"

namespace siyu::channels::wecom {
namespace {

constexpr const char* kAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

struct ConfigFixture {
    std::unique_ptr<store::Database> db = store::OpenTestDatabase("wecom_config");
    SecretBox box = SecretBox::FromKey(std::string(32, 'k')).value();
    WecomConfigStore configs{db.get(), &box};
    std::vector<std::pair<std::string, std::string>> audits;
    WecomConfigStore::AuditFn audit = [this](store::Connection&, const std::string& action,
                                             const std::string& details) {
        audits.emplace_back(action, details);
        return Status::Ok();
    };
    ConfigFixture() { EXPECT_TRUE(store::AddTestTenants(*db, {1, 2}).ok()); }

    std::string Column(const std::string& column) {
        std::string out;
        EXPECT_TRUE(db->Read([&](store::Connection& c) -> Status {
                          SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT " + column +
                                                                  " FROM wecom_configs WHERE tenant_id = 1"));
                          SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
                          if (row) out = s.IsNull(0) ? "NULL" : s.Text(0);
                          return Status::Ok();
                      }).ok());
        return out;
    }
};

WecomConfigInput Full() {
    WecomConfigInput in;
    in.corp_id = "wx5823bf96d3bd56c7";
    in.contact_secret = std::optional<std::string>("contact-secret-1");
    in.agent_secret = std::optional<std::string>("agent-secret-1");
    in.agent_id = std::optional<int64_t>(1000002);
    in.token = std::optional<std::string>("QDG6eK");
    in.encoding_aes_key = std::optional<std::string>(kAesKey);
    return in;
}

TEST(WecomConfigStore, SecretsAreSealedAtRestAndOnlyReportedAsSet) {
    ConfigFixture f;
    auto view = f.configs.Put(1, Full(), f.audit);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    EXPECT_EQ(view->api_base_url, kDefaultApiBaseUrl);
    EXPECT_TRUE(view->contact_secret_set && view->agent_secret_set && view->token_set && view->encoding_aes_key_set);
    for (const char* column : {"contact_secret", "agent_secret", "token", "aes_key"}) {
        std::string stored = f.Column(column);
        EXPECT_EQ(stored.rfind("v1:", 0), 0u) << column;
    }
    EXPECT_EQ(f.Column("token").find("QDG6eK"), std::string::npos);
    auto creds = f.configs.Credentials(1);
    ASSERT_TRUE(creds.ok());
    EXPECT_EQ(creds->contact_secret, "contact-secret-1");
    EXPECT_EQ(creds->agent_secret, "agent-secret-1");
    EXPECT_EQ(creds->agent_id, 1000002);
    EXPECT_EQ(creds->corp_id, "wx5823bf96d3bd56c7");
    EXPECT_EQ(creds->base_url, "https://qyapi.weixin.qq.com");
    ASSERT_EQ(f.audits.size(), 1u);
    EXPECT_EQ(f.audits[0].first, "wecom.config.create");
    EXPECT_EQ(f.audits[0].second.find("secret-1"), std::string::npos) << f.audits[0].second;
    EXPECT_EQ(f.audits[0].second.find(kAesKey), std::string::npos);
    EXPECT_NE(f.audits[0].second.find("contact_secret"), std::string::npos) << "names what changed";
}

TEST(WecomConfigStore, PartialUpdatesKeepOmittedSecretsAndInvalidateTheCache) {
    ConfigFixture f;
    ASSERT_TRUE(f.configs.Put(1, Full(), f.audit).ok());
    auto crypt = f.configs.Crypt(1);
    ASSERT_TRUE(crypt.ok());
    EXPECT_EQ(crypt->receive_id(), "wx5823bf96d3bd56c7");

    WecomConfigInput change;
    change.corp_id = "ww-other";
    change.api_base_url = "http://127.0.0.1:9999/";
    change.agent_secret = std::optional<std::string>();  // null clears
    auto view = f.configs.Put(1, change, f.audit);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    EXPECT_EQ(view->api_base_url, "http://127.0.0.1:9999");
    EXPECT_FALSE(view->agent_secret_set);
    EXPECT_TRUE(view->contact_secret_set);
    EXPECT_EQ(f.configs.Crypt(1)->receive_id(), "ww-other") << "Put invalidates the cache";
    auto creds = f.configs.Credentials(1);
    EXPECT_EQ(creds->contact_secret, "contact-secret-1");
    EXPECT_EQ(creds->agent_secret, "");
    EXPECT_EQ(creds->base_url, "http://127.0.0.1:9999");
    EXPECT_EQ(f.audits.back().first, "wecom.config.update");

    auto got = f.configs.Get(1);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->corp_id, "ww-other");
    EXPECT_EQ(got->agent_id, 1000002);
}

TEST(WecomConfigStore, UnconfiguredTenantsAreReported) {
    ConfigFixture f;
    EXPECT_EQ(f.configs.Get(2).status().code(), StatusCode::kNotFound);
    EXPECT_EQ(f.configs.Credentials(2).status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(f.configs.Crypt(2).status().code(), StatusCode::kFailedPrecondition);
    WecomConfigInput only_corp;
    only_corp.corp_id = "ww1";
    ASSERT_TRUE(f.configs.Put(2, only_corp, nullptr).ok());
    EXPECT_TRUE(f.configs.Credentials(2).ok());
    EXPECT_EQ(f.configs.Crypt(2).status().code(), StatusCode::kFailedPrecondition) << "no token or key yet";
}

TEST(WecomConfigStore, InvalidInputNamesTheFieldAndChangesNothing) {
    ConfigFixture f;
    auto field_of = [&](WecomConfigInput in) { return f.configs.Put(1, in, f.audit).status().field(); };
    WecomConfigInput in = Full();
    in.corp_id.reset();
    EXPECT_EQ(field_of(in), "corp_id") << "required on creation";
    in = Full();
    in.encoding_aes_key = std::optional<std::string>(std::string(kAesKey).substr(1));
    EXPECT_EQ(field_of(in), "encoding_aes_key");
    in.encoding_aes_key = std::optional<std::string>(std::string(kAesKey).substr(1) + "!");
    EXPECT_EQ(field_of(in), "encoding_aes_key");
    in = Full();
    in.api_base_url = "ftp://example.com";
    EXPECT_EQ(field_of(in), "api_base_url");
    in.api_base_url = "https://";
    EXPECT_EQ(field_of(in), "api_base_url");
    in = Full();
    in.token = std::optional<std::string>("has space");
    EXPECT_EQ(field_of(in), "token");
    in = Full();
    in.contact_secret = std::optional<std::string>("");
    EXPECT_EQ(field_of(in), "contact_secret");
    in = Full();
    in.agent_id = std::optional<int64_t>(0);
    EXPECT_EQ(field_of(in), "agent_id");
    in = Full();
    in.corp_id = "";
    EXPECT_EQ(field_of(in), "corp_id");
    EXPECT_EQ(f.configs.Get(1).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(f.audits.empty());
}

TEST(WecomConfigStore, AnotherKeyCannotOpenTheStoredSecrets) {
    ConfigFixture f;
    ASSERT_TRUE(f.configs.Put(1, Full(), nullptr).ok());
    SecretBox other = SecretBox::FromKey(std::string(32, 'x')).value();
    WecomConfigStore reopened(f.db.get(), &other);
    auto creds = reopened.Credentials(1);
    EXPECT_EQ(creds.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(creds.status().message().find("secrets.key_file"), std::string::npos);
}

}  // namespace
}  // namespace siyu::channels::wecom
