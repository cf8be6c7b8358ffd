#include "api/routes.h"

namespace siyu::api {

void AddStoredValueRoutes(RouteTable& t) { (void)t; }

}  // namespace siyu::api
