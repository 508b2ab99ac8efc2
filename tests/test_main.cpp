// Catch2 v2 entry point for the unit-test binary (all unit tests link into one executable).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
