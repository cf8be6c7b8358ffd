#include "cli/import_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/accounts.h"
#include "base/config.h"
#include "cdp/customer_import.h"
#include "cdp/order_import.h"
#include "cli/command_support.h"
#include "loyalty/loyalty.h"
#include "loyalty/member_import.h"
#include "store/database.h"

namespace siyu::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr size_t kErrorsShown = 10;
constexpr size_t kCustomersPerBatch = 10000;

std::string WithCommas(int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return n < 0 ? "-" + out : out;
}

// Shows progress on stderr: a bar redrawn in place on a terminal, otherwise a line every
// few seconds (for logs and CI).
class ProgressDisplay {
  public:
    ProgressDisplay(bool enabled, const char* noun) : enabled_(enabled), tty_(::isatty(STDERR_FILENO)), noun_(noun) {
        if (tty_) last_ -= std::chrono::hours(1);  // a terminal shows the bar at once
    }

    void Update(const cdp::ImportProgress& p) {
        if (!enabled_) return;
        auto now = Clock::now();
        if (now - last_ < (tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000))) return;
        last_ = now;
        double fraction = p.total_rows > 0    ? static_cast<double>(p.rows) / static_cast<double>(p.total_rows)
                          : p.total_bytes > 0 ? static_cast<double>(p.bytes) / static_cast<double>(p.total_bytes)
                                              : 0.0;
        fraction = std::min(1.0, std::max(0.0, fraction));
        double seconds = std::chrono::duration<double>(now - started_).count();
        std::string counts = WithCommas(p.rows) + (p.total_rows > 0 ? " / " + WithCommas(p.total_rows) : "") + " rows" +
                             (p.phase == "importing" ? ", " + WithCommas(p.written) + " " + noun_ : "");
        char line[256];
        if (tty_) {
            constexpr int kWidth = 28;
            int filled = static_cast<int>(fraction * kWidth);
            std::string bar(static_cast<size_t>(filled), '#');
            bar.append(static_cast<size_t>(kWidth - filled), '.');
            std::snprintf(line, sizeof(line), "\r%-9s [%s] %3d%%  %s  %.1f s\033[K", std::string(p.phase).c_str(),
                          bar.c_str(), static_cast<int>(fraction * 100), counts.c_str(), seconds);
            drawn_ = true;
        } else {
            std::snprintf(line, sizeof(line), "siyu import: %s %d%% (%s, %.1f s)\n", std::string(p.phase).c_str(),
                          static_cast<int>(fraction * 100), counts.c_str(), seconds);
        }
        std::fputs(line, stderr);
        std::fflush(stderr);
    }

    // Clears the bar before other output.
    void Done() {
        if (drawn_) std::fputs("\r\033[K", stderr);
        drawn_ = false;
    }

  private:
    bool enabled_;
    bool tty_;
    const char* noun_;
    bool drawn_ = false;
    Clock::time_point started_ = Clock::now();
    Clock::time_point last_ = Clock::now();
};

// Row errors: all of them to the --errors file, the first few kept for the terminal.
class ErrorSink {
  public:
    explicit ErrorSink(const std::string& path) : path_(path) {
        if (path.empty()) return;
        out_.open(path, std::ios::binary | std::ios::trunc);
        if (!out_) Fail("cannot write the error report " + path);
        out_ << cdp::ErrorCsvHeader();
    }

    void Add(const cdp::ImportError& e) {
        ++count_;
        if (out_.is_open()) out_ << cdp::ErrorCsvRow(e);
        if (shown_.size() < kErrorsShown) shown_.push_back(e);
    }

    void Print() {
        if (out_.is_open()) out_.flush();
        if (count_ == 0) return;
        for (const auto& e : shown_) {
            std::fprintf(stderr, "line %lld%s%s: %s\n", static_cast<long long>(e.line), e.column.empty() ? "" : ", ",
                         e.column.c_str(), e.reason.c_str());
        }
        if (!path_.empty()) {
            std::fprintf(stderr, "%lld problems; the full report is in %s\n", static_cast<long long>(count_),
                         path_.c_str());
        } else if (count_ > static_cast<int64_t>(shown_.size())) {
            std::fprintf(stderr, "... and %lld more; pass --errors PATH for the full report\n",
                         static_cast<long long>(count_ - static_cast<int64_t>(shown_.size())));
        }
    }

  private:
    std::string path_;
    std::ofstream out_;
    int64_t count_ = 0;
    std::vector<cdp::ImportError> shown_;
};

Config LoadConfig(const ImportFlags& flags) {
    Config c;
    if (!flags.config_file.empty()) Check(ApplyConfigFile(flags.config_file, &c), "invalid configuration");
    Check(ApplyConfigEnv(&c), "invalid configuration");
    if (!flags.data_dir.empty()) c.data_dir = flags.data_dir;
    Check(ValidateConfig(c), "invalid configuration");
    return c;
}

auth::Tenant ChooseTenant(auth::Accounts& accounts, int64_t tenant_id, const std::string& what) {
    if (tenant_id > 0) return Unwrap(accounts.GetTenant(tenant_id), what);
    auto tenants = Unwrap(accounts.ListTenants(), what);
    if (tenants.size() == 1) return tenants.front();
    if (tenants.empty()) {
        Fail(what +
             ": there is no tenant yet; create one with 'siyu tenant add --name NAME --time-zone ZONE "
             "--currency CODE'");
    }
    Fail(what + ": " + std::to_string(tenants.size()) + " tenants exist; choose one with --tenant-id");
}

cdp::ColumnMapping ReadMapping(const ImportFlags& flags, const std::string& what) {
    cdp::ColumnMapping mapping;
    if (!flags.mapping_file.empty()) {
        std::ifstream in(flags.mapping_file, std::ios::binary);
        if (!in) Fail(what + ": cannot read the mapping file " + flags.mapping_file);
        std::stringstream text;
        text << in.rdbuf();
        Check(mapping.AddLines(text.str()), what);
    }
    for (const auto& spec : flags.map) Check(mapping.AddPairs(spec), what);
    return mapping;
}

void PrintCount(const char* name, int64_t value) { std::printf("%s=%lld\n", name, static_cast<long long>(value)); }

int Run(const ImportFlags& flags) {
    bool orders = flags.orders && flags.orders->parsed();
    std::string what = orders ? "import orders" : "import customers";
    Config config = LoadConfig(flags);
    auto csv = Unwrap(cdp::CsvReader::OpenFile(flags.file), what);
    std::error_code ec;
    fs::create_directories(config.data_dir, ec);
    if (ec) Fail("cannot create data directory " + config.data_dir + ": " + ec.message());
    DataDirLock lock(config.data_dir, "stop it first, or send the file to POST /api/v1/imports");
    auto db = Unwrap(store::OpenSqlite({.path = (fs::path(config.data_dir) / "siyu.db").string(),
                                        .readers = 1,
                                        .busy_timeout_ms = config.db_busy_timeout_ms}),
                     "database");
    Check(db->Migrate(), "migrate");
    auth::Accounts accounts(db.get(), config.auth_session_ttl_hours);
    auth::Tenant tenant = ChooseTenant(accounts, flags.tenant_id, what);
    cdp::ColumnMapping mapping = ReadMapping(flags, what);
    std::string time_zone = flags.time_zone.empty() ? tenant.time_zone : flags.time_zone;

    ProgressDisplay progress(!flags.no_progress, orders ? "orders" : "customers");
    ErrorSink errors(flags.errors_path);
    int64_t written = 0;
    cdp::ImportHooks hooks;
    hooks.on_progress = [&](const cdp::ImportProgress& p) {
        written = p.written;
        progress.Update(p);
    };
    hooks.on_error = [&](const cdp::ImportError& e) { errors.Add(e); };

    // Stops with the reason; an orders import that fails after some batches says so.
    auto fail = [&](const Status& st) {
        progress.Done();
        errors.Print();
        std::string note;
        if (orders && written > 0) {
            note = " (" + WithCommas(written) + " orders were imported before; running the import again skips them)";
        }
        Fail(what + ": " + Describe(st) + note);
    };
    auto done = [&] {
        progress.Done();
        errors.Print();
    };
    if (orders) {
        cdp::OrderImportOptions o;
        o.tenant_id = tenant.id;
        o.time_zone = time_zone;
        o.currency = flags.currency.empty() ? tenant.currency : flags.currency;
        for (char& ch : o.currency) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        o.refund_prefix = flags.refund_prefix;
        o.mapping = mapping;
        if (flags.batch_size > 0) o.orders_per_batch = static_cast<size_t>(flags.batch_size);
        o.hooks = hooks;
        cdp::EventIngestor ingestor(db.get());
        auto r = cdp::ImportOrders(*csv, ingestor, o);
        if (!r.ok()) fail(r.status());
        done();
        const auto& x = r.value();
        PrintCount("tenant_id", tenant.id);
        PrintCount("rows", x.rows);
        PrintCount("orders", x.orders);
        PrintCount("refunds", x.refunds);
        PrintCount("duplicates", x.duplicates);
        PrintCount("customers", x.customers);
        PrintCount("guest_orders", x.guest_orders);
        PrintCount("rejected_rows", x.rejected_rows);
        PrintCount("rejected_orders", x.rejected_orders);
        std::printf("seconds=%.3f\n", static_cast<double>(x.duration_ms) / 1000.0);
    } else {
        cdp::CustomerImportOptions o;
        o.tenant_id = tenant.id;
        o.time_zone = time_zone;
        o.mapping = mapping;
        // The server is stopped, so no one waits for the writer: large batches make fewer commits.
        o.rows_per_batch = flags.batch_size > 0 ? static_cast<size_t>(flags.batch_size) : kCustomersPerBatch;
        o.hooks = hooks;
        // A stopped server's engine is rebuilt from the database: nothing to publish to.
        loyalty::MemberImporter::Attach(&o);
        auto r = cdp::ImportCustomers(*csv, *db, o);
        if (!r.ok()) fail(r.status());
        // The events of the points movements the import made (differences to earlier balances)
        // and the members' `points` trait; large transactions, as for the rows.
        if (Status st = loyalty::Loyalty(db.get(), nullptr).ProjectLedger(kCustomersPerBatch); !st.ok()) fail(st);
        done();
        const auto& x = r.value();
        PrintCount("tenant_id", tenant.id);
        PrintCount("rows", x.rows);
        PrintCount("created", x.created);
        PrintCount("updated", x.updated);
        PrintCount("unchanged", x.unchanged);
        PrintCount("members_created", x.members_created);
        PrintCount("rejected_rows", x.rejected_rows);
        std::printf("seconds=%.3f\n", static_cast<double>(x.duration_ms) / 1000.0);
    }
    std::fflush(stdout);
    db->Close();
    return 0;
}

void AddShared(CLI::App* cmd, ImportFlags* flags) {
    cmd->add_option("file", flags->file, "CSV file, plain or gzip (.gz)")->required();
    cmd->add_option("--config", flags->config_file, "TOML configuration file");
    cmd->add_option("--data-dir", flags->data_dir, "data directory (default ./siyu-data, env SIYU_DATA_DIR)");
    cmd->add_option("--tenant-id", flags->tenant_id, "tenant to import into (default: the only tenant)");
    cmd->add_option("--map", flags->map, "field=column pairs, comma-separated and repeatable (order_id=InvoiceNo,...)");
    cmd->add_option("--mapping-file", flags->mapping_file, "file with one field=column per line");
    cmd->add_option("--time-zone", flags->time_zone, "zone of the times in the file (default: the tenant's)");
    cmd->add_option("--errors", flags->errors_path, "write every problem row to this CSV (line,column,reason)");
    cmd->add_flag("--no-progress", flags->no_progress, "do not show progress on stderr");
}

}  // namespace

void AddImportCommands(CLI::App& app, ImportFlags* flags) {
    auto* import = app.add_subcommand("import", "Import orders or members from CSV files");
    import->require_subcommand(1);
    flags->orders = import->add_subcommand(
        "orders", "Import order lines: one Order Completed / Order Refunded event per order (docs/imports.md)");
    AddShared(flags->orders, flags);
    flags->orders->add_option("--currency", flags->currency, "currency of the prices (default: the tenant's)");
    flags->orders->add_option("--refund-prefix", flags->refund_prefix,
                              "order ids starting with this are refunds (default C; '' for none)");
    flags->orders->add_option("--batch-size", flags->batch_size, "orders per transaction (default 2000)")
        ->check(CLI::Range(1, 100'000));
    flags->customers = import->add_subcommand(
        "customers", "Import members (name, phone, member_no, store_code, tier, points, registered_at, ...)");
    AddShared(flags->customers, flags);
    flags->customers->add_option("--batch-size", flags->batch_size, "rows per transaction (default 10000)")
        ->check(CLI::Range(1, 100'000));
}

int RunImport(const ImportFlags& flags) { return Run(flags); }

}  // namespace siyu::cli
