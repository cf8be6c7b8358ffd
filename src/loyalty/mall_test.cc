#include "loyalty/mall.h"

#include <gtest/gtest.h>
