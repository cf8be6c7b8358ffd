#pragma once

// The front door of customer groups, group live codes, per-item codes, transfers and mass
// sends (docs/groups-and-mass-send.md). One GroupServices per process; every member is
// thread-safe.

#include <filesystem>
#include <memory>
#include <string>

#include "cdp/event_ingestor.h"
#include "channels/outbox.h"
#include "channels/wecom/inbox.h"
#include "scrm/group_live_codes.h"
#include "scrm/groups.h"
#include "scrm/item_codes.h"
#include "scrm/mass_send.h"
#include "scrm/transfers.h"
#include "scrm/wecom_support.h"
#include "store/database.h"

namespace siyu::scrm {

struct GroupServicesOptions {
    std::string public_base;        // e.g. https://siyu.example, for /s/, /l/ and /c/ links
    int poll_interval_ms = 60'000;  // transfer results and mass send results
    std::string export_dir;         // ZIP exports of per-item codes; "": the system's temporary directory
};

class GroupServices {
  public:
    GroupServices(store::Database* db, cdp::EventIngestor* ingestor, WecomCall wecom, OutboxEnqueue enqueue,
                  std::function<void()> wake, SegmentMembersFn segment_members, GroupServicesOptions options)
        : options_(std::move(options)),
          groups_(db, ingestor, wecom),
          group_live_codes_(db),
          item_codes_(db, ingestor),
          item_code_exports_(&item_codes_,
                             options_.export_dir.empty()
                                 ? (std::filesystem::temp_directory_path() / "siyu-exports").string()
                                 : options_.export_dir,
                             options_.public_base),
          transfers_(db, wecom, enqueue, wake),
          mass_sends_(db, ingestor, wecom, enqueue, wake, std::move(segment_members), options_.public_base) {}

    // Registers the inbox handlers (change_external_chat, change_external_contact/transfer_fail)
    // and the outbox kinds (scrm.transfer, scrm.mass_send). Call before the inbox and outbox start.
    void Register(channels::wecom::Inbox& inbox, channels::Outbox& outbox) {
        inbox.Register("change_external_chat",
                       [this](const channels::wecom::InboxEvent& e) { return groups_.OnChatChange(e); });
        inbox.Register("change_external_contact/transfer_fail",
                       [this](const channels::wecom::InboxEvent& e) { return transfers_.OnTransferFail(e); });
        outbox.Register(kTransferOutboxKind,
                        [this](const channels::OutboxMessage& m) { return transfers_.Deliver(m); });
        outbox.Register(kMassSendOutboxKind,
                        [this](const channels::OutboxMessage& m) { return mass_sends_.Deliver(m); });
    }
    // Starts and stops the pollers (transfer results; scheduled mass sends and their results).
    void Start() {
        transfers_.Start(options_.poll_interval_ms);
        mass_sends_.Start(options_.poll_interval_ms);
    }
    void Stop() {
        transfers_.Stop();
        mass_sends_.Stop();
        item_code_exports_.Stop();
    }

    const std::string& public_base() const { return options_.public_base; }
    Groups& groups() { return groups_; }
    GroupLiveCodes& group_live_codes() { return group_live_codes_; }
    ItemCodes& item_codes() { return item_codes_; }
    ItemCodeExports& item_code_exports() { return item_code_exports_; }
    Transfers& transfers() { return transfers_; }
    MassSends& mass_sends() { return mass_sends_; }

  private:
    GroupServicesOptions options_;
    Groups groups_;
    GroupLiveCodes group_live_codes_;
    ItemCodes item_codes_;
    ItemCodeExports item_code_exports_;
    Transfers transfers_;
    MassSends mass_sends_;
};

}  // namespace siyu::scrm
