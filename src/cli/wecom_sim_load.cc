// The load generator behind POST /sim/load: add_external_contact callbacks at a fixed rate over
// kept-alive connections (libcurl's multi interface on one thread), open loop. Callback i is due
// at start + i / rate; its latency runs from that due time to its answer, so a server that falls
// behind shows as latency instead of slowing the generator down.

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>

#include "cli/wecom_sim_core.h"

namespace siyu::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Job {
    Clock::time_point due;
    channels::HttpRequest request;
};

struct Conn {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string response;
    Clock::time_point due;
    bool busy = false;
};

size_t Collect(char* data, size_t size, size_t n, void* user) {
    static_cast<Conn*>(user)->response.append(data, size * n);
    return size * n;
}

double Percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    size_t index = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size()))) - 1;
    return sorted[std::min(index, sorted.size() - 1)];
}

double Round3(double v) { return std::round(v * 1000) / 1000; }

class Generator {
  public:
    Generator(SimCore* core, const LoadSpec& spec, std::string state, int add_way)
        : core_(core), spec_(spec), state_(std::move(state)), add_way_(add_way) {}

    ~Generator() {
        for (auto& c : conns_) {
            if (c.easy) {
                curl_multi_remove_handle(multi_, c.easy);
                curl_easy_cleanup(c.easy);
            }
            curl_slist_free_all(c.headers);
        }
        if (multi_) curl_multi_cleanup(multi_);
    }

    Result<Json> Run() {
        multi_ = curl_multi_init();
        if (!multi_) return Status::Internal("curl_multi_init failed");
        curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(spec_.connections));
        curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(spec_.connections));
        conns_.resize(spec_.connections);
        for (auto& c : conns_) {
            c.easy = curl_easy_init();
            if (!c.easy) return Status::Internal("curl_easy_init failed");
            c.headers = curl_slist_append(nullptr, "Content-Type: text/xml");
            c.headers = curl_slist_append(c.headers, "Expect:");
            idle_.push_back(&c);
        }
        const int64_t total = std::llround(spec_.rate * spec_.seconds);
        const auto interval = std::chrono::duration<double>(1.0 / spec_.rate);
        const auto start = Clock::now() + std::chrono::milliseconds(20);
        auto due = [&](int64_t i) {
            return start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
        };
        const auto give_up = due(total) + std::chrono::milliseconds(spec_.timeout_ms + 1000);
        int64_t next = 0;
        latencies_.reserve(static_cast<size_t>(total));
        while (true) {
            auto now = Clock::now();
            while (next < total && due(next) <= now) {
                auto job = MakeJob(due(next));
                if (!job.ok()) return job.status();
                ++next;
                ++sent_;
                if (!idle_.empty()) {
                    Start(idle_.back(), std::move(job).value());
                    idle_.pop_back();
                } else {
                    queued_.push_back(std::move(job).value());
                }
            }
            int running = 0;
            curl_multi_perform(multi_, &running);
            Harvest();
            if (next == total && queued_.empty() && busy_ == 0) break;
            if (Clock::now() > give_up) {
                errors_ += static_cast<int64_t>(queued_.size()) + busy_;
                break;
            }
            int wait_ms = 5;
            if (next < total) {
                auto until = std::chrono::duration_cast<std::chrono::milliseconds>(due(next) - Clock::now()).count();
                wait_ms = static_cast<int>(std::clamp<int64_t>(until, 0, 5));
            }
            if (wait_ms > 0 || busy_ > 0) curl_multi_poll(multi_, nullptr, 0, wait_ms, nullptr);
        }
        auto finished = last_answer_ > start ? last_answer_ : Clock::now();
        std::sort(latencies_.begin(), latencies_.end());
        double elapsed = std::chrono::duration<double>(finished - start).count();
        int64_t within = std::upper_bound(latencies_.begin(), latencies_.end(), 1000.0) - latencies_.begin();
        Json out;
        out["sent"] = sent_;
        out["answered"] = answered_;
        out["errors"] = errors_;
        out["non_2xx"] = non_2xx_;
        out["latency_ms"] = {{"p50", Round3(Percentile(latencies_, 0.50))},
                             {"p95", Round3(Percentile(latencies_, 0.95))},
                             {"p99", Round3(Percentile(latencies_, 0.99))},
                             {"max", Round3(latencies_.empty() ? 0 : latencies_.back())}};
        out["within_1s"] = within;
        out["achieved_rate"] = Round3(elapsed > 0 ? static_cast<double>(answered_) / elapsed : 0);
        out["target_rate"] = spec_.rate;
        out["seconds"] = Round3(elapsed);
        out["connections"] = spec_.connections;
        out["userid"] = spec_.userid;
        out["first_external_userid"] = first_ext_;
        out["last_external_userid"] = last_ext_;
        if (!first_error_.empty()) out["first_error"] = first_error_;
        return out;
    }

  private:
    Result<Job> MakeJob(Clock::time_point due) {
        std::string xml;
        {
            std::lock_guard lock(core_->mu);
            auto added = core_->AddFollow(spec_.userid, Json::object(), state_, add_way_);
            Fields f{{"UserID", spec_.userid}, {"ExternalUserID", added.external_userid}};
            if (!state_.empty()) f.emplace_back("State", state_);
            f.emplace_back("WelcomeCode", added.welcome_code);
            xml = core_->EventXml("change_external_contact", "add_external_contact", f);
            if (first_ext_.empty()) first_ext_ = added.external_userid;
            last_ext_ = added.external_userid;
        }
        SIYU_ASSIGN_OR_RETURN(auto request, core_->BuildCallbackRequest(xml));
        return Job{due, std::move(request)};
    }

    void Start(Conn* c, Job job) {
        c->response.clear();
        c->due = job.due;
        c->busy = true;
        curl_easy_setopt(c->easy, CURLOPT_URL, job.request.url.c_str());
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(job.request.body.size()));
        curl_easy_setopt(c->easy, CURLOPT_COPYPOSTFIELDS, job.request.body.c_str());
        curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
        curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, Collect);
        curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, static_cast<long>(spec_.timeout_ms));
        curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
        curl_multi_add_handle(multi_, c->easy);
        ++busy_;
    }

    void Harvest() {
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
            if (msg->msg != CURLMSG_DONE) continue;
            Conn* c = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&c));
            auto now = Clock::now();
            CURLcode result = msg->data.result;
            curl_multi_remove_handle(multi_, c->easy);
            --busy_;
            c->busy = false;
            if (result == CURLE_OK) {
                long status = 0;
                curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
                ++answered_;
                if (status < 200 || status >= 300) {
                    ++non_2xx_;
                    if (first_error_.empty()) first_error_ = "HTTP " + std::to_string(status) + ": " + c->response;
                }
                latencies_.push_back(std::chrono::duration<double, std::milli>(now - c->due).count());
                last_answer_ = now;
            } else {
                ++errors_;
                if (first_error_.empty()) first_error_ = curl_easy_strerror(result);
            }
            if (!queued_.empty()) {
                Job job = std::move(queued_.front());
                queued_.pop_front();
                Start(c, std::move(job));
            } else {
                idle_.push_back(c);
            }
        }
    }

    using Fields = std::vector<std::pair<std::string, std::string>>;

    SimCore* core_;
    LoadSpec spec_;
    std::string state_;
    int add_way_;
    CURLM* multi_ = nullptr;
    std::vector<Conn> conns_;
    std::vector<Conn*> idle_;
    std::deque<Job> queued_;
    int64_t busy_ = 0, sent_ = 0, answered_ = 0, errors_ = 0, non_2xx_ = 0;
    std::vector<double> latencies_;
    Clock::time_point last_answer_{};
    std::string first_ext_, last_ext_, first_error_;
};

}  // namespace

Result<Json> RunLoad(SimCore* core, const LoadSpec& spec) {
    std::string state = spec.state;
    int add_way = 2;
    {
        std::lock_guard lock(core->mu);
        SimStaff* s = core->FindStaff(spec.userid);
        if (s == nullptr) return Status::NotFound("no staff " + spec.userid);
        if (s->status != 1) return Status::FailedPrecondition("staff " + spec.userid + " is not active");
        if (!spec.config_id.empty()) {
            auto it = core->contact_ways.find(spec.config_id);
            if (it == core->contact_ways.end()) return Status::NotFound("no contact way " + spec.config_id);
            if (state.empty()) state = it->second.state;
            add_way = 1;
        }
        if (core->options.callback_url.empty()) return Status::FailedPrecondition("no callback_url");
        if (!core->crypt) return Status::FailedPrecondition("callback encryption unavailable: " + core->crypt_error);
        core->load_runs += 1;
    }
    Generator generator(core, spec, std::move(state), add_way);
    return generator.Run();
}

}  // namespace siyu::cli
