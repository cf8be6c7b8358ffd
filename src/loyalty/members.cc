#include "loyalty/members.h"

#include "loyalty/loyalty.h"

namespace siyu::loyalty {

Result<std::string> NextMemberNo(Tx& tx) {
    SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* s, tx.Settings());
    SIYU_ASSIGN_OR_RETURN(auto bump, tx.c().Prepare("INSERT INTO member_sequences(tenant_id, next_no) VALUES (?, 2) "
                                                    "ON CONFLICT(tenant_id) DO UPDATE SET next_no = next_no + 1 "
                                                    "RETURNING next_no - 1"));
    SIYU_ASSIGN_OR_RETURN(auto taken, tx.c().Prepare("SELECT 1 FROM customer_identifiers WHERE tenant_id = ? AND "
                                                     "type = 'member_no' AND value = ?"));
    for (int attempt = 0; attempt < 1000; ++attempt) {
        bump.Bind(1, tx.tenant());
        SIYU_ASSIGN_OR_RETURN(bool row, bump.Step());
        if (!row) return Status::Internal("member number sequence did not advance");
        int64_t n = bump.Int(0);
        bump.Reset();
        std::string digits = std::to_string(n);
        if (static_cast<int>(digits.size()) < s->member_no_digits) {
            digits.insert(0, static_cast<size_t>(s->member_no_digits) - digits.size(), '0');
        }
        std::string no = s->member_no_prefix + digits;
        taken.Bind(1, tx.tenant()).Bind(2, no);
        SIYU_ASSIGN_OR_RETURN(bool used, taken.Step());
        taken.Reset();
        if (!used) return no;  // numbers given by imports are skipped
    }
    return Status::Internal("no free member number after 1000 attempts");
}

Result<Json> Members::Register(Tx& tx, const RegisterInput& in, const auth::Actor& actor) {
    (void)tx;
    (void)in;
    (void)actor;
    (void)loyalty_;
    return Status::Unavailable("not yet");
}

}  // namespace siyu::loyalty
