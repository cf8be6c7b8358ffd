#include "channels/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace siyu::channels {
namespace {

constexpr size_t kMaxResponseBytes = 16 << 20;

void GlobalInit() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The calling thread's easy handle; curl_easy_reset keeps its connection cache, so
// keep-alive connections survive from one request to the next.
class ThreadHandle {
  public:
    ThreadHandle() {
        GlobalInit();
        handle_ = curl_easy_init();
    }
    ~ThreadHandle() {
        if (handle_ != nullptr) curl_easy_cleanup(handle_);
    }
    ThreadHandle(const ThreadHandle&) = delete;
    ThreadHandle& operator=(const ThreadHandle&) = delete;
    CURL* get() const { return handle_; }

  private:
    CURL* handle_ = nullptr;
};

struct Sink {
    HttpResponse* response;
    bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    size_t n = size * count;
    if (sink->response->body.size() + n > kMaxResponseBytes) {
        sink->too_large = true;
        return 0;
    }
    sink->response->body.append(data, n);
    return n;
}

std::string Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    size_t n = size * count;
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
        sink->response->headers.clear();  // a new response (after 100 Continue)
        return n;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    sink->response->headers.emplace_back(Lower(Trim(line.substr(0, colon))), Trim(line.substr(colon + 1)));
    return n;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
    std::string wanted = Lower(name);
    for (const auto& [key, value] : headers) {
        if (key == wanted) return value;
    }
    return {};
}

Result<HttpResponse> HttpFetch(const HttpRequest& request) {
    thread_local ThreadHandle thread_handle;
    CURL* curl = thread_handle.get();
    if (curl == nullptr) return Status::Unavailable("HTTP client could not be initialised");
    curl_easy_reset(curl);

    HttpResponse response;
    Sink sink{&response};
    char error[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max(1, request.timeout_ms)));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::max(1, request.timeout_ms)));
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "siyu");
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");

    if (request.method == "GET") {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
        if (request.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    }

    curl_slist* headers = curl_slist_append(nullptr, "Expect:");
    for (const auto& [name, value] : request.headers) {
        std::string line = name + ": " + value;
        headers = curl_slist_append(headers, line.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    CURLcode code = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    if (code != CURLE_OK) {
        if (sink.too_large) return Status::Unavailable("HTTP response larger than 16 MB");
        std::string message = error[0] != '\0' ? std::string(error) : curl_easy_strerror(code);
        return Status::Unavailable(request.method + " " + request.url.substr(0, request.url.find('?')) + ": " + message);
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
}

}  // namespace siyu::channels
