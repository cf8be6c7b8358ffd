#include "http/server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "base/crypto.h"
#include "base/strings.h"
#include "http/metrics.h"

namespace siyu::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
// A concrete strand type (not any_io_executor) keeps type erasure off the hot path.
using Executor = net::strand<net::io_context::executor_type>;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using Stream = beast::basic_stream<tcp, Executor>;

class Session;

class Server::Impl {
  public:
    Impl(ServerOptions options, Dispatch dispatch)
        : options_(std::move(options)), dispatch_(std::move(dispatch)), acceptor_(ioc_), signals_(ioc_) {}

    Status Start(int* port);
    void Wait();
    void RequestStop() {
        {
            std::lock_guard lock(stop_mu_);
            stop_requested_ = true;
        }
        stop_cv_.notify_all();
    }

    void DoAccept();
    void Register(const std::shared_ptr<Session>& s);
    void Unregister(Session* s);

    ServerOptions options_;
    Dispatch dispatch_;
    net::io_context ioc_;
    tcp::acceptor acceptor_;
    net::signal_set signals_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> in_flight_{0};

    std::mutex stop_mu_;
    std::condition_variable stop_cv_;
    bool stop_requested_ = false;  // GUARDED_BY(stop_mu_)

    std::mutex sessions_mu_;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // GUARDED_BY(sessions_mu_)
};

namespace {

std::string NewRequestId() { return HexEncode(RandomBytes(8)); }

bool IsAcceptableRequestId(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
}

}  // namespace

// One client connection. All its handlers run on its strand.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(Socket&& socket, Server::Impl* server) : stream_(std::move(socket)), server_(server) {
        beast::error_code ec;
        auto endpoint = stream_.socket().remote_endpoint(ec);
        if (!ec) remote_ip_ = endpoint.address().to_string();
    }
    ~Session() {
        EndRequest();
        server_->Unregister(this);
    }

    void Start() {
        server_->Register(shared_from_this());
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
    }

    // Closes the connection unless a request is being handled; called at shutdown.
    void CloseIfIdle(bool force) {
        net::post(stream_.get_executor(), [self = shared_from_this(), force] {
            if (self->busy_ && !force) return;
            beast::error_code ec;
            self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
            self->stream_.socket().close(ec);
        });
    }

  private:
    void DoRead() {
        if (server_->stopping_) return Close();
        busy_ = false;
        parser_.emplace();
        parser_->body_limit(static_cast<uint64_t>(server_->options_.body_limit));
        parser_->header_limit(32 * 1024);
        stream_.expires_after(std::chrono::milliseconds(first_ ? server_->options_.header_timeout_ms
                                                               : server_->options_.idle_timeout_ms));
        first_ = false;
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
    }

    void OnHeader(beast::error_code ec) {
        if (ec) return OnReadError(ec);
        busy_ = true;
        BeginRequest();
        auto& req = parser_->get();
        auto length = parser_->content_length();
        if (length && *length > static_cast<uint64_t>(server_->options_.body_limit)) {
            return SendError(
                413, "payload_too_large",
                "the request body exceeds the limit of " + std::to_string(server_->options_.body_limit) + " bytes");
        }
        stream_.expires_after(std::chrono::milliseconds(server_->options_.header_timeout_ms));
        if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
            auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, req.version());
            return bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec2, size_t) {
                if (ec2) return self->Close();
                self->ReadBody();
            });
        }
        ReadBody();
    }

    void ReadBody() {
        bhttp::async_read(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
    }

    void OnReadError(beast::error_code ec) {
        if (ec == bhttp::error::body_limit) {
            return SendError(
                413, "payload_too_large",
                "the request body exceeds the limit of " + std::to_string(server_->options_.body_limit) + " bytes");
        }
        if (ec == bhttp::error::header_limit) return SendError(431, "invalid_argument", "request headers too large");
        if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return Close();
        if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
            return SendError(400, "invalid_argument", "malformed HTTP request: " + ec.message());
        }
        Close();
    }

    void OnRead(beast::error_code ec) {
        if (ec) return OnReadError(ec);
        Handle();
    }

    void Handle() {
        auto& raw = parser_->get();
        Request req;
        req.method = std::string(raw.method_string());
        req.target = std::string(raw.target());
        size_t qpos = req.target.find('?');
        req.path = UrlDecode(std::string_view(req.target).substr(0, qpos));
        if (qpos != std::string::npos) req.query = req.target.substr(qpos + 1);
        for (const auto& field : raw) {
            req.headers.emplace_back(ToLower(field.name_string()), std::string(field.value()));
        }
        req.body = std::move(raw.body());
        req.remote_ip = remote_ip_;
        const std::string* incoming_id = req.Header("x-request-id");
        req.request_id = incoming_id && IsAcceptableRequestId(*incoming_id) ? *incoming_id : NewRequestId();

        auto started = std::chrono::steady_clock::now();
        Response resp = server_->dispatch_(req);
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (server_->options_.metrics) {
            server_->options_.metrics->Observe(resp.route.empty() ? "unmatched" : resp.route, req.method, resp.status,
                                               seconds);
        }
        SPDLOG_LOGGER_INFO(spdlog::default_logger_raw(),
                           "http method={} path={} status={} duration_ms={:.3f} bytes={} ip={} request_id={}",
                           req.method, req.path, resp.status, seconds * 1000, resp.body.size(), req.remote_ip,
                           req.request_id);
        bool keep_alive = raw.keep_alive() && !server_->stopping_;
        Send(std::move(resp), req.request_id, raw.version(), keep_alive, req.method == "HEAD");
    }

    void SendError(int status, const char* code, const std::string& message) {
        std::string request_id = NewRequestId();
        Response resp = Response::Json(status, ErrorBody(code, message, "", request_id));
        BeginRequest();
        Send(std::move(resp), request_id, 11, false, false);
    }

    void Send(Response resp, const std::string& request_id, unsigned version, bool keep_alive, bool head) {
        if (resp.stream && !head) return SendStream(std::move(resp), request_id, version, keep_alive);
        auto res =
            std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(resp.status), version);
        res->set(bhttp::field::server, "siyu");
        if (!resp.content_type.empty()) res->set(bhttp::field::content_type, resp.content_type);
        res->set("X-Request-Id", request_id);
        for (auto& [k, v] : resp.headers) res->insert(k, v);
        res->keep_alive(keep_alive);
        if (head) {
            res->content_length(resp.body.size());
        } else {
            res->body() = std::move(resp.body);
            res->prepare_payload();
        }
        bhttp::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
            self->EndRequest();
            if (ec || !keep_alive) return self->Close();
            self->DoRead();
        });
    }

    // A chunked answer: the header, then one chunk per call of the producer.
    struct Streaming {
        bhttp::response<bhttp::buffer_body> res;
        std::optional<bhttp::response_serializer<bhttp::buffer_body>> serializer;
        std::function<Result<bool>(std::string*)> next;
        std::string chunk;
        bool keep_alive = false;
    };

    void SendStream(Response resp, const std::string& request_id, unsigned version, bool keep_alive) {
        auto st = std::make_shared<Streaming>();
        st->res.result(static_cast<bhttp::status>(resp.status));
        st->res.version(version);
        st->res.set(bhttp::field::server, "siyu");
        if (!resp.content_type.empty()) st->res.set(bhttp::field::content_type, resp.content_type);
        st->res.set("X-Request-Id", request_id);
        for (auto& [k, v] : resp.headers) st->res.insert(k, v);
        st->res.keep_alive(keep_alive);
        st->res.chunked(true);
        st->res.body().data = nullptr;
        st->res.body().more = true;
        st->next = std::move(resp.stream);
        st->keep_alive = keep_alive;
        st->serializer.emplace(st->res);
        bhttp::async_write_header(stream_, *st->serializer,
                                  [self = shared_from_this(), st](beast::error_code ec, size_t) {
                                      if (ec) return self->Close();
                                      self->WriteChunk(st);
                                  });
    }

    void WriteChunk(const std::shared_ptr<Streaming>& st) {
        st->chunk.clear();
        bool more = false;
        Result<bool> produced = st->next(&st->chunk);
        if (!produced.ok()) {
            spdlog::warn("streamed answer ended early: {}", produced.status().ToString());
            return Close();
        }
        more = *produced;
        auto& body = st->res.body();
        if (!st->chunk.empty()) {
            body.data = st->chunk.data();
            body.size = st->chunk.size();
            body.more = true;
        } else {
            body.data = nullptr;
            body.size = 0;
            body.more = more;
        }
        bhttp::async_write(stream_, *st->serializer, [self = shared_from_this(), st](beast::error_code ec, size_t) {
            if (ec == bhttp::error::need_buffer) ec = {};
            if (ec) return self->Close();
            if (st->serializer->is_done()) {
                self->EndRequest();
                if (!st->keep_alive) return self->Close();
                return self->DoRead();
            }
            self->WriteChunk(st);
        });
    }

    // A request counts as in flight from its headers until its answer is written, so a
    // graceful shutdown waits for bodies still arriving.
    void BeginRequest() {
        if (!counted_) {
            counted_ = true;
            ++server_->in_flight_;
        }
    }
    void EndRequest() {
        if (counted_) {
            counted_ = false;
            --server_->in_flight_;
        }
    }

    void Close() {
        EndRequest();
        busy_ = false;
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.socket().close(ec);
    }

    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    Server::Impl* server_;
    std::string remote_ip_;
    bool busy_ = false;
    bool first_ = true;
    bool counted_ = false;
};

void Server::Impl::Register(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(sessions_mu_);
    sessions_[s.get()] = s;
}

void Server::Impl::Unregister(Session* s) {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(s);
}

void Server::Impl::DoAccept() {
    acceptor_.async_accept(Executor(ioc_.get_executor()), [this](beast::error_code ec, Socket socket) {
        if (ec) {
            if (!acceptor_.is_open()) return;
            spdlog::warn("accept failed: {}", ec.message());
        } else {
            socket.set_option(tcp::no_delay(true), ec);
            std::make_shared<Session>(std::move(socket), this)->Start();
        }
        if (!stopping_) DoAccept();
    });
}

Status Server::Impl::Start(int* port) {
    beast::error_code ec;
    auto address = net::ip::make_address(options_.host, ec);
    if (ec) return Status::InvalidArgument("http.host", "not an IP address: " + options_.host);
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        return Status::Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
                                   ec.message());
    }
    *port = acceptor_.local_endpoint().port();
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.async_wait([this](beast::error_code e, int sig) {
        if (!e) {
            spdlog::info("received signal {}, shutting down", sig);
            RequestStop();
        }
    });
    DoAccept();
    int n = std::max(1, options_.threads);
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
    return Status::Ok();
}

void Server::Impl::Wait() {
    {
        std::unique_lock lock(stop_mu_);
        stop_cv_.wait(lock, [&] { return stop_requested_; });
    }
    stopping_ = true;
    net::post(ioc_, [this] {
        beast::error_code ec;
        acceptor_.close(ec);
        signals_.cancel(ec);
    });
    auto close_sessions = [&](bool force) {
        // Take strong references under the lock but release them outside it: dropping the
        // last one runs ~Session, which unregisters under the same lock.
        std::vector<std::shared_ptr<Session>> live;
        {
            std::lock_guard lock(sessions_mu_);
            for (auto& [raw, weak] : sessions_) {
                if (auto s = weak.lock()) live.push_back(std::move(s));
            }
        }
        for (auto& s : live) s->CloseIfIdle(force);
    };
    close_sessions(false);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
    while (in_flight_ > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (in_flight_ > 0) spdlog::warn("{} requests still in flight after the grace period", in_flight_.load());
    close_sessions(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
}

Server::Server(ServerOptions options, Dispatch dispatch)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(dispatch))) {}
Server::~Server() {
    if (!impl_->threads_.empty()) {
        impl_->RequestStop();
        impl_->Wait();
    }
}
Status Server::Start(int* port) { return impl_->Start(port); }
void Server::Wait() { impl_->Wait(); }
void Server::Stop() { impl_->RequestStop(); }

}  // namespace siyu::http
