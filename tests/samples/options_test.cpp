// The runner's command line: what it accepts, and a clear message for everything it does not.
#include "jaegis/samples/options.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

using namespace jaegis::samples;

namespace {

const std::vector<std::string_view> names{"ring", "pingpong", "contract-net"};

parsed_options parse(std::vector<std::string_view> args) {
  return parse_options(args, names);
}

std::string error_of(std::vector<std::string_view> args) {
  const parsed_options p = parse(std::move(args));
  CHECK_FALSE(p.options.has_value());
  CHECK(p.error.find('\n') == std::string::npos);  // one line
  return p.error;
}

}  // namespace

TEST_CASE("a topology alone: every flag unset", "[samples][options]") {
  const parsed_options p = parse({"ring"});
  REQUIRE(p.options);
  CHECK(p.error.empty());
  CHECK(p.options->topology == "ring");
  CHECK_FALSE(p.options->agents);
  CHECK_FALSE(p.options->messages);
  CHECK_FALSE(p.options->workers);
  CHECK_FALSE(p.options->seconds);
  CHECK(p.options->json_path.empty());
  CHECK_FALSE(p.options->help);
}

TEST_CASE("every flag, as --flag value and as --flag=value, before or after the topology",
          "[samples][options]") {
  const parsed_options a = parse({"--agents", "10", "contract-net", "--messages=20", "--workers",
                                  "3", "--seconds=1.5", "--json", "out.json"});
  REQUIRE(a.options);
  CHECK(a.options->topology == "contract-net");
  CHECK(*a.options->agents == 10);
  CHECK(*a.options->messages == 20);
  CHECK(*a.options->workers == 3);
  CHECK(*a.options->seconds == 1.5);
  CHECK(a.options->json_path == "out.json");
}

TEST_CASE("--help wins over everything else", "[samples][options]") {
  for (auto args : {std::vector<std::string_view>{"--help"}, std::vector<std::string_view>{"-h"},
                    std::vector<std::string_view>{"nonsense", "--agents", "abc", "--help"}}) {
    const parsed_options p = parse(args);
    REQUIRE(p.options);
    CHECK(p.options->help);
  }
  const std::string usage = usage_text();
  CHECK(usage.find("--agents") != std::string::npos);
  CHECK(usage.find("contract-net") != std::string::npos);
}

TEST_CASE("malformed or out-of-range numbers are refused, naming the flag and the value",
          "[samples][options]") {
  CHECK(error_of({"ring", "--agents", "abc"}) ==
        "--agents needs a whole number from 1 to 10000000, not 'abc'");
  CHECK(error_of({"ring", "--agents", "0"}).find("not '0'") != std::string::npos);
  CHECK(error_of({"ring", "--agents", "-5"}).find("--agents") != std::string::npos);
  CHECK(error_of({"ring", "--agents", "12x"}).find("not '12x'") != std::string::npos);
  CHECK(error_of({"ring", "--agents", " 12"}).find("--agents") != std::string::npos);
  CHECK(error_of({"ring", "--agents", "10000001"}).find("--agents") != std::string::npos);
  CHECK(error_of({"ring", "--messages", ""}).find("--messages") != std::string::npos);
  CHECK(error_of({"ring", "--messages", "99999999999999999999999"}).find("--messages") !=
        std::string::npos);
  CHECK(error_of({"ring", "--workers", "-1"}) ==
        "--workers needs a whole number from 1 to 1024, not '-1'");
  CHECK(error_of({"ring", "--workers", "0"}).find("--workers") != std::string::npos);
  CHECK(error_of({"ring", "--seconds", "0"}).find("--seconds") != std::string::npos);
  CHECK(error_of({"ring", "--seconds", "-1"}).find("--seconds") != std::string::npos);
  CHECK(error_of({"ring", "--seconds", "nan"}).find("--seconds") != std::string::npos);
  CHECK(error_of({"ring", "--seconds", "inf"}).find("--seconds") != std::string::npos);
  CHECK(error_of({"ring", "--seconds", "1e9"}).find("--seconds") != std::string::npos);
  CHECK(error_of({"ring", "--json="}) == "--json needs a file name");
}

TEST_CASE("unknown and valueless flags are refused", "[samples][options]") {
  CHECK(error_of({"ring", "--frobnicate"}) == "unknown flag '--frobnicate' (see --help)");
  CHECK(error_of({"ring", "-a", "3"}) == "unknown flag '-a' (see --help)");
  CHECK(error_of({"ring", "--agents"}) == "--agents needs a value (see --help)");
}

TEST_CASE("a flag given twice takes its last value, as scripts expect", "[samples][options]") {
  const parsed_options p = parse({"contract-net", "--agents", "10000", "--agents=3"});
  REQUIRE(p.options);
  CHECK(*p.options->agents == 3);
}

TEST_CASE("exactly one known topology", "[samples][options]") {
  CHECK(error_of({}) == "no topology given; one of: ring, pingpong, contract-net");
  CHECK(error_of({"--agents", "3"}).starts_with("no topology given"));
  CHECK(error_of({"hexagon"}) ==
        "unknown topology 'hexagon'; one of: ring, pingpong, contract-net");
  CHECK(error_of({"ring", "pingpong"}) == "one topology at a time, not 'ring' and 'pingpong'");
}
