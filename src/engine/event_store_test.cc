#include "engine/event_store.h"

#include <gtest/gtest.h>

namespace siyu::engine {

TEST(EventStore, KeepsEachCustomersEventsInTimeOrderWhateverTheArrivalOrder) {
    EventStore store;
    store.Append({{1, 10, "track", "Order Completed", 3000, 500},
                  {1, 10, "track", "Page", 1000, std::nullopt},
                  {1, 10, "track", "Order Completed", 2000, 700}});
    EXPECT_EQ(store.CountEvents(1, {10}, "Order Completed", 0, 10'000), 2);
    EXPECT_EQ(store.CountEvents(1, {10}, "Order Completed", 2500, 10'000), 1);
    EXPECT_EQ(store.CountEvents(1, {10}, "", 0, 2001), 2);
}

TEST(EventStore, SumsAmountsOnlyOfEventsThatHaveThem) {
    EventStore store;
    store.Append({{1, 10, "track", "Order Completed", 3000, 500},
                  {1, 10, "track", "Page", 1000, std::nullopt},
                  {1, 11, "track", "Order Completed", 2000, 700},
                  {1, 10, "track", "Order Completed", 500, 1}});
    EXPECT_EQ(store.SumAmounts(1, {10, 11}, "Order Completed", 0, 10'000), 1201);
    EXPECT_EQ(store.SumAmounts(1, {10}, "Order Completed", 1000, 10'000), 500);
    EXPECT_EQ(store.SumAmounts(1, {10}, "Page", 0, 10'000), 0);
}

TEST(EventStore, TenantsAreSeparate) {
    EventStore store;
    store.Append({{1, 10, "track", "A", 1, std::nullopt},
                  {2, 10, "track", "A", 1, std::nullopt},
                  {2, 11, "track", "A", 2, std::nullopt}});
    EXPECT_EQ(store.CountEvents(1, {10, 11}, "A", 0, 10), 1);
    EXPECT_EQ(store.CountEvents(2, {10, 11}, "A", 0, 10), 2);
    EXPECT_EQ(store.CountEvents(3, {10}, "A", 0, 10), 0);
}

TEST(EventStore, CountsByNameWithDistinctCustomers) {
    EventStore store;
    store.Append({{1, 10, "track", "Page", 1, std::nullopt},
                  {1, 10, "track", "Page", 2, std::nullopt},
                  {1, 11, "track", "Page", 3, std::nullopt},
                  {1, 11, "track", "Order Completed", 4, 100}});
    auto counts = store.CountByName(1, 0, 100);
    ASSERT_EQ(counts.size(), 2u);
    EXPECT_EQ(counts[0].name, "Page");
    EXPECT_EQ(counts[0].events, 3);
    EXPECT_EQ(counts[0].customers, 2);
    EXPECT_EQ(counts[1].customers, 1);
}

TEST(EventStore, MemoryStaysUnderTwentyFourBytesPerEventForLongHistories) {
    EventStore store;
    std::vector<EventInput> batch;
    for (int c = 0; c < 1000; ++c) {
        for (int i = 0; i < 200; ++i)
            batch.push_back({1, c, "track", i % 2 ? "Page" : "Product Viewed", i, std::nullopt});
    }
    store.Append(batch);
    auto stats = store.Stats();
    EXPECT_EQ(stats.events, 200'000);
    EXPECT_LE(static_cast<double>(stats.memory_bytes) / stats.events, 24.0);
}

}  // namespace siyu::engine

namespace siyu::engine {

TEST(EventStore, FiltersByIndexedPropertiesAndSkipsOrderIds) {
    EventStore store;
    store.Append(
        {{1, 10, "track", "Product Viewed", 1000, std::nullopt, R"({"category":"护肤","product_id":"SK-1"})"},
         {1, 10, "track", "Product Viewed", 2000, std::nullopt, R"({"category":"彩妆","product_id":"MU-1"})"},
         {1, 11, "track", "Product Viewed", 3000, std::nullopt, R"({"product_id":"SK-1","category":"护肤"})"},
         {1, 11, "track", "Order Completed", 4000, 900, R"({"order_id":"o-1","category":"护肤","revenue":9})"}});
    PropertyFilter skincare{"category", "护肤"};
    EXPECT_EQ(store.CountEvents(1, {10, 11}, "Product Viewed", 0, 10'000, &skincare), 2);
    EXPECT_EQ(store.CountEvents(1, {10, 11}, "", 0, 10'000, &skincare), 3);
    EXPECT_EQ(store.SumAmounts(1, {11}, "Order Completed", 0, 10'000, &skincare), 900);
    PropertyFilter order{"order_id", "o-1"};
    EXPECT_EQ(store.CountEvents(1, {11}, "", 0, 10'000, &order), 0);
    PropertyFilter unknown{"category", "香氛"};
    EXPECT_EQ(store.CountEvents(1, {10, 11}, "", 0, 10'000, &unknown), 0);
}

TEST(EventStore, TimeAndNameShareOneWordWithoutLosingEither) {
    EventStore store;
    TimeMs far = 4'102'444'800'000;  // 2100-01-01
    store.Append({{1, 10, "track", "A", far, std::nullopt}, {1, 10, "track", "B", far - 1, std::nullopt}});
    EXPECT_EQ(store.CountEvents(1, {10}, "A", far, far + 1), 1);
    EXPECT_EQ(store.CountEvents(1, {10}, "B", far - 1, far), 1);
}

}  // namespace siyu::engine

namespace siyu::engine {

TEST(CustomerIndex, FindsEveryIdAcrossGrowthAndMissesOthers) {
    CustomerIndex index;
    for (int64_t id = 1; id <= 100'000; ++id) EXPECT_EQ(index.Insert(id * 7919, static_cast<uint32_t>(id)), id);
    EXPECT_EQ(index.Insert(7919, 12345), 1u);  // present: keeps its value
    for (int64_t id = 1; id <= 100'000; ++id) ASSERT_EQ(index.Find(id * 7919), static_cast<uint32_t>(id));
    EXPECT_EQ(index.Find(3), CustomerIndex::kMissing);
    EXPECT_EQ(index.size(), 100'000u);
}

}  // namespace siyu::engine
