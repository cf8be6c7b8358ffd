// The `siyu` binary: the server and its administration commands.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "api/app.h"
#include "auth/accounts.h"
#include "auth/password.h"
#include "base/config.h"
#include "base/logging.h"
#include "cli/command_support.h"
#include "cli/demo_data.h"
#include "cli/demo_wecom.h"
#include "cli/gen_command.h"
#include "cli/import_command.h"
#include "cli/wecom_command.h"
#include "cli/wecom_sim.h"
#include "engine/event_store.h"
#include "http/metrics.h"
#include "http/server.h"
#include "loyalty/loyalty.h"
#include "loyalty/verify.h"
#include "store/database.h"

namespace siyu::cli {
namespace {

namespace fs = std::filesystem;

std::string DbPath(const Config& c) { return (fs::path(c.data_dir) / "siyu.db").string(); }

std::unique_ptr<store::Database> OpenDatabase(const Config& c, int readers) {
    std::error_code ec;
    fs::create_directories(c.data_dir, ec);
    if (ec) Fail("cannot create data directory " + c.data_dir + ": " + ec.message());
    auto db =
        Unwrap(store::OpenSqlite({.path = DbPath(c), .readers = readers, .busy_timeout_ms = c.db_busy_timeout_ms}),
               "database");
    Check(db->Migrate(), "migrate");
    return db;
}

// Settings shared by every command: where the data lives and which config file to read.
struct CommonFlags {
    std::string config_file;
    std::string data_dir;
};

void AddCommonFlags(CLI::App* cmd, CommonFlags* flags) {
    cmd->add_option("--config", flags->config_file, "TOML configuration file");
    cmd->add_option("--data-dir", flags->data_dir, "data directory (default ./siyu-data, env SIYU_DATA_DIR)");
}

Config LoadConfig(const CommonFlags& flags, const std::vector<std::pair<std::string, std::string>>& overrides) {
    Config c;
    if (!flags.config_file.empty()) Check(ApplyConfigFile(flags.config_file, &c), "invalid configuration");
    Check(ApplyConfigEnv(&c), "invalid configuration");
    if (!flags.data_dir.empty()) c.data_dir = flags.data_dir;
    for (const auto& [key, value] : overrides) Check(SetConfigValue(key, value, &c), "invalid configuration");
    Check(ValidateConfig(c), "invalid configuration");
    return c;
}

auth::Actor CliActor() {
    const char* user = std::getenv("USER");
    return auth::Actor{"cli", std::nullopt, std::string("cli:") + (user ? user : "unknown"), ""};
}

auth::Role ParseRoleOrFail(const std::string& name) {
    auto role = auth::ParseRole(name);
    if (!role) Fail("unknown role '" + name + "' (owner, admin, operator, analyst, store_manager, guide)");
    return *role;
}

void PrintDemoSummary(const DemoSummary& d) {
    if (!d.created) {
        std::printf("demo tenant %lld already present\n", static_cast<long long>(d.tenant_id));
        return;
    }
    std::printf("demo tenant 示例品牌 created: tenant_id=%lld, %d stores, %d users, %d customers, %d events\n",
                static_cast<long long>(d.tenant_id), d.stores, d.users, d.customers, d.events);
    std::printf(
        "demo users (password %s): owner@ admin@ operator@ analyst@ manager.east@ manager.sh@ "
        "guide.sh@ guide.bj@ demo.siyu.local\n",
        d.password.c_str());
}

// Creates the first tenant and its owner when the database has no users yet.
void Bootstrap(const Config& c, auth::Accounts& accounts) {
    if (Unwrap(accounts.CountUsers(), "bootstrap") > 0) return;
    auto tenant = Unwrap(accounts.CreateTenant("My Brand", "Asia/Shanghai", "CNY", false), "bootstrap");
    const char* env_password = std::getenv("SIYU_ADMIN_PASSWORD");
    std::string password = env_password && *env_password ? env_password : auth::GeneratePassword();
    auth::NewMember owner{c.admin_email, "Owner", auth::Role::kOwner, password, {}};
    Unwrap(accounts.AddMember(tenant.id, owner, auth::Actor{"system", std::nullopt, "bootstrap", ""}), "bootstrap");
    std::printf("\n  First start: created tenant \"My Brand\" (id %lld) and its owner.\n",
                static_cast<long long>(tenant.id));
    std::printf("  Sign in as %s with password: %s\n", c.admin_email.c_str(),
                env_password && *env_password ? "(from SIYU_ADMIN_PASSWORD)" : password.c_str());
    if (!(env_password && *env_password)) std::printf("  This password is shown only once.\n");
    std::printf("\n");
    std::fflush(stdout);
}

int Serve(const CommonFlags& flags, const std::vector<std::pair<std::string, std::string>>& overrides, bool demo) {
    Config c = LoadConfig(flags, overrides);
    InitLogging(c.log_level, c.log_format);
    std::error_code ec;
    fs::create_directories(c.data_dir, ec);
    if (ec) Fail("cannot create data directory " + c.data_dir + ": " + ec.message());
    DataDirLock lock(c.data_dir, "stop it first");
    // Handlers block while their write commits, so more threads than cores let the writer batch
    // more transactions into one commit (docs/decisions.md).
    int threads = c.http_threads > 0
                      ? c.http_threads
                      : std::max(16, 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    auto db = OpenDatabase(c, c.db_readers > 0 ? c.db_readers : threads);
    int64_t demo_tenant = 0;
    {
        auth::Accounts accounts(db.get(), c.auth_session_ttl_hours);
        Bootstrap(c, accounts);
        if (demo) {
            auto summary = Unwrap(LoadDemo(db.get(), &accounts, 3000, 20261122, c.admin_email), "demo");
            PrintDemoSummary(summary);
            demo_tenant = summary.tenant_id;
        }
    }
    engine::EventStore engine;
    auto load_started = std::chrono::steady_clock::now();
    Check(engine.LoadFrom(*db), "engine");
    auto loaded = engine.Stats();
    spdlog::info("engine loaded {} events of {} customers in {:.3f} s ({:.1f} bytes per event)", loaded.events,
                 loaded.customers,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - load_started).count(),
                 loaded.events ? static_cast<double>(loaded.memory_bytes) / loaded.events : 0.0);
    api::App app(db.get(), c, &engine);
    http::ServerOptions options{.host = c.http_host,
                                .port = c.http_port,
                                .threads = threads,
                                .body_limit = c.http_body_limit,
                                .header_timeout_ms = c.http_header_timeout_ms,
                                .idle_timeout_ms = c.http_idle_timeout_ms,
                                .shutdown_grace_ms = c.http_shutdown_grace_ms,
                                .metrics = &app.metrics()};
    http::Server server(options, [&app](http::Request& req) { return app.Dispatch(req); });
    int port = 0;
    Check(server.Start(&port), "serve");
    std::printf("siyu %s listening on http://%s:%d (data in %s, %d threads)\n", SIYU_VERSION, c.http_host.c_str(), port,
                c.data_dir.c_str(), threads);
    std::fflush(stdout);
    std::unique_ptr<DemoWecom> demo_wecom;
    if (DemoWecomOptions o{.tenant_id = demo_tenant, .siyu_port = port}; demo && DemoWecomOptionsFromEnv(&o)) {
        if (c.http_host != "0.0.0.0" && c.http_host != "::") o.siyu_host = c.http_host;
        auth::Accounts accounts(db.get(), c.auth_session_ttl_hours);
        demo_wecom = DemoWecom::Start(&accounts, o);
    }
    server.Wait();
    if (demo_wecom) demo_wecom->Stop();
    app.Shutdown();
    db->Close();
    spdlog::info("stopped cleanly");
    return 0;
}

std::string SettingsHelp() {
    std::string out = "\nSettings (TOML key / environment variable):\n";
    for (const auto& s : Config::Settings()) {
        std::string env = "SIYU_";
        for (const char* p = s.key; *p; ++p) {
            env.push_back(*p == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(*p))));
        }
        out += "  " + std::string(s.key) + " / " + env + "\n      " + s.meaning + "\n";
    }
    out += "Flags win over the environment, which wins over the file.\n";
    return out;
}

int Run(int argc, char** argv) {
    CLI::App app{"siyu — private-domain customer operations: CDP, SCRM, loyalty and marketing automation"};
    app.require_subcommand(1);
    app.failure_message(
        [](const CLI::App*, const CLI::Error& e) { return std::string("siyu: ") + e.what() + " (see --help)\n"; });

    // serve
    CommonFlags serve_flags;
    std::vector<std::pair<std::string, std::string>> overrides;
    std::string host, port, threads, body_limit, web_dir, log_level, log_format, readers, header_timeout, idle_timeout,
        ttl;
    bool demo = false;
    auto* serve = app.add_subcommand("serve", "Run the HTTP server and the console");
    AddCommonFlags(serve, &serve_flags);
    serve->add_option("--host", host, "address to listen on (http.host)");
    serve->add_option("--port", port, "port to listen on (http.port)");
    serve->add_option("--threads", threads, "I/O threads (http.threads)");
    serve->add_option("--body-limit", body_limit, "largest request body in bytes (http.body_limit)");
    serve->add_option("--header-timeout-ms", header_timeout, "time to receive a request (http.header_timeout_ms)");
    serve->add_option("--idle-timeout-ms", idle_timeout, "keep-alive idle time (http.idle_timeout_ms)");
    serve->add_option("--web-dir", web_dir, "built console directory (web.dir)");
    serve->add_option("--db-readers", readers, "reader connections (db.readers)");
    serve->add_option("--session-ttl-hours", ttl, "console session lifetime (auth.session_ttl_hours)");
    serve->add_option("--log-level", log_level, "trace, debug, info, warn or error (log.level)");
    serve->add_option("--log-format", log_format, "text or json (log.format)");
    serve->add_flag("--demo", demo, "load the demo brand 示例品牌 if it is not there yet");
    serve->footer(SettingsHelp());

    auto* migrate = app.add_subcommand("migrate", "Apply database migrations and print the schema version");
    CommonFlags migrate_flags;
    AddCommonFlags(migrate, &migrate_flags);

    // tenant
    auto* tenant = app.add_subcommand("tenant", "Manage tenants (brands)");
    tenant->require_subcommand(1);
    CommonFlags tenant_flags;
    std::string tenant_name, tenant_tz = "Asia/Shanghai", tenant_currency = "CNY";
    auto* tenant_add = tenant->add_subcommand("add", "Create a tenant; prints tenant_id=<id>");
    AddCommonFlags(tenant_add, &tenant_flags);
    tenant_add->add_option("--name", tenant_name, "tenant name")->required();
    tenant_add->add_option("--time-zone", tenant_tz, "IANA time zone");
    tenant_add->add_option("--currency", tenant_currency, "ISO 4217 currency code");
    auto* tenant_list = tenant->add_subcommand("list", "List tenants");
    AddCommonFlags(tenant_list, &tenant_flags);

    // user
    auto* user = app.add_subcommand("user", "Manage console users");
    user->require_subcommand(1);
    CommonFlags user_flags;
    int64_t user_tenant = 0;
    std::string user_email, user_name, user_role = "operator", user_password;
    std::vector<int64_t> user_stores;
    auto* user_add = user->add_subcommand("add", "Add a user to a tenant; prints user_id=<id>");
    AddCommonFlags(user_add, &user_flags);
    user_add->add_option("--tenant-id", user_tenant, "tenant id")->required();
    user_add->add_option("--email", user_email, "login e-mail")->required();
    user_add->add_option("--name", user_name, "display name");
    user_add->add_option("--role", user_role, "owner, admin, operator, analyst, store_manager or guide");
    user_add->add_option("--password", user_password, "password (generated and printed when omitted)");
    user_add->add_option("--store-id", user_stores, "store (repeatable) for store_manager and guide");
    auto* user_list = user->add_subcommand("list", "List a tenant's users");
    AddCommonFlags(user_list, &user_flags);
    user_list->add_option("--tenant-id", user_tenant, "tenant id")->required();
    auto* user_passwd = user->add_subcommand("passwd", "Set a user's password and sign them out everywhere");
    AddCommonFlags(user_passwd, &user_flags);
    user_passwd->add_option("--email", user_email, "login e-mail")->required();
    user_passwd->add_option("--password", user_password, "new password (generated and printed when omitted)");

    // apikey
    auto* apikey = app.add_subcommand("apikey", "Manage API keys");
    apikey->require_subcommand(1);
    CommonFlags key_flags;
    int64_t key_tenant = 0, key_id = 0;
    std::string key_name, key_kind = "secret", key_role = "admin";
    auto* key_create = apikey->add_subcommand("create", "Create a key; prints key=<secret> once");
    AddCommonFlags(key_create, &key_flags);
    key_create->add_option("--tenant-id", key_tenant, "tenant id")->required();
    key_create->add_option("--name", key_name, "what the key is for")->required();
    key_create->add_option("--kind", key_kind, "secret (REST API) or write (tracking API)");
    key_create->add_option("--role", key_role, "role of a secret key");
    auto* key_list = apikey->add_subcommand("list", "List a tenant's keys");
    AddCommonFlags(key_list, &key_flags);
    key_list->add_option("--tenant-id", key_tenant, "tenant id")->required();
    auto* key_revoke = apikey->add_subcommand("revoke", "Revoke a key");
    AddCommonFlags(key_revoke, &key_flags);
    key_revoke->add_option("--tenant-id", key_tenant, "tenant id")->required();
    key_revoke->add_option("--id", key_id, "key id")->required();

    // backup / restore
    CommonFlags backup_flags;
    std::string backup_path;
    bool force = false;
    auto* backup = app.add_subcommand("backup", "Copy the live database to PATH (safe while serving)");
    AddCommonFlags(backup, &backup_flags);
    backup->add_option("path", backup_path, "destination file")->required();
    backup->add_flag("--force", force, "overwrite PATH if it exists");
    auto* restore = app.add_subcommand("restore", "Replace the database with the backup at PATH (server stopped)");
    AddCommonFlags(restore, &backup_flags);
    restore->add_option("path", backup_path, "backup file")->required();

    // demo
    auto* demo_cmd = app.add_subcommand("demo", "Demo data");
    demo_cmd->require_subcommand(1);
    CommonFlags demo_flags;
    int demo_customers = 3000;
    uint64_t demo_seed = 20261122;
    auto* demo_load = demo_cmd->add_subcommand("load", "Create the demo brand 示例品牌 (once)");
    AddCommonFlags(demo_load, &demo_flags);
    demo_load->add_option("--customers", demo_customers, "number of customers")->check(CLI::Range(0, 1'000'000));
    demo_load->add_option("--seed", demo_seed, "generator seed");

    // loyalty
    auto* loyalty_cmd = app.add_subcommand("loyalty", "Loyalty programme tools");
    loyalty_cmd->require_subcommand(1);
    CommonFlags loyalty_flags;
    int64_t loyalty_tenant = 0;
    bool loyalty_json = false;
    auto* loyalty_verify = loyalty_cmd->add_subcommand(
        "verify", "Prove that every balance of a tenant reconciles with its ledgers (safe while serving)");
    AddCommonFlags(loyalty_verify, &loyalty_flags);
    loyalty_verify->add_option("--tenant", loyalty_tenant, "tenant id")->required();
    loyalty_verify->add_flag("--json", loyalty_json, "print the report as JSON");
    auto* loyalty_sweep = loyalty_cmd->add_subcommand(
        "sweep", "Run the scheduled loyalty duties once now: expiry, reminders, tier reviews (server stopped)");
    AddCommonFlags(loyalty_sweep, &loyalty_flags);

    ImportFlags import_flags;
    AddImportCommands(app, &import_flags);
    GenFlags gen_flags;
    AddGenCommand(app, &gen_flags);
    WecomSimFlags wecom_sim_flags;
    AddWecomSimCommand(app, &wecom_sim_flags);
    WecomFlags wecom_flags;
    AddWecomCommand(app, &wecom_flags);

    app.add_subcommand("version", "Print the version");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    if (app.got_subcommand("version")) {
        std::printf("siyu %s\n", SIYU_VERSION);
        return 0;
    }
    if (serve->parsed()) {
        auto add = [&](const char* key, const std::string& v) {
            if (!v.empty()) overrides.emplace_back(key, v);
        };
        add("http.host", host);
        add("http.port", port);
        add("http.threads", threads);
        add("http.body_limit", body_limit);
        add("http.header_timeout_ms", header_timeout);
        add("http.idle_timeout_ms", idle_timeout);
        add("web.dir", web_dir);
        add("db.readers", readers);
        add("auth.session_ttl_hours", ttl);
        add("log.level", log_level);
        add("log.format", log_format);
        return Serve(serve_flags, overrides, demo);
    }
    InitLogging("warn", "text");
    if (import_flags.parsed()) return RunImport(import_flags);
    if (gen_flags.parsed()) return RunGen(gen_flags);
    if (wecom_sim_flags.parsed()) return RunWecomSim(wecom_sim_flags);
    if (wecom_flags.parsed()) return RunWecom(wecom_flags);
    if (migrate->parsed()) {
        Config c = LoadConfig(migrate_flags, {});
        auto db = OpenDatabase(c, 1);
        std::printf("schema_version=%d\n", Unwrap(db->SchemaVersion(), "migrate"));
        return 0;
    }
    if (tenant->parsed()) {
        Config c = LoadConfig(tenant_flags, {});
        auto db = OpenDatabase(c, 1);
        auth::Accounts accounts(db.get(), c.auth_session_ttl_hours);
        if (tenant_add->parsed()) {
            auto t = Unwrap(accounts.CreateTenant(tenant_name, tenant_tz, tenant_currency, false), "tenant add");
            std::printf("tenant_id=%lld\n", static_cast<long long>(t.id));
        } else {
            std::printf("id\tname\ttime_zone\tcurrency\tdemo\n");
            for (const auto& t : Unwrap(accounts.ListTenants(), "tenant list")) {
                std::printf("%lld\t%s\t%s\t%s\t%s\n", static_cast<long long>(t.id), t.name.c_str(), t.time_zone.c_str(),
                            t.currency.c_str(), t.demo ? "yes" : "no");
            }
        }
        return 0;
    }
    if (user->parsed()) {
        Config c = LoadConfig(user_flags, {});
        auto db = OpenDatabase(c, 1);
        auth::Accounts accounts(db.get(), c.auth_session_ttl_hours);
        if (user_add->parsed()) {
            Unwrap(accounts.GetTenant(user_tenant), "user add");
            auth::NewMember m{user_email, user_name.empty() ? user_email.substr(0, user_email.find('@')) : user_name,
                              ParseRoleOrFail(user_role), user_password, user_stores};
            std::string generated;
            auto member = Unwrap(accounts.AddMember(user_tenant, m, CliActor(), &generated), "user add");
            std::printf("user_id=%lld\n", static_cast<long long>(member.user_id));
            if (!generated.empty()) std::printf("password=%s\n", generated.c_str());
        } else if (user_list->parsed()) {
            Unwrap(accounts.GetTenant(user_tenant), "user list");
            std::printf("id\temail\tname\trole\tdisabled\n");
            auth::Page page{200, std::nullopt};
            while (true) {
                auto members = Unwrap(accounts.ListMembers(user_tenant, page, std::nullopt), "user list");
                for (const auto& m : members) {
                    std::printf("%lld\t%s\t%s\t%s\t%s\n", static_cast<long long>(m.user_id), m.email.c_str(),
                                m.name.c_str(), auth::RoleName(m.role), m.disabled ? "yes" : "no");
                }
                if (members.size() < static_cast<size_t>(page.limit)) break;
                page.after_id = members.back().user_id;
            }
        } else {
            int64_t id = Unwrap(accounts.FindUserByEmail(user_email), "user passwd");
            std::string password = user_password.empty() ? auth::GeneratePassword() : user_password;
            Check(accounts.SetPassword(id, password), "user passwd");
            if (user_password.empty()) std::printf("password=%s\n", password.c_str());
            std::printf("password changed; sessions revoked\n");
        }
        return 0;
    }
    if (apikey->parsed()) {
        Config c = LoadConfig(key_flags, {});
        auto db = OpenDatabase(c, 1);
        auth::Accounts accounts(db.get(), c.auth_session_ttl_hours);
        Unwrap(accounts.GetTenant(key_tenant), "apikey");
        if (key_create->parsed()) {
            auto created =
                Unwrap(accounts.CreateApiKey(key_tenant, key_name, key_kind, ParseRoleOrFail(key_role), CliActor()),
                       "apikey create");
            std::printf("api_key_id=%lld\nkey=%s\n", static_cast<long long>(created.first.id), created.second.c_str());
        } else if (key_list->parsed()) {
            std::printf("id\tname\tkind\trole\tprefix\trevoked\n");
            for (const auto& k : Unwrap(accounts.ListApiKeys(key_tenant), "apikey list")) {
                std::printf("%lld\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(k.id), k.name.c_str(), k.kind.c_str(),
                            auth::RoleName(k.role), k.prefix.c_str(), k.revoked_at ? "yes" : "no");
            }
        } else {
            Check(accounts.RevokeApiKey(key_tenant, key_id, CliActor()), "apikey revoke");
            std::printf("revoked api key %lld\n", static_cast<long long>(key_id));
        }
        return 0;
    }
    if (backup->parsed()) {
        Config c = LoadConfig(backup_flags, {});
        if (!fs::exists(DbPath(c))) Fail("no database at " + DbPath(c));
        if (fs::exists(backup_path) && !force) Fail(backup_path + " exists; pass --force to overwrite");
        fs::remove(backup_path);
        Check(store::BackupSqlite(DbPath(c), backup_path), "backup");
        std::printf("backup written to %s (%lld bytes)\n", backup_path.c_str(),
                    static_cast<long long>(fs::file_size(backup_path)));
        return 0;
    }
    if (restore->parsed()) {
        Config c = LoadConfig(backup_flags, {});
        if (!fs::is_regular_file(backup_path)) Fail("no backup file at " + backup_path);
        {
            auto check = store::OpenSqlite({.path = backup_path, .readers = 1, .read_only = true});
            if (!check.ok()) Fail("restore: " + check.status().message());
            auto version = check.value()->SchemaVersion();
            if (!version.ok() || version.value() <= 0) Fail("restore: " + backup_path + " is not a siyu database");
        }
        std::error_code ec;
        fs::create_directories(c.data_dir, ec);
        DataDirLock lock(c.data_dir, "stop it before restoring");
        std::string tmp = DbPath(c) + ".restoring";
        fs::remove(tmp);
        Check(store::BackupSqlite(backup_path, tmp), "restore");
        for (const char* suffix : {"-wal", "-shm"}) fs::remove(DbPath(c) + suffix);
        fs::rename(tmp, DbPath(c));
        auto db = OpenDatabase(c, 1);
        std::printf("restored %s into %s (schema version %d)\n", backup_path.c_str(), c.data_dir.c_str(),
                    Unwrap(db->SchemaVersion(), "restore"));
        return 0;
    }
    if (loyalty_verify->parsed()) {
        Config c = LoadConfig(loyalty_flags, {});
        if (!fs::exists(DbPath(c))) Fail("loyalty verify: no database in " + c.data_dir);
        auto db = Unwrap(store::OpenSqlite({.path = DbPath(c), .readers = 1, .read_only = true}), "database");
        auto report = Unwrap(loyalty::Verify(*db, loyalty_tenant), "loyalty verify");
        if (loyalty_json) {
            std::printf("%s\n", report.ToJson().dump(2).c_str());
        } else {
            std::printf("members=%lld points_entries=%lld lots=%lld stored_value_entries=%lld coupons=%lld "
                        "mall_exchanges=%lld\n",
                        static_cast<long long>(report.members), static_cast<long long>(report.points_entries),
                        static_cast<long long>(report.lots), static_cast<long long>(report.stored_value_entries),
                        static_cast<long long>(report.coupons), static_cast<long long>(report.mall_exchanges));
            for (const auto& p : report.problems) std::printf("problem: %s\n", p.c_str());
            std::printf("%s\n", report.problems.empty() ? "clean" : "NOT clean");
        }
        return report.problems.empty() ? 0 : 1;
    }
    if (loyalty_sweep->parsed()) {
        Config c = LoadConfig(loyalty_flags, {});
        DataDirLock lock(c.data_dir, "stop the server first; it runs these duties itself");
        auto db = OpenDatabase(c, 1);
        loyalty::Loyalty programme(db.get(), nullptr);
        Check(programme.Sweep(), "loyalty sweep");
        Check(programme.ProjectLedger(), "loyalty sweep: the points entries' events and traits");
        std::printf("loyalty sweep done\n");
        return 0;
    }
    if (demo_load->parsed()) {
        Config c = LoadConfig(demo_flags, {});
        auto db = OpenDatabase(c, 1);
        auth::Accounts accounts(db.get(), c.auth_session_ttl_hours);
        std::optional<std::string> owner;
        if (accounts.FindUserByEmail(c.admin_email).ok()) owner = c.admin_email;
        PrintDemoSummary(Unwrap(LoadDemo(db.get(), &accounts, demo_customers, demo_seed, owner), "demo load"));
        return 0;
    }
    return 0;
}

}  // namespace
}  // namespace siyu::cli

int main(int argc, char** argv) {
    try {
        return siyu::cli::Run(argc, argv);
    } catch (const siyu::cli::CommandError& e) {
        std::fprintf(stderr, "siyu: %s\n", e.message.c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "siyu: unexpected error: %s\n", e.what());
        return 1;
    }
}
