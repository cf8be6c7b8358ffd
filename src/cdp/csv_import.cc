#include "cdp/csv_import.h"

#include "base/strings.h"

namespace siyu::cdp {

namespace {

Status BadMapping(const std::string& message) { return Status::InvalidArgument("map", message); }

Status AddPair(std::string_view pair, char sep, std::map<std::string, std::string>* columns) {
    size_t at = pair.find(sep);
    if (at == std::string_view::npos) {
        return BadMapping("expected field=column, not '" + std::string(pair) + "'");
    }
    std::string field = ToLower(Trim(pair.substr(0, at)));
    std::string column(Trim(pair.substr(at + 1)));
    if (field.empty() || column.empty()) return BadMapping("expected field=column, not '" + std::string(pair) + "'");
    (*columns)[field] = column;
    return Status::Ok();
}

}  // namespace

Status ColumnMapping::AddPairs(std::string_view spec) {
    for (std::string_view pair : Split(spec, ',')) {
        if (Trim(pair).empty()) continue;
        SIYU_RETURN_IF_ERROR(AddPair(pair, '=', &columns_));
    }
    return Status::Ok();
}

Status ColumnMapping::AddLines(std::string_view text) {
    for (std::string_view line : Split(text, '\n')) {
        line = Trim(line);
        if (line.empty() || line.front() == '#') continue;
        SIYU_RETURN_IF_ERROR(AddPair(line, line.find('=') != std::string_view::npos ? '=' : ',', &columns_));
    }
    return Status::Ok();
}

Result<ColumnLayout> ColumnLayout::Resolve(const std::vector<FieldSpec>& fields, const ColumnMapping& mapping,
                                           const std::vector<std::string_view>& header) {
    std::vector<std::string> names;
    for (std::string_view h : header) names.push_back(ToLower(Trim(h)));
    auto find = [&](std::string_view column) -> int {
        std::string want = ToLower(Trim(column));
        for (size_t i = 0; i < names.size(); ++i) {
            if (names[i] == want) return static_cast<int>(i);
        }
        return -1;
    };
    for (const auto& [field, column] : mapping.columns()) {
        bool known = false;
        for (const auto& f : fields) known |= f.field == field;
        if (!known) {
            std::string list;
            for (const auto& f : fields) list += (list.empty() ? "" : ", ") + std::string(f.field);
            return BadMapping("unknown field '" + field + "'; the fields are " + list);
        }
    }
    ColumnLayout layout;
    layout.header_size_ = header.size();
    for (const auto& f : fields) {
        int index = -1;
        auto mapped = mapping.columns().find(std::string(f.field));
        if (mapped != mapping.columns().end()) {
            index = find(mapped->second);
            if (index < 0) {
                return BadMapping("column '" + mapped->second + "' (mapped to " + std::string(f.field) +
                                  ") is not in the header");
            }
        } else {
            index = find(f.field);
            for (size_t k = 0; index < 0 && k < f.default_columns.size(); ++k) index = find(f.default_columns[k]);
        }
        if (index < 0 && f.required) {
            std::string tried(f.field);
            for (std::string_view c : f.default_columns) tried += ", " + std::string(c);
            return BadMapping("no column for " + std::string(f.field) + " (looked for " + tried + "); map one with " +
                              std::string(f.field) + "=<column>");
        }
        layout.indexes_.push_back(index);
        layout.names_.push_back(index >= 0 ? std::string(Trim(header[static_cast<size_t>(index)]))
                                           : std::string(f.field));
    }
    return layout;
}

Result<ColumnLayout> ReadHeader(CsvReader& csv, const std::vector<FieldSpec>& fields, const ColumnMapping& mapping) {
    SIYU_ASSIGN_OR_RETURN(bool any, csv.Next());
    if (!any) return Status::InvalidArgument("file", "the file is empty; the first line must name the columns");
    return ColumnLayout::Resolve(fields, mapping, csv.fields());
}

std::string ErrorReason(const Status& st) {
    const std::string& m = st.message();
    if (!st.field().empty() && StartsWith(m, st.field() + ": ")) return m.substr(st.field().size() + 2);
    return m;
}

std::string ErrorCsvHeader() { return "line,column,reason\n"; }

std::string ErrorCsvRow(const ImportError& error) {
    return std::to_string(error.line) + "," + CsvEscape(error.column) + "," + CsvEscape(error.reason) + "\n";
}

std::string_view IntegralIdText(std::string_view text) {
    size_t dot = text.find('.');
    if (dot == std::string_view::npos || dot == 0) return text;
    for (size_t i = 0; i < dot; ++i) {
        if (text[i] < '0' || text[i] > '9') return text;
    }
    if (dot + 1 == text.size()) return text;
    for (size_t i = dot + 1; i < text.size(); ++i) {
        if (text[i] != '0') return text;
    }
    return text.substr(0, dot);
}

}  // namespace siyu::cdp
