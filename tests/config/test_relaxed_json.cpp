// parse_relaxed_json: mcrouter's JSON dialect (comments, trailing commas) and syntax error positions; JSONM
// passes through untouched (config/jsonm.hpp expands it).
#include <catch2/catch.hpp>

#include <string>

#include "config/config_error.hpp"
#include "config/relaxed_json.hpp"

using mcrelay::config::blank_json_extensions;
using mcrelay::config::ConfigError;
using mcrelay::config::parse_relaxed_json;
using mcrelay::config::text_position;
using nlohmann::json;

namespace {

// what() of the ConfigError parsing `text` throws ("" if it parses).
std::string error_for(const std::string& text) {
  try {
    parse_relaxed_json(text, "config.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}


}  // namespace

TEST_CASE("relaxed JSON: plain JSON parses as JSON", "[config][relaxed_json]") {
  CHECK(parse_relaxed_json(R"j({"a": [1, 2.5, "x", true, null], "b": {}})j", "s") ==
        json::parse(R"j({"a": [1, 2.5, "x", true, null], "b": {}})j"));
  CHECK(parse_relaxed_json("[]", "s") == json::array());
  CHECK(parse_relaxed_json("\xEF\xBB\xBF{\"a\": 1}", "s") == json{{"a", 1}});  // UTF-8 BOM
}

TEST_CASE("relaxed JSON: comments", "[config][relaxed_json]") {
  const std::string text = R"j(// leading comment
{
  /* block
     comment */ "a": 1, // trailing comment
  "b": /* inline */ 2 /**/
}
// final comment without a newline)j";
  CHECK(parse_relaxed_json(text, "s") == json{{"a", 1}, {"b", 2}});
  CHECK(parse_relaxed_json("{\"a\": 1} // comment\r\n", "s") == json{{"a", 1}});
  CHECK(parse_relaxed_json("{\"a\": /* ** / * */ 1}", "s") == json{{"a", 1}});
}

TEST_CASE("relaxed JSON: trailing commas", "[config][relaxed_json]") {
  CHECK(parse_relaxed_json(R"j({"a": [1, 2,], "b": {"c": 3,},})j", "s") ==
        json{{"a", {1, 2}}, {"b", {{"c", 3}}}});
  CHECK(parse_relaxed_json("[1, // one\n 2, /* two */\n]", "s") == json{1, 2});
  CHECK(parse_relaxed_json("[\"x\" ,\n\t\r\n ]", "s") == json{"x"});
  CHECK(parse_relaxed_json("[[],{},]", "s") == json{json::array(), json::object()});
}

TEST_CASE("relaxed JSON: comment markers and commas inside strings are data", "[config][relaxed_json]") {
  const std::string text = R"j({
    "url": "http://example.com/a//b", // a real comment
    "glob": "/* not a comment */",
    "quote": "he said \"// no\" /* still \\\" no */",
    "backslash": "C:\\",
    "comma": ",]",
    "tail": "x,}"
  })j";
  const json j = parse_relaxed_json(text, "s");
  CHECK(j["url"] == "http://example.com/a//b");
  CHECK(j["glob"] == "/* not a comment */");
  CHECK(j["quote"] == "he said \"// no\" /* still \\\" no */");
  CHECK(j["backslash"] == "C:\\");
  CHECK(j["comma"] == ",]");
  CHECK(j["tail"] == "x,}");
  CHECK(j.size() == 6);
}

TEST_CASE("relaxed JSON: blanking keeps every byte offset and newline", "[config][relaxed_json]") {
  const std::string text = "{ /* a\nb */ \"k\": [1,], // c\n}";
  const std::string blanked = blank_json_extensions(text, "s");
  CHECK(blanked.size() == text.size());
  CHECK(blanked == "{     \n     \"k\": [1 ]      \n}");
}

TEST_CASE("relaxed JSON: text_position counts lines and UTF-8 characters", "[config][relaxed_json]") {
  const std::string text = "ab\n\xC3\xA9x\ny";  // "é" is two bytes
  CHECK(text_position(text, 0).line == 1);
  CHECK(text_position(text, 0).column == 1);
  CHECK(text_position(text, 5).line == 2);
  CHECK(text_position(text, 5).column == 2);  // the 'x' after 'é'
  CHECK(text_position(text, text.size()).line == 3);
  CHECK(text_position(text, text.size()).column == 2);
}

TEST_CASE("relaxed JSON: syntax errors give source:line:col and a readable reason", "[config][relaxed_json]") {
  SECTION("missing comma between members (the spec's example)") {
    std::string text = "{\n";
    for (int i = 1; i <= 12; ++i) text += "  \"k" + std::to_string(i) + "\": " + std::to_string(i) + ",\n";
    text += "  \"k13\": 13\n  \"route\": \"PoolRoute|A\"\n}\n";
    CHECK(error_for(text) == "config.json:15:3: expected ',' or '}'");
  }
  SECTION("missing comma in a list") {
    CHECK(error_for("{\"servers\": [\"a:1\"\n   \"b:2\"]}") == "config.json:2:4: expected ',' or ']'");
    CHECK(error_for("[1 22]") == "config.json:1:4: expected ',' or ']'");
  }
  SECTION("missing colon") {
    CHECK(error_for("{\"a\" 1}") == "config.json:1:6: expected ':'");
  }
  SECTION("a key that is not a string") {
    CHECK(error_for("{pools: {}}") == "config.json:1:2: expected an object key (a string in double quotes)");
    CHECK(error_for("{1: 2}") == "config.json:1:2: expected an object key (a string in double quotes)");
  }
  SECTION("a bad literal") {
    CHECK(error_for("{\"a\": tru}") ==
          "config.json:1:10: invalid literal (not a number, a \"string\", true, false or null)");
    CHECK(error_for("{\"a\": 'x'}") ==
          "config.json:1:7: invalid literal (not a number, a \"string\", true, false or null)");
  }
  SECTION("a missing value") {
    CHECK(error_for("{\"a\": }") == "config.json:1:7: expected a value");
    CHECK(error_for("[1,,]") == "config.json:1:4: expected a value");
    CHECK(error_for("[,]") == "config.json:1:2: expected a value");
  }
  SECTION("unexpected end of input") {
    CHECK(error_for("{\"a\": 1") == "config.json:1:8: unexpected end of input; expected ',' or '}'");
    CHECK(error_for("{\"a\": [1,\n") == "config.json:2:1: unexpected end of input; expected a value");
  }
  SECTION("text after the top-level value") {
    CHECK(error_for("{\"a\": 1}}") == "config.json:1:9: expected end of input after the top-level value");
    CHECK(error_for("{} {}") == "config.json:1:4: expected end of input after the top-level value");
  }
  SECTION("bad strings and numbers") {
    CHECK(error_for("{\"a\": \"x\ny\"}") ==
          "config.json:1:9: invalid string: control character U+000A (LF) must be escaped to \\u000A or \\n");
    CHECK(error_for("{\"a\": \"\\q\"}") == "config.json:1:9: invalid string: forbidden character after backslash");
    CHECK(error_for("{\"a\": \"abc") == "config.json:1:11: invalid string: missing closing quote");
    CHECK(error_for("{\"a\": -}") == "config.json:1:8: invalid number: expected digit after '-'");
  }
  SECTION("positions count the bytes of removed comments") {
    CHECK(error_for("/* one\n two */ {\"a\": 1 // x\n \"b\": 2}") == "config.json:3:2: expected ',' or '}'");
  }
  SECTION("a key string with escaped quotes is reported at its opening quote") {
    CHECK(error_for("{\"a\": 1 \"b\\\"c\": 2}") == "config.json:1:9: expected ',' or '}'");
  }
  SECTION("empty input") {
    CHECK(error_for("") == "config.json:1:1: the config is empty (expected a JSON object)");
    CHECK(error_for(" // nothing\n") == "config.json:1:1: the config is empty (expected a JSON object)");
  }
  SECTION("unterminated block comment") {
    CHECK(error_for("{\"a\": 1,\n  /* never closed\n}") == "config.json:2:3: unterminated /* comment");
  }
  SECTION("a number too large for a double") {
    CHECK(error_for("{\"a\": 1e999}") == "config.json: number overflow parsing '1e999'");
  }
  SECTION("a lone slash") {
    CHECK(error_for("{\"a\": 1 / 2}") == "config.json:1:9: expected ',' or '}'");
  }
}

TEST_CASE("relaxed JSON: the error carries its parts", "[config][relaxed_json]") {
  try {
    parse_relaxed_json("{\n\"a\" 1}", "x.json");
    FAIL("no exception");
  } catch (const ConfigError& e) {
    CHECK(e.source() == "x.json");
    CHECK(e.line() == 2);
    CHECK(e.column() == 5);
    CHECK(e.reason() == "expected ':'");
    CHECK(e.json_path().empty());
  }
}

TEST_CASE("relaxed JSON: JSONM syntax is left for the JSONM expander", "[config][relaxed_json]") {
  const std::string text = R"j({"a": "@", "b": "user@example.com", "c": "@name(%x%)", "d": "@ (x)",
                                "macros": {"m": {"type": "macroDef", "result": 1}}, "@g": 1})j";
  CHECK(parse_relaxed_json(text, "s") == nlohmann::json::parse(text));
}
