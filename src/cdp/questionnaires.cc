#include "cdp/questionnaires.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/strings.h"
#include "cdp/merge_set.h"

namespace siyu::cdp {

using store::Connection;
using Json = nlohmann::json;

namespace {

constexpr int kMaxNameLength = 100;
constexpr int kMaxDescriptionLength = 1000;
constexpr int kMaxTitleLength = 200;
constexpr int kMaxLabelLength = 100;
constexpr int kMaxCodeLength = 64;
constexpr size_t kMaxAnswers = kMaxQuestions;

constexpr char kColumns[] =
    "SELECT id, tenant_id, name, description, questions, created_at, updated_at FROM questionnaires ";

constexpr char kAnswerColumns[] =
    "SELECT a.id, a.tenant_id, a.questionnaire_id, q.name, a.customer_id, a.answers, a.tag_ids, a.codes, "
    "a.actor_type, a.actor_id, a.actor_name, a.submitted_at FROM questionnaire_answers a JOIN questionnaires q ON "
    "q.id = a.questionnaire_id ";

Status Unknown(const std::string& path) { return Status(StatusCode::kUnknownField, path + ": unknown field", path); }

Status RejectUnknown(const Json& o, const std::string& prefix, std::initializer_list<std::string_view> known) {
    for (const auto& [key, ignored] : o.items()) {
        if (std::find(known.begin(), known.end(), key) == known.end()) return Unknown(prefix + key);
    }
    return Status::Ok();
}

// A string of 1..max_chars characters (max_chars 0: any length) without surrounding spaces.
Result<std::string> Text(const Json& v, const std::string& path, int max_chars, bool allow_empty = false) {
    if (!v.is_string()) return Status::InvalidArgument(path, "must be a string");
    std::string s = v.get<std::string>();
    int64_t length = Utf8Length(s);
    if (length < 0) return Status::InvalidArgument(path, "must be valid UTF-8");
    if (!allow_empty && Trim(s).empty()) return Status::InvalidArgument(path, "must not be empty");
    if (length > max_chars) {
        return Status::InvalidArgument(path, "must be at most " + std::to_string(max_chars) + " characters");
    }
    return std::string(Trim(s));
}

bool IsValidKey(const std::string& s) {
    if (s.empty() || s.size() > 32) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-'; });
}

Result<std::string> Key(const Json& v, const std::string& path) {
    if (!v.is_string() || !IsValidKey(v.get<std::string>())) {
        return Status::InvalidArgument(path, "must be 1 to 32 characters of A-Z a-z 0-9 _ -");
    }
    return v.get<std::string>();
}

Result<QuestionChoice> ParseChoice(const Json& v, const std::string& path, size_t index) {
    if (!v.is_object()) return Status::InvalidArgument(path, "must be an object");
    SIYU_RETURN_IF_ERROR(RejectUnknown(v, path + ".", {"id", "label", "tag_ids", "codes"}));
    QuestionChoice c;
    c.id = "c" + std::to_string(index + 1);
    if (auto it = v.find("id"); it != v.end()) {
        SIYU_ASSIGN_OR_RETURN(c.id, Key(*it, path + ".id"));
    }
    auto label = v.find("label");
    if (label == v.end()) return Status::InvalidArgument(path + ".label", "is required");
    SIYU_ASSIGN_OR_RETURN(c.label, Text(*label, path + ".label", kMaxLabelLength));
    if (auto it = v.find("tag_ids"); it != v.end()) {
        std::string field = path + ".tag_ids";
        if (!it->is_array()) return Status::InvalidArgument(field, "must be an array of tag ids");
        if (it->size() > kMaxChoiceTags) {
            return Status::InvalidArgument(field, "at most " + std::to_string(kMaxChoiceTags) + " tags");
        }
        for (size_t i = 0; i < it->size(); ++i) {
            const Json& id = (*it)[i];
            if (!id.is_number_integer() || id.get<int64_t>() <= 0) {
                return Status::InvalidArgument(field + "[" + std::to_string(i) + "]", "must be a tag id");
            }
            if (std::find(c.tag_ids.begin(), c.tag_ids.end(), id.get<int64_t>()) == c.tag_ids.end()) {
                c.tag_ids.push_back(id.get<int64_t>());
            }
        }
    }
    if (auto it = v.find("codes"); it != v.end()) {
        std::string field = path + ".codes";
        if (!it->is_array()) return Status::InvalidArgument(field, "must be an array of strings");
        if (it->size() > kMaxChoiceCodes) {
            return Status::InvalidArgument(field, "at most " + std::to_string(kMaxChoiceCodes) + " codes");
        }
        for (size_t i = 0; i < it->size(); ++i) {
            SIYU_ASSIGN_OR_RETURN(std::string code,
                                  Text((*it)[i], field + "[" + std::to_string(i) + "]", kMaxCodeLength));
            if (std::find(c.codes.begin(), c.codes.end(), code) == c.codes.end()) c.codes.push_back(std::move(code));
        }
    }
    return c;
}

Result<Question> ParseQuestion(const Json& v, const std::string& path, size_t index) {
    if (!v.is_object()) return Status::InvalidArgument(path, "must be an object");
    SIYU_RETURN_IF_ERROR(RejectUnknown(v, path + ".", {"id", "title", "type", "required", "choices"}));
    Question q;
    q.id = "q" + std::to_string(index + 1);
    if (auto it = v.find("id"); it != v.end()) {
        SIYU_ASSIGN_OR_RETURN(q.id, Key(*it, path + ".id"));
    }
    auto title = v.find("title");
    if (title == v.end()) return Status::InvalidArgument(path + ".title", "is required");
    SIYU_ASSIGN_OR_RETURN(q.title, Text(*title, path + ".title", kMaxTitleLength));
    if (auto it = v.find("type"); it != v.end()) {
        if (!it->is_string() || (*it != "single" && *it != "multiple")) {
            return Status::InvalidArgument(path + ".type", "must be single or multiple");
        }
        q.multiple = *it == "multiple";
    }
    if (auto it = v.find("required"); it != v.end()) {
        if (!it->is_boolean()) return Status::InvalidArgument(path + ".required", "must be true or false");
        q.required = it->get<bool>();
    }
    auto choices = v.find("choices");
    std::string field = path + ".choices";
    if (choices == v.end()) return Status::InvalidArgument(field, "is required");
    if (!choices->is_array() || choices->empty() || choices->size() > kMaxChoices) {
        return Status::InvalidArgument(field, "must be an array of 1 to " + std::to_string(kMaxChoices) + " choices");
    }
    std::set<std::string> ids;
    for (size_t i = 0; i < choices->size(); ++i) {
        std::string p = field + "[" + std::to_string(i) + "]";
        SIYU_ASSIGN_OR_RETURN(auto c, ParseChoice((*choices)[i], p, i));
        if (!ids.insert(c.id).second) return Status::InvalidArgument(p + ".id", "another choice has the id " + c.id);
        q.choices.push_back(std::move(c));
    }
    return q;
}

Result<std::vector<Question>> ParseQuestions(const Json& v) {
    if (!v.is_array() || v.empty() || v.size() > kMaxQuestions) {
        return Status::InvalidArgument("questions",
                                       "must be an array of 1 to " + std::to_string(kMaxQuestions) + " questions");
    }
    std::vector<Question> out;
    std::set<std::string> ids;
    for (size_t i = 0; i < v.size(); ++i) {
        std::string path = "questions[" + std::to_string(i) + "]";
        SIYU_ASSIGN_OR_RETURN(auto q, ParseQuestion(v[i], path, i));
        if (!ids.insert(q.id).second)
            return Status::InvalidArgument(path + ".id", "another question has the id " + q.id);
        out.push_back(std::move(q));
    }
    return out;
}

// Questions as stored: written by QuestionsToJson, so trusted.
std::vector<Question> QuestionsFromJson(const std::string& text) {
    std::vector<Question> out;
    Json j = Json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& qj : j) {
        Question q;
        q.id = qj.value("id", "");
        q.title = qj.value("title", "");
        q.multiple = qj.value("type", "single") == "multiple";
        q.required = qj.value("required", false);
        for (const auto& cj : qj.value("choices", Json::array())) {
            QuestionChoice c;
            c.id = cj.value("id", "");
            c.label = cj.value("label", "");
            c.tag_ids = cj.value("tag_ids", std::vector<int64_t>{});
            c.codes = cj.value("codes", std::vector<std::string>{});
            q.choices.push_back(std::move(c));
        }
        out.push_back(std::move(q));
    }
    return out;
}

Questionnaire ReadQuestionnaire(const store::Statement& s) {
    Questionnaire q;
    q.id = s.Int(0);
    q.tenant_id = s.Int(1);
    q.name = s.Text(2);
    q.description = s.Text(3);
    q.questions = QuestionsFromJson(s.Text(4));
    q.created_at = s.Int(5);
    q.updated_at = s.Int(6);
    return q;
}

Json AnsweredToJson(const std::vector<AnsweredQuestion>& answers) {
    Json out = Json::array();
    for (const auto& a : answers) {
        out.push_back({{"question_id", a.question_id},
                       {"question", a.question},
                       {"choice_ids", a.choice_ids},
                       {"choices", a.choices}});
    }
    return out;
}

QuestionnaireAnswer ReadAnswer(const store::Statement& s) {
    QuestionnaireAnswer a;
    a.id = s.Int(0);
    a.tenant_id = s.Int(1);
    a.questionnaire_id = s.Int(2);
    a.questionnaire_name = s.Text(3);
    a.customer_id = s.Int(4);
    Json answers = Json::parse(s.Text(5), nullptr, false);
    if (answers.is_array()) {
        for (const auto& j : answers) {
            a.answers.push_back(AnsweredQuestion{j.value("question_id", ""), j.value("question", ""),
                                                 j.value("choice_ids", std::vector<std::string>{}),
                                                 j.value("choices", std::vector<std::string>{})});
        }
    }
    Json tags = Json::parse(s.Text(6), nullptr, false);
    if (tags.is_array()) a.tag_ids = tags.get<std::vector<int64_t>>();
    Json codes = Json::parse(s.Text(7), nullptr, false);
    if (codes.is_array()) a.codes = codes.get<std::vector<std::string>>();
    a.actor.type = s.Text(8);
    a.actor.id = s.OptInt(9);
    a.actor.name = s.Text(10);
    a.submitted_at = s.Int(11);
    return a;
}

Status NotFound(int64_t id) { return Status::NotFound("questionnaire " + std::to_string(id) + " not found"); }

Result<std::optional<Questionnaire>> Find(Connection& c, int64_t tenant_id, int64_t id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt,
                          c.Prepare(std::string(kColumns) + "WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL"));
    stmt.Bind(1, tenant_id).Bind(2, id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return std::optional<Questionnaire>();
    return std::optional<Questionnaire>(ReadQuestionnaire(stmt));
}

Result<bool> IsExplicitTag(Connection& c, int64_t tenant_id, int64_t tag_id) {
    SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT rule IS NULL FROM tags WHERE tenant_id = ? AND id = ? AND "
                                               "deleted_at IS NULL"));
    stmt.Bind(1, tenant_id).Bind(2, tag_id);
    SIYU_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return Status::NotFound("tag " + std::to_string(tag_id));
    return stmt.Int(0) != 0;
}

// Every mapped tag must be a live explicit tag of the tenant.
Status CheckMappedTags(Connection& c, int64_t tenant_id, const std::vector<Question>& questions) {
    for (size_t i = 0; i < questions.size(); ++i) {
        for (size_t j = 0; j < questions[i].choices.size(); ++j) {
            const auto& tag_ids = questions[i].choices[j].tag_ids;
            for (size_t k = 0; k < tag_ids.size(); ++k) {
                std::string field = "questions[" + std::to_string(i) + "].choices[" + std::to_string(j) + "].tag_ids[" +
                                    std::to_string(k) + "]";
                auto explicit_tag = IsExplicitTag(c, tenant_id, tag_ids[k]);
                if (!explicit_tag.ok()) {
                    if (explicit_tag.status().code() != StatusCode::kNotFound) return explicit_tag.status();
                    return Status::InvalidArgument(field, "no tag " + std::to_string(tag_ids[k]));
                }
                if (!explicit_tag.value()) {
                    return Status::InvalidArgument(
                        field, "tag " + std::to_string(tag_ids[k]) + " is a rule tag; answers cannot apply it");
                }
            }
        }
    }
    return Status::Ok();
}

Json AuditDetails(const Questionnaire& q) { return {{"name", q.name}, {"questions", q.questions.size()}}; }

// The answers checked against the questions, with the texts as answered.
Result<std::vector<AnsweredQuestion>> CheckAnswers(const Questionnaire& q, const std::vector<Answer>& answers) {
    if (answers.empty()) return Status::InvalidArgument("answers", "answer at least one question");
    std::vector<AnsweredQuestion> out;
    std::set<std::string> answered;
    for (size_t i = 0; i < answers.size(); ++i) {
        const Answer& a = answers[i];
        std::string path = "answers[" + std::to_string(i) + "]";
        auto question = std::find_if(q.questions.begin(), q.questions.end(),
                                     [&](const Question& x) { return x.id == a.question_id; });
        if (question == q.questions.end()) {
            return Status::InvalidArgument(
                path + ".question_id", "no question '" + a.question_id + "' in questionnaire " + std::to_string(q.id));
        }
        if (!answered.insert(a.question_id).second) {
            return Status::InvalidArgument(path + ".question_id", "question '" + a.question_id + "' is answered twice");
        }
        if (a.choice_ids.empty()) return Status::InvalidArgument(path + ".choice_ids", "choose at least one choice");
        if (!question->multiple && a.choice_ids.size() > 1) {
            return Status::InvalidArgument(path + ".choice_ids",
                                           "question '" + a.question_id + "' is single choice; choose one");
        }
        AnsweredQuestion aq{question->id, question->title, {}, {}};
        for (size_t j = 0; j < a.choice_ids.size(); ++j) {
            std::string field = path + ".choice_ids[" + std::to_string(j) + "]";
            const std::string& id = a.choice_ids[j];
            auto choice = std::find_if(question->choices.begin(), question->choices.end(),
                                       [&](const QuestionChoice& c) { return c.id == id; });
            if (choice == question->choices.end()) {
                return Status::InvalidArgument(field, "no choice '" + id + "' in question '" + question->id + "'");
            }
            if (std::find(aq.choice_ids.begin(), aq.choice_ids.end(), id) != aq.choice_ids.end()) {
                return Status::InvalidArgument(field, "choice '" + id + "' is chosen twice");
            }
            aq.choice_ids.push_back(id);
            aq.choices.push_back(choice->label);
        }
        out.push_back(std::move(aq));
    }
    for (const auto& question : q.questions) {
        if (question.required && !answered.count(question.id)) {
            return Status::InvalidArgument("answers", "question '" + question.id + "' is required");
        }
    }
    return out;
}

}  // namespace

Result<QuestionnaireInput> ParseQuestionnaireInput(const Json& body, bool create) {
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, "", {"name", "description", "questions"}));
    QuestionnaireInput in;
    if (auto it = body.find("name"); it != body.end()) {
        SIYU_ASSIGN_OR_RETURN(in.name, Text(*it, "name", kMaxNameLength));
    }
    if (auto it = body.find("description"); it != body.end()) {
        SIYU_ASSIGN_OR_RETURN(in.description, Text(*it, "description", kMaxDescriptionLength, true));
    }
    if (auto it = body.find("questions"); it != body.end()) {
        SIYU_ASSIGN_OR_RETURN(in.questions, ParseQuestions(*it));
    }
    if (create && !in.name) return Status::InvalidArgument("name", "is required");
    if (create && !in.questions) return Status::InvalidArgument("questions", "is required");
    return in;
}

Result<AnswerInput> ParseAnswerInput(const Json& body) {
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, "", {"customer_id", "answers"}));
    AnswerInput in;
    auto customer = body.find("customer_id");
    if (customer == body.end()) return Status::InvalidArgument("customer_id", "is required");
    if (!customer->is_number_integer() || customer->get<int64_t>() <= 0) {
        return Status::InvalidArgument("customer_id", "must be a customer id");
    }
    in.customer_id = customer->get<int64_t>();
    auto answers = body.find("answers");
    if (answers == body.end()) return Status::InvalidArgument("answers", "is required");
    if (!answers->is_array() || answers->size() > kMaxAnswers) {
        return Status::InvalidArgument("answers",
                                       "must be an array of at most " + std::to_string(kMaxAnswers) + " answers");
    }
    for (size_t i = 0; i < answers->size(); ++i) {
        const Json& a = (*answers)[i];
        std::string path = "answers[" + std::to_string(i) + "]";
        if (!a.is_object()) return Status::InvalidArgument(path, "must be an object");
        SIYU_RETURN_IF_ERROR(RejectUnknown(a, path + ".", {"question_id", "choice_ids"}));
        Answer answer;
        auto q = a.find("question_id");
        if (q == a.end()) return Status::InvalidArgument(path + ".question_id", "is required");
        if (!q->is_string()) return Status::InvalidArgument(path + ".question_id", "must be a string");
        answer.question_id = q->get<std::string>();
        auto choices = a.find("choice_ids");
        if (choices == a.end()) return Status::InvalidArgument(path + ".choice_ids", "is required");
        if (!choices->is_array() || choices->size() > kMaxChoices) {
            return Status::InvalidArgument(path + ".choice_ids", "must be an array of choice ids");
        }
        for (size_t j = 0; j < choices->size(); ++j) {
            if (!(*choices)[j].is_string()) {
                return Status::InvalidArgument(path + ".choice_ids[" + std::to_string(j) + "]", "must be a string");
            }
            answer.choice_ids.push_back((*choices)[j].get<std::string>());
        }
        in.answers.push_back(std::move(answer));
    }
    return in;
}

Json QuestionsToJson(const std::vector<Question>& questions) {
    Json out = Json::array();
    for (const auto& q : questions) {
        Json choices = Json::array();
        for (const auto& c : q.choices) {
            choices.push_back({{"id", c.id}, {"label", c.label}, {"tag_ids", c.tag_ids}, {"codes", c.codes}});
        }
        out.push_back({{"id", q.id},
                       {"title", q.title},
                       {"type", q.multiple ? "multiple" : "single"},
                       {"required", q.required},
                       {"choices", choices}});
    }
    return out;
}

Result<Questionnaire> Questionnaires::Create(int64_t tenant_id, const QuestionnaireInput& in,
                                             const auth::Actor& actor) {
    if (!in.name) return Status::InvalidArgument("name", "is required");
    if (!in.questions) return Status::InvalidArgument("questions", "is required");
    std::optional<Questionnaire> out;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_RETURN_IF_ERROR(CheckMappedTags(c, tenant_id, *in.questions));
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("INSERT INTO questionnaires(tenant_id, name, description, questions, "
                                        "created_at, updated_at) VALUES (?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, *in.name)
                                 .Bind(3, in.description.value_or(""))
                                 .Bind(4, QuestionsToJson(*in.questions).dump())
                                 .Bind(5, now)
                                 .Bind(6, now)
                                 .Run());
        int64_t id = c.LastInsertId();
        SIYU_ASSIGN_OR_RETURN(out, Find(c, tenant_id, id));
        return auth::AppendAudit(c, tenant_id, actor, "questionnaire.create", "questionnaire", std::to_string(id),
                                 AuditDetails(*out).dump());
    }));
    return std::move(*out);
}

Result<Questionnaire> Questionnaires::Get(int64_t tenant_id, int64_t id) {
    std::optional<Questionnaire> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(out, Find(c, tenant_id, id));
        return Status::Ok();
    }));
    if (!out) return NotFound(id);
    return std::move(*out);
}

Result<std::vector<Questionnaire>> Questionnaires::List(int64_t tenant_id, int limit,
                                                        std::optional<int64_t> before_id) {
    std::vector<Questionnaire> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare(std::string(kColumns) +
                                                   "WHERE tenant_id = ? AND deleted_at IS NULL AND id < ? ORDER BY "
                                                   "id DESC LIMIT ?"));
        stmt.Bind(1, tenant_id).Bind(2, before_id.value_or(INT64_MAX)).Bind(3, int64_t{limit});
        return stmt.ForEachRow([&] { out.push_back(ReadQuestionnaire(stmt)); });
    }));
    return out;
}

Result<Questionnaire> Questionnaires::Update(int64_t tenant_id, int64_t id, const QuestionnaireInput& in,
                                             const auth::Actor& actor) {
    std::optional<Questionnaire> out;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, Find(c, tenant_id, id));
        if (!found) return NotFound(id);
        Questionnaire q = std::move(*found);
        if (in.name) q.name = *in.name;
        if (in.description) q.description = *in.description;
        if (in.questions) {
            SIYU_RETURN_IF_ERROR(CheckMappedTags(c, tenant_id, *in.questions));
            q.questions = *in.questions;
        }
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("UPDATE questionnaires SET name = ?, description = ?, questions = ?, "
                                        "updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, q.name)
                                 .Bind(2, q.description)
                                 .Bind(3, QuestionsToJson(q.questions).dump())
                                 .Bind(4, NowMs())
                                 .Bind(5, id)
                                 .Run());
        SIYU_ASSIGN_OR_RETURN(out, Find(c, tenant_id, id));
        return auth::AppendAudit(c, tenant_id, actor, "questionnaire.update", "questionnaire", std::to_string(id),
                                 AuditDetails(*out).dump());
    }));
    return std::move(*out);
}

Status Questionnaires::Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor) {
    return db_->Write([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto found, Find(c, tenant_id, id));
        if (!found) return NotFound(id);
        TimeMs now = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare("UPDATE questionnaires SET deleted_at = ?, updated_at = ? WHERE id = ?"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, now).Bind(2, now).Bind(3, id).Run());
        return auth::AppendAudit(c, tenant_id, actor, "questionnaire.delete", "questionnaire", std::to_string(id),
                                 AuditDetails(*found).dump());
    });
}

Result<QuestionnaireAnswer> Questionnaires::Submit(int64_t tenant_id, int64_t questionnaire_id, const AnswerInput& in,
                                                   const auth::Actor& actor, const Visibility& vis) {
    QuestionnaireAnswer out;
    std::vector<CustomerTagChange> changes;
    SIYU_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> Status {
        changes.clear();
        SIYU_ASSIGN_OR_RETURN(auto q, Find(c, tenant_id, questionnaire_id));
        if (!q) return NotFound(questionnaire_id);
        SIYU_ASSIGN_OR_RETURN(out.answers, CheckAnswers(*q, in.answers));
        SIYU_ASSIGN_OR_RETURN(out.customer_id, TagRepository::VisibleSurvivor(c, tenant_id, in.customer_id, vis));
        std::vector<int64_t> mapped;
        for (const auto& a : in.answers) {
            const Question& question = *std::find_if(q->questions.begin(), q->questions.end(),
                                                     [&](const Question& x) { return x.id == a.question_id; });
            for (const auto& choice_id : a.choice_ids) {
                const QuestionChoice& choice =
                    *std::find_if(question.choices.begin(), question.choices.end(),
                                  [&](const QuestionChoice& x) { return x.id == choice_id; });
                for (int64_t tag_id : choice.tag_ids) {
                    if (std::find(mapped.begin(), mapped.end(), tag_id) == mapped.end()) mapped.push_back(tag_id);
                }
                for (const auto& code : choice.codes) {
                    if (std::find(out.codes.begin(), out.codes.end(), code) == out.codes.end())
                        out.codes.push_back(code);
                }
            }
        }
        out.tag_ids.clear();
        for (int64_t tag_id : mapped) {
            auto explicit_tag = IsExplicitTag(c, tenant_id, tag_id);
            if (explicit_tag.ok() && explicit_tag.value()) {
                out.tag_ids.push_back(tag_id);
            } else if (!explicit_tag.ok() && explicit_tag.status().code() != StatusCode::kNotFound) {
                return explicit_tag.status();
            }
        }
        out.tenant_id = tenant_id;
        out.questionnaire_id = q->id;
        out.questionnaire_name = q->name;
        out.actor = actor;
        out.submitted_at = NowMs();
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("INSERT INTO questionnaire_answers(tenant_id, questionnaire_id, "
                                                   "customer_id, answers, tag_ids, codes, actor_type, actor_id, "
                                                   "actor_name, submitted_at) VALUES (?,?,?,?,?,?,?,?,?,?)"));
        SIYU_RETURN_IF_ERROR(stmt.Bind(1, tenant_id)
                                 .Bind(2, q->id)
                                 .Bind(3, out.customer_id)
                                 .Bind(4, AnsweredToJson(out.answers).dump())
                                 .Bind(5, Json(out.tag_ids).dump())
                                 .Bind(6, Json(out.codes).dump())
                                 .Bind(7, actor.type)
                                 .Bind(8, actor.id)
                                 .Bind(9, actor.name)
                                 .Bind(10, out.submitted_at)
                                 .Run());
        out.id = c.LastInsertId();
        if (out.tag_ids.empty()) return Status::Ok();
        Tagging by{TagSource::kQuestionnaire, actor, std::nullopt};
        return tags_->ApplyIn(c, tenant_id, {out.customer_id}, out.tag_ids, TagAction::kAdd, by, vis, false, &changes)
            .status();
    }));
    tags_->Publish(changes);
    return out;
}

Result<std::vector<QuestionnaireAnswer>> Questionnaires::AnswersOfCustomer(int64_t tenant_id, int64_t customer_id,
                                                                           const Visibility& vis, int limit,
                                                                           std::optional<int64_t> before_id) {
    std::vector<QuestionnaireAnswer> out;
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(int64_t survivor, TagRepository::VisibleSurvivor(c, tenant_id, customer_id, vis));
        SIYU_ASSIGN_OR_RETURN(auto stmt,
                              c.Prepare(std::string(kMergeSetCte) + kAnswerColumns +
                                        "WHERE a.customer_id IN s AND a.id < ?2 ORDER BY a.id DESC LIMIT ?3"));
        stmt.Bind(1, survivor).Bind(2, before_id.value_or(INT64_MAX)).Bind(3, int64_t{limit});
        return stmt.ForEachRow([&] { out.push_back(ReadAnswer(stmt)); });
    }));
    return out;
}

Result<std::vector<QuestionnaireAnswer>> Questionnaires::AnswersTo(int64_t tenant_id, int64_t questionnaire_id,
                                                                   const Visibility& vis, int limit,
                                                                   std::optional<int64_t> before_id) {
    std::vector<QuestionnaireAnswer> out;
    std::optional<std::string> visible;
    if (vis.store_ids) visible = Json(*vis.store_ids).dump();
    SIYU_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto q, Find(c, tenant_id, questionnaire_id));
        if (!q) return NotFound(questionnaire_id);
        SIYU_ASSIGN_OR_RETURN(
            auto stmt, c.Prepare(std::string(kAnswerColumns) +
                                 "JOIN customers cu ON cu.id = a.customer_id WHERE a.questionnaire_id = ?1 AND a.id < "
                                 "?2 AND (?3 IS NULL OR cu.store_id IN (SELECT value FROM json_each(?3))) ORDER BY "
                                 "a.id DESC LIMIT ?4"));
        stmt.Bind(1, questionnaire_id).Bind(2, before_id.value_or(INT64_MAX)).Bind(3, visible).Bind(4, int64_t{limit});
        return stmt.ForEachRow([&] { out.push_back(ReadAnswer(stmt)); });
    }));
    return out;
}

}  // namespace siyu::cdp
