#pragma once

// Questionnaires (coded tags, docs/tags.md): single- and multiple-choice questions whose
// choices map to tags and free codes. Submitting a customer's answers stores them and applies
// the mapped tags at once (source `questionnaire`), in one transaction.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "base/status.h"
#include "base/time.h"
#include "cdp/customer_repository.h"
#include "cdp/tags.h"
#include "store/database.h"

namespace siyu::cdp {

struct QuestionChoice {
    std::string id;  // unique within the question
    std::string label;
    std::vector<int64_t> tag_ids;
    std::vector<std::string> codes;
};

struct Question {
    std::string id;  // unique within the questionnaire
    std::string title;
    bool multiple = false;  // type "multiple"; otherwise "single"
    bool required = false;
    std::vector<QuestionChoice> choices;
};

struct Questionnaire {
    int64_t id = 0;
    int64_t tenant_id = 0;
    std::string name;
    std::string description;
    std::vector<Question> questions;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

// Absent fields keep their value; `questions` replaces every question.
struct QuestionnaireInput {
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::optional<std::vector<Question>> questions;
};

struct Answer {
    std::string question_id;
    std::vector<std::string> choice_ids;
};

struct AnswerInput {
    int64_t customer_id = 0;
    std::vector<Answer> answers;
};

// One question as answered, with the texts as they were when answered.
struct AnsweredQuestion {
    std::string question_id;
    std::string question;
    std::vector<std::string> choice_ids;
    std::vector<std::string> choices;
};

struct QuestionnaireAnswer {
    int64_t id = 0;
    int64_t tenant_id = 0;
    int64_t questionnaire_id = 0;
    std::string questionnaire_name;
    int64_t customer_id = 0;  // the survivor when answered
    std::vector<AnsweredQuestion> answers;
    std::vector<int64_t> tag_ids;  // the tags the choices mapped to (live, explicit tags only)
    std::vector<std::string> codes;
    auth::Actor actor;
    TimeMs submitted_at = 0;
};

inline constexpr size_t kMaxQuestions = 100;
inline constexpr size_t kMaxChoices = 50;
inline constexpr size_t kMaxChoiceTags = 20;
inline constexpr size_t kMaxChoiceCodes = 20;

// Reads a request body: unknown_field or invalid_argument naming the path
// ("questions[1].choices[0].tag_ids[2]"). On create, name and questions are required.
// Question ids default to q1, q2, ... and choice ids to c1, c2, ... by position.
Result<QuestionnaireInput> ParseQuestionnaireInput(const nlohmann::json& body, bool create);
Result<AnswerInput> ParseAnswerInput(const nlohmann::json& body);

// The questions as the API and the database hold them.
nlohmann::json QuestionsToJson(const std::vector<Question>& questions);

// Questionnaires and their answers. Thread-safe (state lives in the database).
class Questionnaires {
  public:
    // `tags` must outlive this object.
    Questionnaires(store::Database* db, TagRepository* tags) : db_(db), tags_(tags) {}

    // Every mapped tag must be a live explicit tag of the tenant (invalid_argument naming it).
    Result<Questionnaire> Create(int64_t tenant_id, const QuestionnaireInput& in, const auth::Actor& actor);
    Result<Questionnaire> Get(int64_t tenant_id, int64_t id);
    // Newest first; `before_id` continues a page.
    Result<std::vector<Questionnaire>> List(int64_t tenant_id, int limit, std::optional<int64_t> before_id);
    Result<Questionnaire> Update(int64_t tenant_id, int64_t id, const QuestionnaireInput& in, const auth::Actor& actor);
    // Soft delete; answers given stay readable.
    Status Delete(int64_t tenant_id, int64_t id, const auth::Actor& actor);

    // Checks the answers against the questionnaire, stores them for the customer (its survivor)
    // and applies the mapped tags that are still live explicit tags. not_found for an unknown
    // questionnaire or an unknown or invisible customer.
    Result<QuestionnaireAnswer> Submit(int64_t tenant_id, int64_t questionnaire_id, const AnswerInput& in,
                                       const auth::Actor& actor, const Visibility& vis);
    // The answers of a customer and of those merged into it, newest first.
    Result<std::vector<QuestionnaireAnswer>> AnswersOfCustomer(int64_t tenant_id, int64_t customer_id,
                                                               const Visibility& vis, int limit,
                                                               std::optional<int64_t> before_id);
    // The answers to one questionnaire from customers visible to the caller, newest first.
    Result<std::vector<QuestionnaireAnswer>> AnswersTo(int64_t tenant_id, int64_t questionnaire_id,
                                                       const Visibility& vis, int limit,
                                                       std::optional<int64_t> before_id);

  private:
    store::Database* db_;
    TagRepository* tags_;
};

}  // namespace siyu::cdp
