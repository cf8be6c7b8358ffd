#include "loyalty/loyalty.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "loyalty/coupons.h"
#include "loyalty/earning_rules.h"
#include "loyalty/mall.h"
#include "loyalty/members.h"
#include "loyalty/paid_membership.h"
#include "loyalty/points.h"
#include "loyalty/points_ledger.h"
#include "loyalty/stored_value.h"
#include "loyalty/tiers.h"

namespace siyu::loyalty {

Loyalty::Loyalty(store::Database* db, EventSink sink, LoyaltyOptions options)
    : exec_(db, std::move(sink), options.clock),
      options_(std::move(options)),
      members_(std::make_unique<Members>(this)),
      points_(std::make_unique<Points>(this)),
      tiers_(std::make_unique<Tiers>(this)),
      rules_(std::make_unique<EarningRules>(this)),
      stored_value_(std::make_unique<StoredValue>(this)),
      paid_(std::make_unique<PaidMemberships>(this)),
      coupons_(std::make_unique<Coupons>(this)),
      mall_(std::make_unique<Mall>(this)) {
    exec_.SetEntriesHook([this] {
        {
            std::lock_guard lock(projection_mu_);
            projection_due_ = true;
        }
        projection_cv_.notify_one();
    });
}

Loyalty::~Loyalty() { Stop(); }

Status Loyalty::ProjectLedger(size_t batch) {
    std::lock_guard pass_lock(project_mu_);
    while (true) {
        // Read first, off the writer: an idle server's timer then costs no write (and no
        // sync), and the events' JSON is built here rather than inside the write.
        ProjectionPass pass;
        SIYU_RETURN_IF_ERROR(exec_.db()->Read([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(pass, ReadProjection(c, batch));
            return Status::Ok();
        }));
        if (pass.to == pass.from) break;
        std::optional<Projected> projected;
        SIYU_RETURN_IF_ERROR(exec_.db()->Write(
            [&](store::Connection& c) -> Status {
                SIYU_ASSIGN_OR_RETURN(projected, WriteProjection(c, pass));
                return Status::Ok();
            },
            store::WriteMode::kReplayable));
        // Not written: another process's pass moved the position meanwhile; read again.
        if (projected) {
            exec_.Publish(projected->events);
            if (!projected->more) break;
        }
        // A server shutting down leaves the rest to its next start.
        std::lock_guard lock(projection_mu_);
        if (projection_stop_) break;
    }
    return Status::Ok();
}

void Loyalty::StartProjection() {
    if (projection_thread_.joinable()) return;
    {
        std::lock_guard lock(projection_mu_);
        projection_stop_ = false;
        projection_due_ = true;  // whatever the last run left
    }
    projection_thread_ = std::thread([this] {
        std::unique_lock lock(projection_mu_);
        while (!projection_stop_) {
            // Woken by commits that wrote entries; now and then anyway, for entries written in
            // transactions the executor does not see commit (order ingestion).
            projection_cv_.wait_for(lock, std::chrono::milliseconds(200),
                                    [this] { return projection_stop_ || projection_due_; });
            if (projection_stop_) break;
            // Gathers the entries of more commits first: one pass per 100 ms at most keeps the
            // projection's own writes to few, large transactions, in which the events and
            // traits of customers who moved points again share their index pages.
            projection_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return projection_stop_; });
            projection_due_ = false;
            lock.unlock();
            if (Status st = ProjectLedger(); !st.ok()) {
                spdlog::warn("loyalty: projecting the points ledger (events, points trait) failed: {}", st.ToString());
            }
            lock.lock();
        }
    });
}

Status Loyalty::OnIngest(store::Connection& c, int64_t tenant_id, TimeMs now, std::vector<cdp::StoredEvent>& events) {
    Tx tx(c, tenant_id, now);
    size_t original = events.size();
    for (size_t i = 0; i < original; ++i) {
        const cdp::StoredEvent& e = events[i];
        bool completed = e.name == "Order Completed", refunded = e.name == "Order Refunded";
        if (e.type != "track" || (!completed && !refunded)) continue;
        // Orders imported from history (siyu import orders) are the past: balances come with
        // the member import, so they earn nothing here.
        SIYU_ASSIGN_OR_RETURN(auto ctx, c.Prepare("SELECT json_extract(context, '$.library.name') FROM events WHERE "
                                                  "id = ?"));
        ctx.Bind(1, e.id);
        SIYU_ASSIGN_OR_RETURN(bool row, ctx.Step());
        bool imported = row && !ctx.IsNull(0) && ctx.Text(0) == "siyu-import";
        ctx.Reset();
        if (imported) continue;
        auto order = OrderFromProperties(e.customer_id, e.timestamp, e.revenue, e.properties);
        if (!order.ok()) {
            spdlog::warn("tenant {} event {}: not an order the loyalty programme can use: {}", tenant_id, e.id,
                         order.status().ToString());
            continue;
        }
        std::optional<Member> member = tx.FindMember(e.customer_id);
        if (!member && completed) {
            SIYU_ASSIGN_OR_RETURN(const LoyaltySettings* s, tx.Settings());
            if (!s->auto_enroll) continue;
            RegisterInput in;
            in.customer_id = e.customer_id;
            in.channel = "order";
            in.store_id = order->store_id;
            auth::Actor system;
            auto registered = members_->Register(tx, in, system);
            if (!registered.ok()) {
                // A store id the tenant does not know: register without it.
                in.store_id.reset();
                SIYU_RETURN_IF_ERROR(members_->Register(tx, in, system).status());
            }
            member = tx.FindMember(e.customer_id);
        }
        if (!member) continue;
        if (completed) {
            SIYU_RETURN_IF_ERROR(points_->CompleteOrder(tx, *order).status());
        } else {
            SIYU_RETURN_IF_ERROR(points_->RefundOrder(tx, e.customer_id, order->order_id, order->amount).status());
        }
    }
    for (auto& derived : tx.events()) events.push_back(std::move(derived));
    // The projection's write runs after this transaction's commit (one writer), so it sees
    // the entries written here.
    if (tx.wrote_entries()) exec_.EntriesCommitted();
    return Status::Ok();
}

Status Loyalty::Sweep() {
    std::vector<int64_t> tenants;
    SIYU_RETURN_IF_ERROR(exec_.db()->Read([&](store::Connection& c) -> Status {
        SIYU_ASSIGN_OR_RETURN(auto stmt, c.Prepare("SELECT tenant_id FROM tenants ORDER BY tenant_id"));
        return stmt.ForEachRow([&] { tenants.push_back(stmt.Int(0)); });
    }));
    Status first = Status::Ok();
    auto note = [&](const char* what, int64_t tenant, Status st) {
        if (st.ok()) return;
        spdlog::warn("loyalty sweep ({}) of tenant {} failed: {}", what, tenant, st.ToString());
        if (first.ok()) first = st;
    };
    for (int64_t t : tenants) {
        note("points", t, points_->Sweep(t));
        note("tiers", t, tiers_->Sweep(t));
        note("coupons", t, coupons_->Sweep(t));
        note("paid membership", t, paid_->Sweep(t));
        note("stored value", t, stored_value_->Sweep(t));
        note("mall", t, mall_->Sweep(t));
        note("earning rules", t, rules_->Sweep(t));
    }
    return first;
}

void Loyalty::Start() {
    StartProjection();
    if (thread_.joinable()) return;
    {
        std::lock_guard lock(mu_);
        stop_ = false;
    }
    thread_ = std::thread([this] {
        std::unique_lock lock(mu_);
        while (!stop_) {
            lock.unlock();
            (void)Sweep();
            lock.lock();
            cv_.wait_for(lock, std::chrono::seconds(options_.sweep_seconds), [this] { return stop_; });
        }
    });
}

void Loyalty::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    {
        std::lock_guard lock(projection_mu_);
        projection_stop_ = true;
    }
    projection_cv_.notify_all();
    if (projection_thread_.joinable()) projection_thread_.join();
}

}  // namespace siyu::loyalty
