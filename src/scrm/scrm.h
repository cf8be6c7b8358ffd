#pragma once

// The SCRM core's front door (docs/scrm.md): staff and departments, customer owners, contact
// callbacks with loss alerts, channel live codes and their statistics, and corp tag sync. One
// Scrm per process; every member is thread-safe.

#include <memory>

#include "cdp/event_ingestor.h"
#include "cdp/tags.h"
#include "scrm/contact_events.h"
#include "scrm/corp_tags.h"
#include "scrm/live_code_stats.h"
#include "scrm/live_codes.h"
#include "scrm/ownership.h"
#include "scrm/staff.h"
#include "scrm/wecom_gateway.h"
#include "store/database.h"

namespace siyu::scrm {

class Scrm {
  public:
    Scrm(store::Database* db, WecomGateway wecom, cdp::EventIngestor* ingestor, cdp::TagRepository* tags,
         CouponIssuer coupons)
        : db_(db),
          wecom_(std::move(wecom)),
          staff_(db, &wecom_),
          owners_(db),
          live_codes_(db, &wecom_),
          contacts_(db, &wecom_, ingestor, tags, std::move(coupons)),
          corp_tags_(db, &wecom_, tags) {}

    store::Database* db() const { return db_; }
    const WecomGateway& wecom() const { return wecom_; }
    StaffDirectory& staff() { return staff_; }
    Ownership& owners() { return owners_; }
    LiveCodes& live_codes() { return live_codes_; }
    ContactEvents& contacts() { return contacts_; }
    CorpTags& corp_tags() { return corp_tags_; }

  private:
    store::Database* db_;
    WecomGateway wecom_;
    StaffDirectory staff_;
    Ownership owners_;
    LiveCodes live_codes_;
    ContactEvents contacts_;
    CorpTags corp_tags_;
};

}  // namespace siyu::scrm
