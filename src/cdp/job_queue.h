#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "store/database.h"

namespace siyu::cdp {

// One background thread running queued jobs in the order they were admitted, for the job
// classes (CSV imports, bulk tagging): a bounded queue, admission and recording under one lock,
// and a stop flag the running job polls between batches. Thread-safe.
template <typename Job>
class JobQueue {
  public:
    // `run` is called on the worker thread for each job.
    JobQueue(size_t max_queued, std::function<void(Job&)> run)
        : max_queued_(max_queued), run_(std::move(run)), worker_([this] { Loop(); }) {}
    // Sets the stop flag (the running job stops at its next check), drops queued jobs, joins.
    ~JobQueue() {
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
            queue_.clear();
        }
        cv_.notify_all();
        worker_.join();
    }
    JobQueue(const JobQueue&) = delete;
    JobQueue& operator=(const JobQueue&) = delete;

    // Admits a job when fewer than `max_queued` wait (else resource_exhausted, naming `what`,
    // e.g. "imports"). `record` stores the job and answers it; it runs under the queue's lock,
    // so two callers cannot both take the last place.
    Status Enqueue(std::string_view what, const std::function<Result<Job>()>& record) {
        std::unique_lock lock(mu_);
        if (queue_.size() >= max_queued_) {
            return Status(StatusCode::kResourceExhausted, std::to_string(max_queued_) + " " + std::string(what) +
                                                              " are waiting already; try again when one has finished");
        }
        SIYU_ASSIGN_OR_RETURN(Job job, record());
        queue_.push_back(std::move(job));
        lock.unlock();
        cv_.notify_one();
        return Status::Ok();
    }

    const std::atomic<bool>& stopping() const { return stopping_; }

  private:
    void Loop() {
        while (true) {
            Job job;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (stopping_) return;
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            run_(job);
        }
    }

    const size_t max_queued_;
    const std::function<void(Job&)> run_;
    std::atomic<bool> stopping_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> queue_;  // GUARDED_BY(mu_)
    std::thread worker_;     // last: starts once the rest is ready
};

// Marks the jobs in `table` that an earlier process left queued or running as failed with
// `message`; their memory-held input is gone. Logs instead of failing.
void MarkInterruptedJobs(store::Database* db, std::string_view table, std::string_view message);

}  // namespace siyu::cdp
