#include "api/routes.h"

namespace siyu::api {

void AddCouponRoutes(RouteTable& t) { (void)t; }

}  // namespace siyu::api
