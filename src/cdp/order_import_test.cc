#include "cdp/order_import.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cdp/customer_repository.h"
#include "store/test_database.h"

namespace siyu::cdp {
namespace {

using Json = nlohmann::json;

const char kHeader[] = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

struct StoredOrder {
    std::string name;
    int64_t customer_id = 0;
    TimeMs ts = 0;
    std::optional<int64_t> revenue;
    std::optional<std::string> currency;
    Json properties;
};

class OrderImportTest : public testing::Test {
  protected:
    void SetUp() override {
        db_ = store::OpenTestDatabase(std::string("orders_") +
                                      testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_TRUE(store::AddTestTenants(*db_, {1, 2}).ok());
        ingestor_ = std::make_unique<EventIngestor>(db_.get());
        options_.tenant_id = 1;
        options_.time_zone = "Europe/London";
        options_.currency = "GBP";
    }

    Result<OrderImportResult> Import(const std::string& csv) {
        errors_.clear();
        options_.hooks.on_error = [this](const ImportError& e) { errors_.push_back(e); };
        auto reader = CsvReader::FromMemory(csv);
        return ImportOrders(*reader, *ingestor_, options_);
    }

    OrderImportResult ImportOk(const std::string& csv) {
        auto r = Import(csv);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        return r.ok() ? r.value() : OrderImportResult{};
    }

    std::optional<StoredOrder> Event(const std::string& order_id) {
        std::optional<StoredOrder> out;
        Status st = db_->Read([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare("SELECT name, customer_id, ts, revenue, currency, properties "
                                                    "FROM events WHERE tenant_id = 1 AND message_id = ?"));
            s.Bind(1, "import:order:" + order_id);
            SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
            if (row) {
                out = StoredOrder{s.Text(0), s.Int(1), s.Int(2), s.OptInt(3), s.OptText(4), Json::parse(s.Text(5))};
            }
            return Status::Ok();
        });
        EXPECT_TRUE(st.ok()) << st.ToString();
        return out;
    }

    int64_t Count(const std::string& sql) {
        int64_t n = -1;
        Status st = db_->Read([&](store::Connection& c) -> Status {
            SIYU_ASSIGN_OR_RETURN(auto s, c.Prepare(sql));
            SIYU_ASSIGN_OR_RETURN(bool row, s.Step());
            if (row) n = s.Int(0);
            return Status::Ok();
        });
        EXPECT_TRUE(st.ok()) << st.ToString();
        return n;
    }

    Customer ByUserId(const std::string& user_id) {
        CustomerRepository repo(db_.get());
        auto c = repo.Lookup(1, "user_id", user_id, {});
        EXPECT_TRUE(c.ok()) << user_id << ": " << c.status().ToString();
        return c.ok() ? c.value() : Customer{};
    }

    std::unique_ptr<store::Database> db_;
    std::unique_ptr<EventIngestor> ingestor_;
    OrderImportOptions options_;
    std::vector<ImportError> errors_;
};

TEST_F(OrderImportTest, RowsOfOneInvoiceBecomeOneOrderEvenWhenOtherRowsComeBetween) {
    std::string csv = std::string(kHeader) +
                      "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United "
                      "Kingdom\n"
                      "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,17850.0,United Kingdom\n"
                      "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom\n";
    auto r = ImportOk(csv);
    EXPECT_EQ(r.rows, 3);
    EXPECT_EQ(r.orders, 2);
    EXPECT_EQ(r.customers, 1);
    EXPECT_EQ(r.rejected_rows, 0);
    auto order = Event("536365");
    ASSERT_TRUE(order);
    EXPECT_EQ(order->name, "Order Completed");
    EXPECT_EQ(order->revenue, 6 * 255 + 6 * 339);
    EXPECT_EQ(order->currency, "GBP");
    ASSERT_EQ(order->properties["products"].size(), 2u);
    EXPECT_EQ(order->properties["products"][1]["sku"], "71053");
    EXPECT_EQ(order->properties["products"][1]["name"], "WHITE METAL LANTERN");
    EXPECT_EQ(order->properties["products"][1]["quantity"], 6);
    EXPECT_EQ(order->properties["order_id"], "536365");
    EXPECT_EQ(order->properties["country"], "United Kingdom");
    EXPECT_EQ(order->properties["revenue"].dump(), "35.64");
}

TEST_F(OrderImportTest, RevenueIsExactDecimalArithmeticInMinorUnits) {
    // 0.29 and 0.1 have no exact binary form; 3 × 0.29 + 7 × 0.1 must be exactly 1.57.
    std::string csv =
        std::string(kHeader) + "1,A,a,3,2011-01-05 10:00:00,0.29,1.0,UK\n" + "1,B,b,7,2011-01-05 10:00:00,0.1,1.0,UK\n";
    ImportOk(csv);
    auto order = Event("1");
    ASSERT_TRUE(order);
    EXPECT_EQ(order->revenue, 157);
    EXPECT_EQ(order->properties["revenue"].dump(), "1.57");
    EXPECT_EQ(order->properties["products"][0]["price"].dump(), "0.29");
}

TEST_F(OrderImportTest, InvoicesStartingWithCAreRefundsOfTheAbsoluteAmount) {
    std::string csv = std::string(kHeader) + "536379,D,Discount,1,2010-12-01 09:41:00,27.50,14527.0,UK\n" +
                      "C536383,35004C,SET OF 3 COLOURED  FLYING DUCKS,-1,2010-12-01 09:49:00,4.65,14527.0,UK\n";
    auto r = ImportOk(csv);
    EXPECT_EQ(r.orders, 1);
    EXPECT_EQ(r.refunds, 1);
    auto refund = Event("C536383");
    ASSERT_TRUE(refund);
    EXPECT_EQ(refund->name, "Order Refunded");
    EXPECT_EQ(refund->revenue, 465);
    EXPECT_EQ(refund->properties["order_id"], "C536383");
    EXPECT_EQ(refund->properties["products"][0]["quantity"], 1);
    Customer c = ByUserId("14527");
    ASSERT_TRUE(c.computed);
    EXPECT_EQ(c.computed->order_count, 1);
    EXPECT_EQ(c.computed->refund_count, 1);
    EXPECT_EQ(c.computed->total_spent, 2750 - 465);
}

TEST_F(OrderImportTest, GuestOrdersGetOneAnonymousCustomerEach) {
    std::string csv = std::string(kHeader) + "9001,A,a,1,2011-01-05 10:00:00,1.00,,UK\n" +
                      "9002,A,a,2,2011-01-05 11:00:00,1.00,,UK\n" + "9001,B,b,1,2011-01-05 10:00:00,2.00,,UK\n";
    auto r = ImportOk(csv);
    EXPECT_EQ(r.orders, 2);
    EXPECT_EQ(r.guest_orders, 2);
    EXPECT_EQ(r.customers, 0);
    auto first = Event("9001"), second = Event("9002");
    ASSERT_TRUE(first && second);
    EXPECT_NE(first->customer_id, second->customer_id);
    CustomerRepository repo(db_.get());
    EXPECT_EQ(repo.Lookup(1, "anonymous_id", "guest:9001", {}).value().id, first->customer_id);
}

TEST_F(OrderImportTest, FloatCustomerIdsAreTheirIntegerText) {
    ImportOk(std::string(kHeader) + "1,A,a,1,2011-01-05 10:00:00,1.00,17850.0,UK\n" +
             "2,A,a,1,2011-01-06 10:00:00,1.00,17850,UK\n");
    Customer c = ByUserId("17850");
    ASSERT_TRUE(c.computed);
    EXPECT_EQ(c.computed->order_count, 2);
    EXPECT_EQ(Count("SELECT count(*) FROM customers WHERE tenant_id = 1"), 1);
}

TEST_F(OrderImportTest, InvoiceDateIsLocalTimeInTheTenantZone) {
    ImportOk(std::string(kHeader) + "1,A,a,1,2010-12-01 08:26:00,1.00,1,UK\n" +
             "2,A,a,1,2011-07-01 08:26:00,1.00,1,UK\n");
    EXPECT_EQ(FormatRfc3339(Event("1")->ts), "2010-12-01T08:26:00.000Z");
    EXPECT_EQ(FormatRfc3339(Event("2")->ts), "2011-07-01T07:26:00.000Z");  // British Summer Time
    options_.time_zone = "Asia/Shanghai";
    options_.tenant_id = 2;
    ImportOk(std::string(kHeader) + "3,A,a,1,2026-11-22 09:30:00,1.00,1,CN\n");
    int64_t ts = Count("SELECT ts FROM events WHERE tenant_id = 2 AND message_id = 'import:order:3'");
    EXPECT_EQ(FormatRfc3339(ts), "2026-11-22T01:30:00.000Z");
}

TEST_F(OrderImportTest, AnOrderTakesTheEarliestTimeOfItsRows) {
    ImportOk(std::string(kHeader) + "1,A,a,1,2011-01-05 10:01:00,1.00,1,UK\n" +
             "1,B,b,1,2011-01-05 10:00:00,1.00,1,UK\n");
    EXPECT_EQ(FormatRfc3339(Event("1")->ts), "2011-01-05T10:00:00.000Z");
}

TEST_F(OrderImportTest, BadRowsAreReportedWithLineAndColumnAndRejectTheirWholeOrder) {
    std::string csv = std::string(kHeader) +
                      "100,A,good line,1,2011-01-05 10:00:00,1.00,1,UK\n"   // line 2
                      "100,B,bad price,1,2011-01-05 10:00:00,0.001,1,UK\n"  // line 3
                      "101,A,fine,2,2011-01-05 10:00:00,3.50,2,UK\n"        // line 4
                      "102,A,negative,-2,2011-01-05 10:00:00,3.50,,UK\n"    // line 5
                      "103,A,when,1,05/01/2011 10:00,3.50,3,UK\n"           // line 6
                      ",A,no order,1,2011-01-05 10:00:00,3.50,3,UK\n"       // line 7
                      "104,A,short row,1\n"                                 // line 8
                      "105,A,mixed,1,2011-01-05 10:00:00,1.00,5,UK\n"       // line 9
                      "105,B,mixed,1,2011-01-05 10:00:00,1.00,6,UK\n";      // line 10
    auto r = ImportOk(csv);
    EXPECT_EQ(r.rows, 9);
    EXPECT_EQ(r.orders, 1);
    EXPECT_EQ(r.rejected_orders, 5);
    EXPECT_EQ(r.rejected_rows, 8);
    EXPECT_FALSE(Event("100"));
    EXPECT_TRUE(Event("101"));
    auto has = [&](int64_t line, const std::string& column, const std::string& words) {
        for (const auto& e : errors_) {
            if (e.line == line && e.column == column && e.reason.find(words) != std::string::npos) return true;
        }
        return false;
    };
    EXPECT_TRUE(has(3, "UnitPrice", "more than 2 decimal places"));
    EXPECT_TRUE(has(2, "InvoiceNo", "order 100 rejected: 1 of its 2 rows are invalid (line 3)"));
    EXPECT_TRUE(has(5, "Quantity", "negative on an order that is not a refund"));
    EXPECT_TRUE(has(6, "InvoiceDate", "expected YYYY-MM-DD HH:MM:SS"));
    EXPECT_TRUE(has(7, "InvoiceNo", "is empty"));
    EXPECT_TRUE(has(8, "", "has 4 fields; the header has 8"));
    EXPECT_TRUE(has(10, "CustomerID", "differs within order 105"));
    for (const auto& e : errors_) EXPECT_GT(e.line, 1) << e.reason;
}

TEST_F(OrderImportTest, ReimportingTheSameFileChangesNothing) {
    std::string csv = std::string(kHeader) + "1,A,a,1,2011-01-05 10:00:00,1.00,1,UK\n" +
                      "2,A,a,1,2011-01-05 10:00:00,1.00,,UK\n" + "C3,A,a,-1,2011-01-06 10:00:00,1.00,1,UK\n";
    auto first = ImportOk(csv);
    EXPECT_EQ(first.duplicates, 0);
    int64_t events = Count("SELECT count(*) FROM events");
    int64_t customers = Count("SELECT count(*) FROM customers");
    int64_t spent = ByUserId("1").computed->total_spent;
    auto second = ImportOk(csv);
    EXPECT_EQ(second.orders, first.orders);
    EXPECT_EQ(second.duplicates, 3);
    EXPECT_EQ(Count("SELECT count(*) FROM events"), events);
    EXPECT_EQ(Count("SELECT count(*) FROM customers"), customers);
    EXPECT_EQ(ByUserId("1").computed->total_spent, spent);
}

TEST_F(OrderImportTest, SmallBatchesImportEveryOrder) {
    options_.orders_per_batch = 2;
    std::string csv = kHeader;
    for (int i = 0; i < 7; ++i)
        csv += std::to_string(i) + ",A,a,1,2011-01-05 10:00:00,1.00," + std::to_string(i % 3) + ",UK\n";
    std::vector<int64_t> written;
    options_.hooks.on_progress = [&](const ImportProgress& p) {
        if (p.phase == "importing") written.push_back(p.written);
    };
    auto r = ImportOk(csv);
    EXPECT_EQ(r.orders, 7);
    EXPECT_EQ(r.customers, 3);
    EXPECT_EQ(Count("SELECT count(*) FROM events"), 7);
    ASSERT_FALSE(written.empty());
    EXPECT_EQ(written.back(), 7);
}

TEST_F(OrderImportTest, AMappingReadsOtherColumnNamesAndAFileCurrency) {
    options_.mapping.Set("order_id", "单号");
    options_.mapping.Set("sku", "货号");
    options_.mapping.Set("quantity", "件数");
    options_.mapping.Set("ordered_at", "时间");
    options_.mapping.Set("unit_price", "价格");
    options_.mapping.Set("customer_id", "会员");
    std::string csv =
        "单号,货号,件数,时间,价格,会员,currency,store_code,category\n"
        "S1,P1,2,2026-01-05 10:00,1200,m1,JPY,SH01,鞋\n";
    auto r = ImportOk(csv);
    EXPECT_EQ(r.orders, 1);
    auto order = Event("S1");
    ASSERT_TRUE(order);
    EXPECT_EQ(order->currency, "JPY");
    EXPECT_EQ(order->revenue, 2400);
    EXPECT_EQ(order->properties["store_code"], "SH01");
    EXPECT_EQ(order->properties["products"][0]["category"], "鞋");
}

TEST_F(OrderImportTest, AHeaderWithoutARequiredColumnImportsNothing) {
    auto r = Import("InvoiceNo,StockCode,Quantity,InvoiceDate\n1,A,1,2011-01-05 10:00:00\n");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("unit_price"), std::string::npos);
    EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
    EXPECT_FALSE(Import("").ok());
}

TEST_F(OrderImportTest, ImportsStayInTheirTenant) {
    ImportOk(std::string(kHeader) + "1,A,a,1,2011-01-05 10:00:00,1.00,1,UK\n");
    EXPECT_EQ(Count("SELECT count(*) FROM events WHERE tenant_id = 2"), 0);
    CustomerRepository repo(db_.get());
    EXPECT_EQ(repo.Lookup(2, "user_id", "1", {}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace siyu::cdp
