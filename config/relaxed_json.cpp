#include "config/relaxed_json.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "config/config_error.hpp"

namespace mcrelay::config {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// nlohmann reports the last byte it read, which for a string or number token is its last byte; point at
// the token's first byte instead, where an operator looks for it.
std::size_t token_start(std::string_view text, std::size_t pos, std::string_view token) {
  if (pos >= text.size()) return pos;
  if (token == "string literal") {
    if (text[pos] != '"') return pos;
    for (std::size_t j = pos; j-- > 0;) {
      if (text[j] != '"') continue;
      std::size_t backslashes = 0;
      while (backslashes < j && text[j - 1 - backslashes] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return j;
    }
    return pos;
  }
  if (token.ends_with(" literal")) {  // number, true, false, null
    auto literal_char = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-';
    };
    while (pos > 0 && literal_char(text[pos - 1])) --pos;
  }
  return pos;
}

std::string describe_expected(std::string_view context, std::string_view expected) {
  if (expected == "'}'" && context == "object") return "expected ',' or '}'";
  if (expected == "']'" && context == "array") return "expected ',' or ']'";
  if (expected == "string literal") return "expected an object key (a string in double quotes)";
  if (expected == "'[', '{', or a literal") return "expected a value";
  if (expected == "end of input") return "expected end of input after the top-level value";
  return fmt::format("expected {}", expected);
}

struct CleanedError {
  std::string reason;
  std::string unexpected_token;  // nlohmann's name for the token it did not expect, if any
};

// Turns "[json.exception.parse_error.101] parse error at line 1, column 6: syntax error while parsing object
// separator - unexpected number literal; expected ':'" into "expected ':'".
CleanedError clean_parse_error(std::string_view what) {
  constexpr std::string_view kSyntax = "syntax error while parsing ";
  const auto syntax = what.find(kSyntax);
  if (syntax == std::string_view::npos) {
    const auto colon = what.find(": ");
    return {std::string(colon == std::string_view::npos ? what : what.substr(colon + 2)), {}};
  }
  std::string_view rest = what.substr(syntax + kSyntax.size());
  const auto dash = rest.find(" - ");
  const std::string_view context = dash == std::string_view::npos ? std::string_view{} : rest.substr(0, dash);
  std::string detail(dash == std::string_view::npos ? rest : rest.substr(dash + 3));

  // Drop "; last read: '...'" (the raw bytes; the position already says where).
  constexpr std::string_view kLastRead = "; last read: '";
  if (const auto lr = detail.find(kLastRead); lr != std::string::npos) {
    const auto tail = detail.find("'; expected ", lr + kLastRead.size());
    detail.erase(lr, tail == std::string::npos ? std::string::npos : tail + 1 - lr);
  }

  constexpr std::string_view kExpected = "; expected ";
  constexpr std::string_view kUnexpected = "unexpected ";
  if (detail.starts_with(kUnexpected)) {
    const auto semi = detail.find(kExpected);
    if (semi != std::string::npos) {
      std::string token = detail.substr(kUnexpected.size(), semi - kUnexpected.size());
      std::string expected = describe_expected(context, std::string_view(detail).substr(semi + kExpected.size()));
      if (token == "end of input") return {"unexpected end of input; " + expected, token};
      return {expected, token};
    }
    return {detail, {}};
  }
  if (detail.starts_with("invalid literal")) {
    const auto semi = detail.find(kExpected);
    if (semi != std::string::npos) {
      return {describe_expected(context, std::string_view(detail).substr(semi + kExpected.size())), {}};
    }
    return {"invalid literal (not a number, a \"string\", true, false or null)", {}};
  }
  if (detail.starts_with("invalid number; ")) return {"invalid number: " + detail.substr(16), {}};
  return {detail, {}};
}

}  // namespace

TextPosition text_position(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  TextPosition pos;
  for (std::size_t i = 0; i < offset; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
      ++pos.column;
    }
  }
  return pos;
}

std::string blank_json_extensions(std::string_view text, const std::string& source) {
  constexpr std::size_t npos = std::string::npos;
  std::string out(text);
  enum class State { normal, string, line_comment, block_comment } state = State::normal;
  std::size_t last_significant = npos;  // last byte of JSON text outside comments and whitespace
  std::size_t comma = npos;             // the most recent structural comma
  char before_comma = 0;                // the significant byte before it
  std::size_t comment_start = 0;
  const std::size_t n = text.size();

  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    switch (state) {
      case State::normal:
        if (c == '"') {
          state = State::string;
          last_significant = i;
        } else if (c == '/' && i + 1 < n && (text[i + 1] == '/' || text[i + 1] == '*')) {
          state = text[i + 1] == '/' ? State::line_comment : State::block_comment;
          comment_start = i;
          out[i] = out[i + 1] = ' ';
          ++i;
        } else if (c == ',') {
          before_comma = last_significant == npos ? 0 : text[last_significant];
          comma = last_significant = i;
        } else if (c == ']' || c == '}') {
          // A trailing comma: the comma directly follows a value (not "[,", "{," or ",,") and precedes
          // the closing bracket.
          if (comma != npos && last_significant == comma && before_comma != 0 && before_comma != '[' &&
              before_comma != '{' && before_comma != ',') {
            out[comma] = ' ';
          }
          last_significant = i;
        } else if (!is_space(c)) {
          last_significant = i;
        }
        break;
      case State::string:
        if (c == '\\') {
          ++i;  // the escaped byte cannot end the string
        } else if (c == '"') {
          state = State::normal;
          last_significant = i;
        }
        break;
      case State::line_comment:
        if (c == '\n') {
          state = State::normal;
        } else if (c != '\r') {
          out[i] = ' ';
        }
        break;
      case State::block_comment:
        if (c == '*' && i + 1 < n && text[i + 1] == '/') {
          out[i] = out[i + 1] = ' ';
          ++i;
          state = State::normal;
        } else if (c != '\n' && c != '\r') {
          out[i] = ' ';
        }
        break;
    }
  }
  if (state == State::block_comment) {
    const auto pos = text_position(text, comment_start);
    throw ConfigError::at_position(source, pos.line, pos.column, "unterminated /* comment");
  }
  return out;
}

nlohmann::json parse_relaxed_json(std::string_view text, const std::string& source) {
  const std::string cleaned = blank_json_extensions(text, source);
  if (std::all_of(cleaned.begin(), cleaned.end(), is_space)) {
    throw ConfigError::at_position(source, 1, 1, "the config is empty (expected a JSON object)");
  }
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(cleaned);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts the bytes read, so the last byte read (where the error is) is e.byte - 1.
    std::size_t offset = e.byte == 0 ? 0 : e.byte - 1;
    const CleanedError cleaned_error = clean_parse_error(e.what());
    offset = token_start(cleaned, offset, cleaned_error.unexpected_token);
    const auto pos = text_position(text, offset);
    throw ConfigError::at_position(source, pos.line, pos.column, cleaned_error.reason);
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range 406: a number too large for a double
    const std::string_view what = e.what();
    const auto bracket = what.find("] ");
    throw ConfigError::at_path(source, "", bracket == std::string_view::npos ? what : what.substr(bracket + 2));
  }
  return root;
}

}  // namespace mcrelay::config
