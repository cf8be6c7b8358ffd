#include "auth/accounts.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "auth/password.h"
#include "store/test_database.h"

namespace siyu::auth {
namespace {

class AccountsTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("accounts_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        accounts_ = std::make_unique<Accounts>(db_.get(), 12);
        tenant_ = accounts_->CreateTenant("Brand", "Asia/Shanghai", "CNY", false).value().id;
        owner_ =
            accounts_->AddMember(tenant_, {"Owner@Example.com", "Owner", Role::kOwner, "correct-horse", {}}, actor_)
                .value()
                .user_id;
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<Accounts> accounts_;
    Actor actor_{"cli", std::nullopt, "test", ""};
    int64_t tenant_ = 0;
    int64_t owner_ = 0;
};

TEST(Password, HashVerifiesOnlyTheRightPassword) {
    auto hash = HashPassword("s3cret-pass").value();
    EXPECT_TRUE(hash.starts_with("$argon2id$"));
    EXPECT_TRUE(VerifyPassword("s3cret-pass", hash));
    EXPECT_FALSE(VerifyPassword("s3cret-pasS", hash));
}

TEST(Password, GeneratedPasswordsAreLongAndDistinct) {
    auto a = GeneratePassword(), b = GeneratePassword();
    EXPECT_EQ(a.size(), 16u);
    EXPECT_NE(a, b);
    EXPECT_TRUE(CheckPasswordPolicy(a).ok());
    EXPECT_FALSE(CheckPasswordPolicy("short").ok());
}

TEST_F(AccountsTest, LoginIsCaseInsensitiveOnEmailAndOpensASession) {
    auto login = accounts_->Login("owner@example.COM", "correct-horse", std::nullopt, "127.0.0.1", "ua");
    ASSERT_TRUE(login.ok()) << login.status().ToString();
    auto p = accounts_->AuthenticateSession(login->token);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->user_id, owner_);
    EXPECT_EQ(p->role, Role::kOwner);
    EXPECT_TRUE(accounts_->Logout(*p, "127.0.0.1").ok());
    EXPECT_EQ(accounts_->AuthenticateSession(login->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AccountsTest, WrongPasswordAndUnknownEmailGiveTheSameAnswer) {
    auto a = accounts_->Login("owner@example.com", "wrong-horse", std::nullopt, "", "");
    auto b = accounts_->Login("nobody@example.com", "wrong-horse", std::nullopt, "", "");
    EXPECT_EQ(a.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(a.status().message(), b.status().message());
}

TEST_F(AccountsTest, LastOwnerCannotBeDemotedRemovedOrDisabled) {
    MemberPatch demote;
    demote.role = Role::kAdmin;
    EXPECT_EQ(accounts_->UpdateMember(tenant_, owner_, demote, actor_).status().code(),
              StatusCode::kFailedPrecondition);
    MemberPatch disable;
    disable.disabled = true;
    EXPECT_EQ(accounts_->UpdateMember(tenant_, owner_, disable, actor_).status().code(),
              StatusCode::kFailedPrecondition);
    EXPECT_EQ(accounts_->RemoveMember(tenant_, owner_, actor_).code(), StatusCode::kFailedPrecondition);
    auto second = accounts_->AddMember(tenant_, {"o2@example.com", "O2", Role::kOwner, "another-pass", {}}, actor_);
    ASSERT_TRUE(second.ok());
    EXPECT_TRUE(accounts_->UpdateMember(tenant_, owner_, demote, actor_).ok());
}

TEST_F(AccountsTest, DisablingAUserRevokesTheirSessions) {
    auto m = accounts_->AddMember(tenant_, {"g@example.com", "G", Role::kGuide, "guide-pass", {}}, actor_).value();
    auto login = accounts_->Login("g@example.com", "guide-pass", std::nullopt, "", "").value();
    MemberPatch disable;
    disable.disabled = true;
    ASSERT_TRUE(accounts_->UpdateMember(tenant_, m.user_id, disable, actor_).ok());
    EXPECT_FALSE(accounts_->AuthenticateSession(login.token).ok());
    EXPECT_FALSE(accounts_->Login("g@example.com", "guide-pass", std::nullopt, "", "").ok());
}

TEST_F(AccountsTest, ApiKeyIsShownOnceStoredHashedAndRevocable) {
    auto created = accounts_->CreateApiKey(tenant_, "server", "secret", Role::kAdmin, actor_).value();
    EXPECT_TRUE(created.second.starts_with("sk_"));
    EXPECT_EQ(created.first.prefix, created.second.substr(0, 7));
    auto p = accounts_->AuthenticateKey(created.second);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->tenant_id, tenant_);
    EXPECT_EQ(p->kind, Principal::Kind::kApiKey);
    ASSERT_TRUE(accounts_->RevokeApiKey(tenant_, created.first.id, actor_).ok());
    EXPECT_FALSE(accounts_->AuthenticateKey(created.second).ok());
    EXPECT_FALSE(accounts_->CreateApiKey(tenant_, "x", "secret", Role::kOwner, actor_).ok());
}

TEST_F(AccountsTest, OneAccountCanBelongToTwoTenantsAndSwitch) {
    int64_t other = accounts_->CreateTenant("Other", "UTC", "USD", false).value().id;
    ASSERT_TRUE(accounts_->AddMember(other, {"owner@example.com", "Owner", Role::kAnalyst, "", {}}, actor_).ok());
    auto tenants = accounts_->TenantsOfUser(owner_).value();
    ASSERT_EQ(tenants.size(), 2u);
    auto login = accounts_->Login("owner@example.com", "correct-horse", other, "", "").value();
    EXPECT_EQ(login.principal.tenant_id, other);
    EXPECT_EQ(login.principal.role, Role::kAnalyst);
    auto switched = accounts_->SwitchTenant(login.principal, tenant_).value();
    EXPECT_EQ(switched.role, Role::kOwner);
    EXPECT_EQ(accounts_->AuthenticateSession(login.token).value().tenant_id, tenant_);
}

TEST_F(AccountsTest, AdministrativeActionsAreAudited) {
    ASSERT_TRUE(accounts_->CreateApiKey(tenant_, "k", "write", Role::kAdmin, actor_).ok());
    auto entries = accounts_->ListAudit(tenant_, Page{}, "", "").value();
    ASSERT_GE(entries.size(), 2u);
    EXPECT_EQ(entries[0].action, "apikey.create");
    EXPECT_EQ(entries[1].action, "user.create");
}

}  // namespace
}  // namespace siyu::auth
