#include "channels/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace siyu::channels {
namespace {

TEST(SecretBox, SealedSecretsOpenWithTheSameKeyOnly) {
    auto box = SecretBox::FromKey(std::string(32, 'k'));
    ASSERT_TRUE(box.ok());
    std::string sealed = box->Seal("corp-secret 企业微信");
    EXPECT_EQ(sealed.rfind("v1:", 0), 0u);
    EXPECT_EQ(sealed.find("corp-secret"), std::string::npos);
    EXPECT_EQ(box->Open(sealed).value(), "corp-secret 企业微信");
    EXPECT_NE(box->Seal("same"), box->Seal("same")) << "every seal uses a fresh nonce";

    auto other = SecretBox::FromKey(std::string(32, 'x'));
    EXPECT_FALSE(other->Open(sealed).ok());
}

TEST(SecretBox, TamperedOrMalformedValuesAreRefused) {
    auto box = SecretBox::FromKey(std::string(32, 'k'));
    std::string sealed = box->Seal("secret");
    std::string tampered = sealed;
    tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(box->Open(tampered).ok());
    EXPECT_FALSE(box->Open("secret").ok());
    EXPECT_FALSE(box->Open("v1:!!!").ok());
    EXPECT_FALSE(box->Open("v1:").ok());
    EXPECT_FALSE(SecretBox::FromKey("short").ok());
}

TEST(SecretBox, KeyFileIsCreatedOnceWithOwnerOnlyMode) {
    std::string path = ::testing::TempDir() + "siyu-secret-" + std::to_string(::getpid()) + ".key";
    std::remove(path.c_str());
    auto first = SecretBox::FromFile(path);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto second = SecretBox::FromFile(path);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->Open(first->Seal("x")).value(), "x");
    std::remove(path.c_str());
}

}  // namespace
}  // namespace siyu::channels
