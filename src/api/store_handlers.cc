#include "api/routes.h"
#include "base/strings.h"

namespace siyu::api {

namespace {

Json StoreJson(const scrm::Store& s) {
    return {{"id", s.id},
            {"parent_id", s.parent_id ? Json(*s.parent_id) : Json(nullptr)},
            {"kind", s.kind},
            {"code", s.code},
            {"name", s.name},
            {"city", s.city.empty() ? Json(nullptr) : Json(s.city)},
            {"latitude", s.latitude ? Json(*s.latitude) : Json(nullptr)},
            {"longitude", s.longitude ? Json(*s.longitude) : Json(nullptr)},
            {"created_at", TimeJson(s.created_at)},
            {"updated_at", TimeJson(s.updated_at)}};
}

Result<scrm::StoreInput> ParseStoreInput(const std::string& text) {
    SIYU_ASSIGN_OR_RETURN(Json body, ParseObject(text));
    SIYU_RETURN_IF_ERROR(RejectUnknown(body, {"code", "name", "kind", "parent_id", "city", "latitude", "longitude"}));
    scrm::StoreInput in;
    SIYU_ASSIGN_OR_RETURN(in.code, OptString(body, "code"));
    SIYU_ASSIGN_OR_RETURN(in.name, OptString(body, "name"));
    SIYU_ASSIGN_OR_RETURN(in.kind, OptString(body, "kind"));
    SIYU_ASSIGN_OR_RETURN(in.parent_id, NullableInt(body, "parent_id"));
    if (body.contains("city") && body["city"].is_null()) {
        in.city = std::string();
    } else {
        SIYU_ASSIGN_OR_RETURN(in.city, OptString(body, "city"));
    }
    SIYU_ASSIGN_OR_RETURN(in.latitude, NullableDouble(body, "latitude"));
    SIYU_ASSIGN_OR_RETURN(in.longitude, NullableDouble(body, "longitude"));
    return in;
}

}  // namespace

void AddStoreRoutes(RouteTable& t) {
    t.Api({.method = "GET",
           .pattern = "/api/v1/stores",
           .summary = "Stores, regions and headquarters",
           .tag = "Stores",
           .permission = "stores.read",
           .response_schema = "StorePage",
           .query_params = {"limit", "cursor", "kind", "parent_id", "q"}},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto page, ParsePage(c.req));
              scrm::StoreFilter f;
              f.limit = page.limit;
              f.after_id = page.cursor;
              if (auto kind = c.req.Query("kind"); kind && !kind->empty()) {
                  if (*kind != "hq" && *kind != "region" && *kind != "store") {
                      return Status::InvalidArgument("kind", "must be hq, region or store");
                  }
                  f.kind = *kind;
              }
              if (auto parent = c.req.Query("parent_id"); parent && !parent->empty()) {
                  int64_t id = 0;
                  if (!ParseInt64(*parent, &id)) return Status::InvalidArgument("parent_id", "must be an integer");
                  f.parent_id = id;
              }
              if (auto q = c.req.Query("q"); q && !q->empty()) f.q = *q;
              SIYU_ASSIGN_OR_RETURN(auto stores, c.svc.stores.List(c.tenant(), f));
              Json data = Json::array();
              for (const auto& s : stores) data.push_back(StoreJson(s));
              std::optional<int64_t> last;
              if (!stores.empty()) last = stores.back().id;
              return JsonResponse(200, PageJson(data, page.limit, last));
          });
    t.Api({.method = "POST",
           .pattern = "/api/v1/stores",
           .summary = "Create a store, region or HQ",
           .tag = "Stores",
           .permission = "stores.write",
           .request_schema = "StoreInput",
           .response_schema = "Store"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(auto in, ParseStoreInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto s, c.svc.stores.Create(c.tenant(), in, c.actor));
              return JsonResponse(201, StoreJson(s));
          });
    t.Api({.method = "GET",
           .pattern = "/api/v1/stores/{id}",
           .summary = "One store",
           .tag = "Stores",
           .permission = "stores.read",
           .response_schema = "Store"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto s, c.svc.stores.Get(c.tenant(), id));
              return JsonResponse(200, StoreJson(s));
          });
    t.Api({.method = "PATCH",
           .pattern = "/api/v1/stores/{id}",
           .summary = "Change a store",
           .tag = "Stores",
           .permission = "stores.write",
           .request_schema = "StoreInput",
           .response_schema = "Store"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_ASSIGN_OR_RETURN(auto in, ParseStoreInput(c.req.body));
              SIYU_ASSIGN_OR_RETURN(auto s, c.svc.stores.Update(c.tenant(), id, in, c.actor));
              return JsonResponse(200, StoreJson(s));
          });
    t.Api({.method = "DELETE",
           .pattern = "/api/v1/stores/{id}",
           .summary = "Delete a store without children",
           .tag = "Stores",
           .permission = "stores.write"},
          [](Ctx& c) -> Result<http::Response> {
              SIYU_ASSIGN_OR_RETURN(int64_t id, PathId(c.req));
              SIYU_RETURN_IF_ERROR(c.svc.stores.Delete(c.tenant(), id, c.actor));
              return http::Response::NoContent();
          });
}

}  // namespace siyu::api
