// Specs of the WeCom API client against a scripted local HTTP server: token caching and
// refresh, retries on busy errcodes, errors as upstream statuses, and the call log.

#include "channels/wecom/api_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "channels/http_client.h"
#include "store/test_database.h"

namespace siyu::channels::wecom {
namespace {

// A one-request-per-connection HTTP server on 127.0.0.1 whose answers come from `handler`
// (method, target, body) → (status, body).
class ScriptedServer {
  public:
    using Handler = std::function<std::pair<int, std::string>(const std::string&, const std::string&,
                                                              const std::string&)>;
    explicit ScriptedServer(Handler handler) : handler_(std::move(handler)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(fd_, 64);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { Serve(); });
    }
    ~ScriptedServer() {
        stopping_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<std::string> targets() {
        std::lock_guard lock(mu_);
        return targets_;
    }

  private:
    void Serve() {
        while (!stopping_) {
            int conn = ::accept(fd_, nullptr, nullptr);
            if (conn < 0) return;
            std::thread([this, conn] { Handle(conn); }).detach();
        }
    }
    void Handle(int conn) {
        std::string data;
        char buf[4096];
        size_t header_end = std::string::npos;
        while (header_end == std::string::npos) {
            ssize_t n = ::read(conn, buf, sizeof buf);
            if (n <= 0) return (void)::close(conn);
            data.append(buf, static_cast<size_t>(n));
            header_end = data.find("\r\n\r\n");
        }
        size_t length = 0;
        std::string lower = data.substr(0, header_end);
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (auto p = lower.find("content-length:"); p != std::string::npos) length = std::stoul(lower.substr(p + 15));
        while (data.size() < header_end + 4 + length) {
            ssize_t n = ::read(conn, buf, sizeof buf);
            if (n <= 0) break;
            data.append(buf, static_cast<size_t>(n));
        }
        std::string request_line = data.substr(0, data.find("\r\n"));
        std::string method = request_line.substr(0, request_line.find(' '));
        std::string target = request_line.substr(method.size() + 1, request_line.rfind(' ') - method.size() - 1);
        {
            std::lock_guard lock(mu_);
            targets_.push_back(target);
        }
        auto [status, body] = handler_(method, target, data.substr(header_end + 4));
        std::string resp = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
                           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        ssize_t written = ::write(conn, resp.data(), resp.size());
        (void)written;
        ::close(conn);
    }

    Handler handler_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::mutex mu_;
    std::vector<std::string> targets_;
};

std::string Json200(const Json& j) { return j.dump(); }

class ApiClientTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("wecom_api_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
    }

    std::unique_ptr<ApiClient> Client(const std::string& base_url, int max_attempts = 4) {
        ApiClientOptions o;
        o.timeout_ms = 5'000;
        o.rate_limit_per_second = 1000;
        o.max_attempts = max_attempts;
        o.backoff_base_ms = 5;
        o.log_db = db_.get();
        return std::make_unique<ApiClient>(
            [base_url](int64_t tenant) -> Result<CorpCredentials> {
                if (tenant != 1) return Status::FailedPrecondition("WeCom is not configured");
                return CorpCredentials{"ww-corp", "contact-secret", "agent-secret", 1000002, base_url};
            },
            o);
    }

    std::unique_ptr<store::Database> db_;
};

bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

TEST_F(ApiClientTest, CachesTheTokenAndSendsIt) {
    std::atomic<int> gettoken{0};
    ScriptedServer server([&](const std::string&, const std::string& target, const std::string&) {
        if (StartsWith(target, "/cgi-bin/gettoken")) {
            EXPECT_NE(target.find("corpid=ww-corp"), std::string::npos);
            EXPECT_NE(target.find("corpsecret=contact-secret"), std::string::npos);
            ++gettoken;
            return std::pair{200, Json200({{"errcode", 0}, {"access_token", "TOKEN-1"}, {"expires_in", 7200}})};
        }
        EXPECT_NE(target.find("access_token=TOKEN-1"), std::string::npos) << target;
        return std::pair{200, Json200({{"errcode", 0}, {"errmsg", "ok"}, {"n", 1}})};
    });
    auto client = Client(server.base_url());
    for (int i = 0; i < 3; ++i) {
        auto r = client->Call(1, App::kContact, "/cgi-bin/externalcontact/get", nullptr, {{"external_userid", "wm 1"}});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        EXPECT_EQ((*r)["n"], 1);
    }
    EXPECT_EQ(gettoken.load(), 1);
    EXPECT_NE(server.targets().back().find("external_userid=wm%201"), std::string::npos);
}

TEST_F(ApiClientTest, ConcurrentCallersShareOneRefresh) {
    std::atomic<int> gettoken{0};
    ScriptedServer server([&](const std::string&, const std::string& target, const std::string&) {
        if (StartsWith(target, "/cgi-bin/gettoken")) {
            ++gettoken;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            return std::pair{200, Json200({{"errcode", 0}, {"access_token", "T"}, {"expires_in", 7200}})};
        }
        return std::pair{200, Json200({{"errcode", 0}})};
    });
    auto client = Client(server.base_url());
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            if (client->Call(1, App::kAgent, "/cgi-bin/user/list").ok()) ++ok;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 8);
    EXPECT_EQ(gettoken.load(), 1);
}

TEST_F(ApiClientTest, AnExpiredTokenIsRefreshedAndTheCallRetriedOnce) {
    std::atomic<int> gettoken{0};
    ScriptedServer server([&](const std::string&, const std::string& target, const std::string&) {
        if (StartsWith(target, "/cgi-bin/gettoken")) {
            int n = ++gettoken;
            return std::pair{200, Json200({{"errcode", 0}, {"access_token", "T" + std::to_string(n)}})};
        }
        if (target.find("access_token=T1") != std::string::npos) {
            return std::pair{200, Json200({{"errcode", 42001}, {"errmsg", "access_token expired"}})};
        }
        return std::pair{200, Json200({{"errcode", 0}, {"ok", true}})};
    });
    auto client = Client(server.base_url());
    Json body = {{"userid", "zhangsan"}};
    auto r = client->Call(1, App::kContact, "/cgi-bin/externalcontact/list", &body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(gettoken.load(), 2);
}

TEST_F(ApiClientTest, AnInvalidTokenTwiceIsAnUpstreamError) {
    ScriptedServer server([&](const std::string&, const std::string& target, const std::string&) {
        if (StartsWith(target, "/cgi-bin/gettoken")) {
            return std::pair{200, Json200({{"errcode", 0}, {"access_token", "T"}})};
        }
        return std::pair{200, Json200({{"errcode", 40014}, {"errmsg", "invalid access_token"}})};
    });
    auto client = Client(server.base_url());
    auto r = client->Call(1, App::kContact, "/cgi-bin/externalcontact/get");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(WecomErrcode(r.status()), 40014);
    EXPECT_EQ(server.targets().size(), 4u);  // token, call, token, call
}

TEST_F(ApiClientTest, BusyIsRetriedWithBackoff) {
    std::atomic<int> calls{0};
    ScriptedServer server([&](const std::string&, const std::string& target, const std::string&) {
        if (StartsWith(target, "/cgi-bin/gettoken")) {
            return std::pair{200, Json200({{"errcode", 0}, {"access_token", "T"}})};
        }
        int n = ++calls;
        if (n == 1) return std::pair{200, Json200({{"errcode", -1}, {"errmsg", "system busy"}})};
        if (n == 2) return std::pair{200, Json200({{"errcode", 45009}, {"errmsg", "api freq out of limit"}})};
        return std::pair{200, Json200({{"errcode", 0}})};
    });
    auto client = Client(server.base_url());
    ASSERT_TRUE(client->Call(1, App::kContact, "/cgi-bin/externalcontact/get").ok());
    EXPECT_EQ(calls.load(), 3);
}

TEST_F(ApiClientTest, BusyBeyondMaxAttemptsIsAnUpstreamError) {
    std::atomic<int> calls{0};
    ScriptedServer server([&](const std::string&, const std::string& target, const std::string&) {
        if (StartsWith(target, "/cgi-bin/gettoken")) {
            return std::pair{200, Json200({{"errcode", 0}, {"access_token", "T"}})};
        }
        ++calls;
        return std::pair{200, Json200({{"errcode", 45009}, {"errmsg", "api freq out of limit"}})};
    });
    auto client = Client(server.base_url(), 3);
    auto r = client->Call(1, App::kContact, "/cgi-bin/externalcontact/get");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUpstream);
    EXPECT_EQ(r.status().message(), "WeCom errcode 45009: api freq out of limit");
    EXPECT_EQ(WecomErrcode(r.status()), 45009);
    EXPECT_EQ(calls.load(), 3);
}

TEST_F(ApiClientTest, OtherErrcodesAreNotRetried) {
    std::atomic<int> calls{0};
    ScriptedServer server([&](const std::string&, const std::string& target, const std::string&) {
        if (StartsWith(target, "/cgi-bin/gettoken")) {
            return std::pair{200, Json200({{"errcode", 0}, {"access_token", "T"}})};
        }
        ++calls;
        return std::pair{200, Json200({{"errcode", 84061}, {"errmsg", "not exist contact"}})};
    });
    auto client = Client(server.base_url());
    auto r = client->Call(1, App::kContact, "/cgi-bin/externalcontact/get");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(WecomErrcode(r.status()), 84061);
    EXPECT_EQ(calls.load(), 1);
}

TEST_F(ApiClientTest, TokenErrorsAndTransportFailuresAreReported) {
    ScriptedServer server([&](const std::string&, const std::string&, const std::string&) {
        return std::pair{200, Json200({{"errcode", 40001}, {"errmsg", "invalid secret"}})};
    });
    auto client = Client(server.base_url());
    auto r = client->Call(1, App::kContact, "/cgi-bin/externalcontact/get");
    EXPECT_EQ(WecomErrcode(r.status()), 40001);
    EXPECT_EQ(client->Call(2, App::kContact, "/cgi-bin/x").status().code(), StatusCode::kFailedPrecondition);

    auto unreachable = Client("http://127.0.0.1:1");
    auto down = unreachable->Call(1, App::kContact, "/cgi-bin/externalcontact/get");
    EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(WecomErrcode(down.status()), 0);
    EXPECT_EQ(down.status().message().find("secret"), std::string::npos);
}

TEST_F(ApiClientTest, EveryCallIsLoggedWithoutTheToken) {
    ScriptedServer server([&](const std::string&, const std::string& target, const std::string&) {
        if (StartsWith(target, "/cgi-bin/gettoken")) {
            return std::pair{200, Json200({{"errcode", 0}, {"access_token", "SECRET-TOKEN"}})};
        }
        return std::pair{200, Json200({{"errcode", 84061}, {"errmsg", "not exist contact"}})};
    });
    auto client = Client(server.base_url());
    (void)client->Call(1, App::kContact, "/cgi-bin/externalcontact/get");
    auto calls = client->Calls(1, std::nullopt, 10);
    ASSERT_TRUE(calls.ok()) << calls.status().ToString();
    ASSERT_EQ(calls->size(), 2u);
    EXPECT_EQ((*calls)[0].path, "/cgi-bin/externalcontact/get");
    EXPECT_EQ((*calls)[0].errcode, 84061);
    EXPECT_EQ((*calls)[0].errmsg, "not exist contact");
    EXPECT_EQ((*calls)[1].path, "/cgi-bin/gettoken");
    EXPECT_EQ((*calls)[1].errcode, 0);
    for (const auto& c : *calls) {
        EXPECT_EQ(c.path.find("SECRET-TOKEN"), std::string::npos);
        EXPECT_EQ(c.errmsg.find("SECRET-TOKEN"), std::string::npos);
    }
    EXPECT_TRUE(client->Calls(2, std::nullopt, 10)->empty());
}

TEST(WecomErrcode, ReadsOnlyUpstreamStatuses) {
    EXPECT_EQ(WecomErrcode(Status::Upstream("WeCom errcode -1: system busy")), -1);
    EXPECT_EQ(WecomErrcode(Status::Upstream("something else")), 0);
    EXPECT_EQ(WecomErrcode(Status::Unavailable("WeCom errcode 5: x")), 0);
    EXPECT_EQ(WecomErrcode(Status::Ok()), 0);
}

TEST(HttpFetch, ConnectionRefusedIsUnavailable) {
    auto r = HttpFetch({.url = "http://127.0.0.1:1/x?secret=1", .timeout_ms = 2000});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(r.status().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace siyu::channels::wecom
