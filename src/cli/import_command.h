#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace siyu::cli {

// The flags of `siyu import orders|customers FILE`, filled in by CLI11 when the command line
// is parsed. Keep it alive (and in place) from AddImportCommands until RunImport.
struct ImportFlags {
    CLI::App* orders = nullptr;
    CLI::App* customers = nullptr;
    std::string config_file;
    std::string data_dir;
    std::string file;
    int64_t tenant_id = 0;
    std::vector<std::string> map;
    std::string mapping_file;
    std::string currency;
    std::string time_zone;
    std::string refund_prefix = "C";
    std::string errors_path;
    int batch_size = 0;
    bool no_progress = false;

    bool parsed() const { return (orders && orders->parsed()) || (customers && customers->parsed()); }
};

// Adds `siyu import orders FILE` and `siyu import customers FILE` to `app`.
void AddImportCommands(CLI::App& app, ImportFlags* flags);

// Runs the parsed import against the data directory: counts on stdout (name=value lines),
// progress and row errors on stderr. Answers the exit code: 0, or 1 after a one-line reason.
int RunImport(const ImportFlags& flags);

}  // namespace siyu::cli
