// JSONM's function-style built-ins ("@int(5)", {"type": "merge", "params": [...]}): what mcrouter's
// ConfigPreprocessor registers as macros, with the same parameter names, so both call forms work.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/jsonm_engine.hpp"
#include "config/jsonm_hash.hpp"

namespace mcrelay::config::jsonm {

namespace {

Param required(std::string name) { return Param{std::move(name), json(), false, false}; }
Param optional(std::string name) { return Param{std::move(name), json(), false, true}; }

// mcrouter (folly::dynamic) orders values of different types by type: null, list, boolean, number, string.
int type_rank(const json& v) {
  if (v.is_null()) return 0;
  if (v.is_array()) return 1;
  if (v.is_boolean()) return 2;
  if (v.is_number()) return 3;
  return 5;  // string (objects are refused before)
}

int compare(const json& a, const json& b, const Call& c) {
  if (a.is_object() || b.is_object()) c.fail("objects cannot be compared");
  const int ra = type_rank(a);
  const int rb = type_rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (a.is_boolean()) return static_cast<int>(a.get<bool>()) - static_cast<int>(b.get<bool>());
  if (a.is_number()) {
    const auto ia = as_int(a);
    const auto ib = as_int(b);
    if (ia && ib) return *ia < *ib ? -1 : (*ia > *ib ? 1 : 0);
    const double da = a.get<double>();
    const double db = b.get<double>();
    return da < db ? -1 : (da > db ? 1 : 0);
  }
  if (a.is_string()) {
    const int r = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return r < 0 ? -1 : (r > 0 ? 1 : 0);
  }
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (const int r = compare(a[i], b[i], c); r != 0) return r;
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  }
  return 0;  // null
}

json import_(Call& c) { return c.engine.import(c.string_arg("path"), c.path); }

// folly::Hash of the int64 or the string, as a signed 64-bit integer (mcrouter stores the size_t in a dynamic).
json hash_(Call& c) {
  const json& v = c.at("value");
  std::uint64_t h = 0;
  if (const auto i = as_int(v)) {
    h = twang_mix64(static_cast<std::uint64_t>(*i));
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() >= kSpookyShortLimit) {
      c.fail(fmt::format("strings of {} bytes or more are not supported (got {} bytes)", kSpookyShortLimit, s.size()));
    }
    h = spooky_v2_hash64(s);
  } else {
    c.fail(fmt::format("value must be an integer or a string, got {}", describe_json(v)));
  }
  return static_cast<std::int64_t>(h);
}

json int_(Call& c) {
  const json& v = c.at("value");
  if (auto i = as_int(v)) return *i;
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18) return static_cast<std::int64_t>(d);
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    std::int64_t out = 0;
    const char* begin = s.data() + (s.starts_with('+') ? 1 : 0);
    const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), out);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return out;
  }
  c.fail(fmt::format("cannot convert {} to an integer", describe_json(v)));
}

json str_(Call& c) {
  const json& v = c.at("value");
  if (v.is_string()) return v;
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  if (v.is_number()) return v.dump();
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";  // as folly::to<std::string>(bool)
  c.fail(fmt::format("cannot convert {} to a string", kind(v)));
}

json bool_(Call& c) {
  const json& v = c.at("value");
  if (v.is_boolean()) return v;
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
    for (const char* t : {"true", "1", "yes", "on", "y", "t"}) {
      if (s == t) return true;
    }
    for (const char* f : {"false", "0", "no", "off", "n", "f"}) {
      if (s == f) return false;
    }
  }
  c.fail(fmt::format("cannot convert {} to a boolean", describe_json(v)));
}

const json& object_arg(Call& c, std::string_view name) {
  const json& v = c.at(name);
  if (!v.is_object()) c.fail(fmt::format("{} must be an object, got {}", name, describe_json(v)));
  return v;
}

json keys_(Call& c) {
  json out = json::array();
  for (const auto& [key, _] : object_arg(c, "dictionary").items()) out.push_back(key);
  return out;
}

json values_(Call& c) {
  json out = json::array();
  for (const auto& value : object_arg(c, "dictionary")) out.push_back(value);
  return out;
}

json merge_(Call& c) {
  json& params = c.at("params");
  if (!params.is_array() || params.empty()) {
    c.fail(fmt::format("params must be a non-empty list, got {}", describe_json(params)));
  }
  json out = std::move(params[0]);
  if (!out.is_array() && !out.is_object() && !out.is_string()) {
    c.fail(fmt::format("params[0] must be a list, an object or a string, got {}", describe_json(out)));
  }
  for (std::size_t i = 1; i < params.size(); ++i) {
    json& p = params[i];
    if (p.type() != out.type()) c.fail(fmt::format("params[{}] is {}, expected {} as params[0]", i, kind(p), kind(out)));
    if (out.is_array()) {
      for (auto& item : p) out.push_back(std::move(item));
    } else if (out.is_object()) {
      for (auto& [key, value] : p.items()) out[key] = std::move(value);
    } else {
      out.get_ref<std::string&>() += p.get_ref<const std::string&>();
    }
    c.engine.charge(1 + (out.is_string() ? out.get_ref<const std::string&>().size() / 16 : out.size()), c.path);
  }
  return out;
}

json select_(Call& c) {
  json dictionary = c.expand_raw("dictionary");
  const json key = c.expand_raw("key");
  if (dictionary.is_object()) {
    if (!key.is_string()) c.fail(fmt::format("the dictionary is an object, so key must be a string, got {}", describe_json(key)));
    if (auto it = dictionary.find(key.get_ref<const std::string&>()); it != dictionary.end()) return std::move(*it);
    if (c.has_raw("default")) return c.expand_raw("default");
    c.fail(fmt::format("key {} not found and no default given", describe_json(key)));
  }
  if (dictionary.is_array()) {
    const auto index = as_int(key);
    if (!index) c.fail(fmt::format("the dictionary is a list, so key must be an integer, got {}", describe_json(key)));
    const auto size = static_cast<std::int64_t>(dictionary.size());
    const std::int64_t i = *index < 0 ? *index + size : *index;  // -1 is the last item
    if (i >= 0 && i < size) return std::move(dictionary[static_cast<std::size_t>(i)]);
    if (c.has_raw("default")) return c.expand_raw("default");
    c.fail(fmt::format("index {} is out of range [0, {}) and no default given", *index, size));
  }
  c.fail(fmt::format("dictionary must be a list or an object, got {}", describe_json(dictionary)));
}

json shuffle_(Call& c) {
  json& dictionary = c.at("dictionary");
  if (!dictionary.is_array() && !dictionary.is_object()) {
    c.fail(fmt::format("dictionary must be a list or an object, got {}", describe_json(dictionary)));
  }
  // Objects keep their (sorted) order: there is nothing to shuffle in a map.
  if (dictionary.is_array()) std::shuffle(dictionary.begin(), dictionary.end(), c.engine.random());
  return std::move(dictionary);
}

json slice_(Call& c) {
  json& dictionary = c.at("dictionary");
  const json& from = c.at("from");
  const json& to = c.at("to");
  if (dictionary.is_object()) {
    if (!from.is_string() || !to.is_string()) c.fail("for an object, from and to must be strings (keys)");
    json out = json::object();
    for (auto& [key, value] : dictionary.items()) {
      if (from.get_ref<const std::string&>() <= key && key <= to.get_ref<const std::string&>()) {
        out[key] = std::move(value);
      }
    }
    return out;
  }
  if (!dictionary.is_array() && !dictionary.is_string()) {
    c.fail(fmt::format("dictionary must be a list, an object or a string, got {}", describe_json(dictionary)));
  }
  const std::int64_t f = c.int_arg("from");
  const std::int64_t t = c.int_arg("to");
  const std::size_t size = dictionary.is_string() ? dictionary.get_ref<const std::string&>().size() : dictionary.size();
  // Both ends are inclusive and clamped to the dictionary.
  const std::size_t begin = f < 0 ? 0 : std::min<std::uint64_t>(static_cast<std::uint64_t>(f), size);
  const std::size_t end = t < 0 ? 0 : std::min<std::uint64_t>(static_cast<std::uint64_t>(t) + 1, size);
  if (dictionary.is_string()) {
    const std::string& s = dictionary.get_ref<const std::string&>();
    return begin < end ? s.substr(begin, end - begin) : std::string();
  }
  json out = json::array();
  for (std::size_t i = begin; i < end; ++i) out.push_back(std::move(dictionary[i]));
  return out;
}

json split_(Call& c) {
  const std::string& s = c.string_arg("dictionary");
  const std::string& delim = c.string_arg("delim");
  json out = json::array();
  if (delim.empty()) {
    out.push_back(s);
    return out;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(delim, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    c.engine.charge(1, c.path);
    if (at == std::string::npos) break;
    start = at + delim.size();
  }
  return out;
}

json range_(Call& c) {
  const std::int64_t from = c.int_arg("from");
  const std::int64_t to = c.int_arg("to");
  json out = json::array();
  if (from > to) return out;
  const auto count = static_cast<std::uint64_t>(to) - static_cast<std::uint64_t>(from) + 1;
  c.engine.charge(count > kJsonmBudget ? kJsonmBudget + 1 : static_cast<std::size_t>(count), c.path);
  for (std::int64_t i = from;; ++i) {
    out.push_back(i);
    if (i == to) break;
  }
  return out;
}

json contains_(Call& c) {
  const json& dictionary = c.at("dictionary");
  const json& key = c.at("key");
  if (dictionary.is_array()) return std::find(dictionary.begin(), dictionary.end(), key) != dictionary.end();
  if (!dictionary.is_object() && !dictionary.is_string()) {
    c.fail(fmt::format("dictionary must be a list, an object or a string, got {}", describe_json(dictionary)));
  }
  if (!key.is_string()) c.fail(fmt::format("key must be a string, got {}", describe_json(key)));
  const std::string& k = key.get_ref<const std::string&>();
  if (dictionary.is_object()) return dictionary.contains(k);
  return dictionary.get_ref<const std::string&>().find(k) != std::string::npos;
}

std::size_t size_of(Call& c) {
  const json& d = c.at("dictionary");
  if (d.is_string()) return d.get_ref<const std::string&>().size();
  if (!d.is_array() && !d.is_object()) {
    c.fail(fmt::format("dictionary must be a list, an object or a string, got {}", describe_json(d)));
  }
  return d.size();
}

json empty_(Call& c) { return size_of(c) == 0; }
json size_(Call& c) { return size_of(c); }
json equals_(Call& c) { return c.at("A") == c.at("B"); }
json is_array_(Call& c) { return c.at("value").is_array(); }
json is_bool_(Call& c) { return c.at("value").is_boolean(); }
json is_int_(Call& c) { return c.at("value").is_number_integer(); }
json is_object_(Call& c) { return c.at("value").is_object(); }
json is_string_(Call& c) { return c.at("value").is_string(); }
json less_(Call& c) { return compare(c.at("A"), c.at("B"), c) < 0; }
json and_(Call& c) { return c.bool_arg("A") && c.bool_arg("B"); }
json or_(Call& c) { return c.bool_arg("A") || c.bool_arg("B"); }
json not_(Call& c) { return !c.bool_arg("A"); }

json add_(Call& c) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(c.int_arg("A"), c.int_arg("B"), &out)) c.fail("the sum overflows a 64-bit integer");
  return out;
}

json sub_(Call& c) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(c.int_arg("A"), c.int_arg("B"), &out)) c.fail("the difference overflows a 64-bit integer");
  return out;
}

json mul_(Call& c) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(c.int_arg("A"), c.int_arg("B"), &out)) c.fail("the product overflows a 64-bit integer");
  return out;
}

std::pair<std::int64_t, std::int64_t> division(Call& c) {
  const std::int64_t a = c.int_arg("A");
  const std::int64_t b = c.int_arg("B");
  if (b == 0) c.fail("division by zero");
  if (a == std::numeric_limits<std::int64_t>::min() && b == -1) c.fail("the quotient overflows a 64-bit integer");
  return {a, b};
}

json div_(Call& c) {
  const auto [a, b] = division(c);
  return a / b;
}

json mod_(Call& c) {
  const auto [a, b] = division(c);
  return a % b;
}

json fail_(Call& c) { c.fail(c.string_arg("msg")); }

json sort_(Call& c) {
  json& dictionary = c.at("dictionary");
  if (!dictionary.is_array()) c.fail(fmt::format("dictionary must be a list, got {}", describe_json(dictionary)));
  std::stable_sort(dictionary.begin(), dictionary.end(),
                   [&c](const json& a, const json& b) { return compare(a, b, c) < 0; });
  return std::move(dictionary);
}

json set_(Call& c) {
  json& dictionary = c.at("dictionary");
  const json& key = c.at("key");
  json& value = c.at("value");
  if (dictionary.is_object()) {
    if (!key.is_string()) c.fail(fmt::format("the dictionary is an object, so key must be a string, got {}", describe_json(key)));
    dictionary[key.get<std::string>()] = std::move(value);
  } else if (dictionary.is_array()) {
    const auto i = as_int(key);
    if (!i) c.fail(fmt::format("the dictionary is a list, so key must be an integer, got {}", describe_json(key)));
    if (*i < 0 || static_cast<std::uint64_t>(*i) >= dictionary.size()) {
      c.fail(fmt::format("index {} is out of range [0, {})", *i, dictionary.size()));
    }
    dictionary[static_cast<std::size_t>(*i)] = std::move(value);
  } else {
    c.fail(fmt::format("dictionary must be a list or an object, got {}", describe_json(dictionary)));
  }
  return std::move(dictionary);
}

json if_(Call& c) {
  const json condition = c.expand_raw("condition");
  if (!condition.is_boolean()) c.fail(fmt::format("condition must be true or false, got {}", describe_json(condition)));
  return c.expand_raw(condition.get<bool>() ? "is_true" : "is_false");
}

}  // namespace

void register_builtins(Engine& e) {
  e.add_builtin("import", {required("path")}, import_);
  e.add_builtin("hash", {required("value")}, hash_);
  e.add_builtin("int", {required("value")}, int_);
  e.add_builtin("str", {required("value")}, str_);
  e.add_builtin("bool", {required("value")}, bool_);
  e.add_builtin("keys", {required("dictionary")}, keys_);
  e.add_builtin("values", {required("dictionary")}, values_);
  e.add_builtin("merge", {required("params")}, merge_);
  e.add_builtin("select", {required("dictionary"), required("key"), optional("default")}, select_, true);
  e.add_builtin("shuffle", {required("dictionary")}, shuffle_);
  e.add_builtin("slice", {required("dictionary"), required("from"), required("to")}, slice_);
  e.add_builtin("split", {required("dictionary"), required("delim")}, split_);
  e.add_builtin("range", {required("from"), required("to")}, range_);
  e.add_builtin("contains", {required("dictionary"), required("key")}, contains_);
  e.add_builtin("empty", {required("dictionary")}, empty_);
  e.add_builtin("equals", {required("A"), required("B")}, equals_);
  e.add_builtin("isArray", {required("value")}, is_array_);
  e.add_builtin("isBool", {required("value")}, is_bool_);
  e.add_builtin("isInt", {required("value")}, is_int_);
  e.add_builtin("isObject", {required("value")}, is_object_);
  e.add_builtin("isString", {required("value")}, is_string_);
  e.add_builtin("less", {required("A"), required("B")}, less_);
  e.add_builtin("and", {required("A"), required("B")}, and_);
  e.add_builtin("or", {required("A"), required("B")}, or_);
  e.add_builtin("not", {required("A")}, not_);
  e.add_builtin("size", {required("dictionary")}, size_);
  e.add_builtin("add", {required("A"), required("B")}, add_);
  e.add_builtin("sub", {required("A"), required("B")}, sub_);
  e.add_builtin("mul", {required("A"), required("B")}, mul_);
  e.add_builtin("div", {required("A"), required("B")}, div_);
  e.add_builtin("mod", {required("A"), required("B")}, mod_);
  e.add_builtin("fail", {required("msg")}, fail_);
  e.add_builtin("sort", {required("dictionary")}, sort_);
  e.add_builtin("set", {required("dictionary"), required("key"), required("value")}, set_);
  e.add_builtin("if", {required("condition"), required("is_true"), required("is_false")}, if_, true);
}

}  // namespace mcrelay::config::jsonm
