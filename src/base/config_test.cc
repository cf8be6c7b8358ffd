#include "base/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace siyu {

TEST(Config, FileThenEnvThenFlagsWin) {
    std::string path = testing::TempDir() + "/siyu_config_test.toml";
    std::ofstream(path) << "data_dir = \"/var/lib/siyu\"\n[http]\nport = 9000\nthreads = 3\n";
    Config c;
    ASSERT_TRUE(ApplyConfigFile(path, &c).ok());
    EXPECT_EQ(c.http_port, 9000);
    EXPECT_EQ(c.http_threads, 3);
    setenv("SIYU_HTTP_PORT", "9100", 1);
    ASSERT_TRUE(ApplyConfigEnv(&c).ok());
    unsetenv("SIYU_HTTP_PORT");
    EXPECT_EQ(c.http_port, 9100);
    ASSERT_TRUE(SetConfigValue("http.port", "9200", &c).ok());
    EXPECT_EQ(c.http_port, 9200);
    EXPECT_EQ(c.data_dir, "/var/lib/siyu");
    std::remove(path.c_str());
}

TEST(Config, UnknownKeyInFileIsNamed) {
    std::string path = testing::TempDir() + "/siyu_config_bad.toml";
    std::ofstream(path) << "[http]\nprot = 9000\n";
    Config c;
    Status st = ApplyConfigFile(path, &c);
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.field(), "http.prot");
    std::remove(path.c_str());
}

TEST(Config, BadEnvValueNamesTheVariable) {
    setenv("SIYU_HTTP_THREADS", "many", 1);
    Config c;
    Status st = ApplyConfigEnv(&c);
    unsetenv("SIYU_HTTP_THREADS");
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.field(), "SIYU_HTTP_THREADS");
}

TEST(Config, ValidationNamesTheSetting) {
    Config c;
    EXPECT_TRUE(ValidateConfig(c).ok());
    c.http_port = 70000;
    EXPECT_EQ(ValidateConfig(c).field(), "http.port");
    c = Config{};
    c.log_level = "loud";
    EXPECT_EQ(ValidateConfig(c).field(), "log.level");
    c = Config{};
    c.http_body_limit = 10;
    EXPECT_EQ(ValidateConfig(c).field(), "http.body_limit");
}

}  // namespace siyu
