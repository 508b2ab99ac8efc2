#include "config/twemproxy_config.hpp"

#include <sys/un.h>
#include <yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "config/config_error.hpp"

namespace mcrelay::config {
namespace {

constexpr std::array<std::string_view, 12> kHashes = {"one_at_a_time", "md5",      "crc16",   "crc32",
                                                      "crc32a",        "fnv1_64",  "fnv1a_64", "fnv1_32",
                                                      "fnv1a_32",      "hsieh",    "murmur",  "jenkins"};
constexpr std::array<std::string_view, 17> kOptions = {
    "listen",  "hash",          "hash_tag",          "distribution",        "timeout",
    "backlog", "client_connections", "redis",        "redis_auth",          "redis_db",
    "preconnect", "auto_eject_hosts", "server_connections", "server_retry_timeout", "server_failure_limit",
    "servers", "tcpkeepalive"};

std::string joined(const auto& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// The libyaml document, freed on every path.
struct Document {
  yaml_parser_t parser{};
  yaml_document_t doc{};
  bool loaded = false;
  Document() { yaml_parser_initialize(&parser); }
  ~Document() {
    if (loaded) yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
  }
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
};

class Translator {
 public:
  Translator(const std::string& source, Document& d) : source_(source), d_(d) {}

  TwemproxyTranslation run() {
    yaml_node_t* root = yaml_document_get_root_node(&d_.doc);
    if (root == nullptr) throw ConfigError(fmt::format("{}: the twemproxy config has no pools", source_));
    if (root->type != YAML_MAPPING_NODE) {
      throw fail(root, "expected a mapping of pool names to pools (a twemproxy config)");
    }
    TwemproxyTranslation out;
    out.root = {{"pools", nlohmann::json::object()}, {"routes", nlohmann::json::array()}};
    std::map<std::string, std::size_t> listens;  // address -> line, to refuse duplicates as twemproxy does
    for (auto* p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; ++p) {
      yaml_node_t* key = node(p->key);
      yaml_node_t* value = node(p->value);
      const std::string name = scalar(key, "a pool name");
      if (out.root["pools"].contains(name)) throw fail(key, fmt::format("pool \"{}\" is a duplicate", name));
      if (name.empty() || std::any_of(name.begin(), name.end(), [](unsigned char c) { return c <= ' ' || c == '/'; })) {
        throw fail(key, fmt::format("pool name \"{}\": mcrelay needs pool names without '/', spaces or control "
                                    "characters (each pool is also reached by the routing prefix /NAME/twemproxy/)",
                                    name));
      }
      pool(name, value, out);
      const auto& l = out.listens.back();
      if (auto [it, inserted] = listens.emplace(l.address, l.line); !inserted) {
        throw ConfigError::at_position(source_, l.line, 1,
                                       fmt::format("pool \"{}\": listen: {} is also the listen address of another "
                                                   "pool (line {})",
                                                   name, l.address, it->second));
      }
    }
    return out;
  }

 private:
  yaml_node_t* node(int index) { return yaml_document_get_node(&d_.doc, index); }

  ConfigError fail(const yaml_node_t* n, std::string_view reason) const {
    return ConfigError::at_position(source_, n->start_mark.line + 1, n->start_mark.column + 1, reason);
  }

  std::string scalar(const yaml_node_t* n, std::string_view what) const {
    if (n->type != YAML_SCALAR_NODE) throw fail(n, fmt::format("expected {}", what));
    return std::string(reinterpret_cast<const char*>(n->data.scalar.value), n->data.scalar.length);
  }

  // twemproxy's nc_atoi: decimal digits only.
  static std::optional<std::uint64_t> number(std::string_view s) {
    std::uint64_t v = 0;
    if (s.empty() || s.size() > 10) return std::nullopt;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
  }

  void pool(const std::string& name, yaml_node_t* body, TwemproxyTranslation& out) {
    if (body->type != YAML_MAPPING_NODE) throw fail(body, fmt::format("pool \"{}\": expected a mapping of options", name));
    const auto where = [&](std::string_view option) { return fmt::format("pool \"{}\": {}", name, option); };
    std::map<std::string, yaml_node_t*> opts;
    for (auto* p = body->data.mapping.pairs.start; p < body->data.mapping.pairs.top; ++p) {
      yaml_node_t* k = node(p->key);
      const std::string option = scalar(k, "an option name");
      if (std::find(kOptions.begin(), kOptions.end(), option) == kOptions.end()) {
        throw fail(k, fmt::format("{}: unknown option; twemproxy's are {}", where(option), joined(kOptions)));
      }
      if (option == "redis_auth" || option == "redis_db") {
        throw fail(k, fmt::format("{}: a Redis option; mcrelay serves memcached pools only", where(option)));
      }
      if (!opts.emplace(option, node(p->value)).second) throw fail(k, fmt::format("{}: is a duplicate", where(option)));
    }
    auto text = [&](const char* option) -> std::optional<std::string> {
      auto it = opts.find(option);
      if (it == opts.end()) return std::nullopt;
      return scalar(it->second, fmt::format("a value for {}", where(option)));
    };
    auto num = [&](const char* option) -> std::optional<std::uint64_t> {
      auto v = text(option);
      if (!v) return std::nullopt;
      auto n = number(*v);
      if (!n) throw fail(opts[option], fmt::format("{}: \"{}\" is not a number", where(option), *v));
      return n;
    };
    auto boolean = [&](const char* option) -> std::optional<bool> {
      auto v = text(option);
      if (!v) return std::nullopt;
      if (*v != "true" && *v != "false") {
        throw fail(opts[option], fmt::format("{}: \"{}\" is not \"true\" or \"false\"", where(option), *v));
      }
      return *v == "true";
    };

    if (boolean("redis").value_or(false)) {
      throw fail(opts["redis"], fmt::format("{}: true: a Redis pool; mcrelay serves memcached pools only",
                                            where("redis")));
    }
    auto listen = text("listen");
    if (!listen) throw fail(body, fmt::format("pool \"{}\": directive \"listen:\" is missing", name));
    TwemproxyListen l{name, *listen, opts["listen"]->start_mark.line + 1, {}, std::nullopt};
    check_listen(*listen, opts["listen"], where("listen"), l);
    out.listens.push_back(std::move(l));

    const std::string hash = text("hash").value_or("fnv1a_64");
    if (std::find(kHashes.begin(), kHashes.end(), hash) == kHashes.end()) {
      throw fail(opts["hash"], fmt::format("{}: \"{}\" is not a valid hash; expected one of {}", where("hash"), hash,
                                           joined(kHashes)));
    }
    const std::string dist = text("distribution").value_or("ketama");
    if (dist != "ketama" && dist != "modula" && dist != "random") {
      throw fail(opts["distribution"], fmt::format("{}: \"{}\" is not a valid distribution; expected ketama, "
                                                   "modula or random",
                                                   where("distribution"), dist));
    }
    auto tag = text("hash_tag");
    if (tag && tag->size() != 2) {
      throw fail(opts["hash_tag"], fmt::format("{}: \"{}\" is not a valid hash tag string with two characters",
                                               where("hash_tag"), *tag));
    }
    auto timeout = num("timeout");
    auto eject = boolean("auto_eject_hosts");
    // Accepted and checked like twemproxy does; what each means in mcrelay is in docs/configuration.md.
    num("backlog");
    num("client_connections");
    boolean("preconnect");
    boolean("tcpkeepalive");
    auto retry = num("server_retry_timeout");
    auto failure_limit = num("server_failure_limit");
    if (auto sc = num("server_connections"); sc && *sc == 0) {
      throw fail(opts["server_connections"], fmt::format("{}: cannot be 0", where("server_connections")));
    }

    auto servers_it = opts.find("servers");
    if (servers_it == opts.end()) throw fail(body, fmt::format("pool \"{}\": directive \"servers:\" is missing", name));
    yaml_node_t* list = servers_it->second;
    if (list->type != YAML_SEQUENCE_NODE || list->data.sequence.items.start == list->data.sequence.items.top) {
      throw fail(list, fmt::format("{}: expected a non-empty list of \"host:port:weight [name]\"", where("servers")));
    }
    nlohmann::json addresses = nlohmann::json::array();
    nlohmann::json weights = nlohmann::json::array();
    nlohmann::json names = nlohmann::json::array();
    std::set<std::string> seen_names;
    for (auto* item = list->data.sequence.items.start; item < list->data.sequence.items.top; ++item) {
      yaml_node_t* s = node(*item);
      const std::string entry = scalar(s, fmt::format("a server for {}", where("servers")));
      server(entry, s, where("servers"), addresses, weights, names);
      if (!seen_names.insert(names.back().get<std::string>()).second) {
        throw fail(s, fmt::format("{}: two servers have the same name \"{}\"", where("servers"),
                                  names.back().get<std::string>()));
      }
    }

    nlohmann::json pool_json = {{"servers", addresses}};
    if (timeout && *timeout > 0) pool_json["server_timeout"] = *timeout;
    if (eject.value_or(false)) {
      // twemproxy ejects a server after server_failure_limit consecutive failures (default 2) and tries it
      // again after server_retry_timeout ms (default 30000); read by the workers' health tracking.
      pool_json["eject_down_servers"] = true;
      pool_json["server_failure_limit"] = failure_limit.value_or(2);
      pool_json["server_retry_timeout"] = retry.value_or(30000);
    }
    out.root["pools"][name] = pool_json;

    nlohmann::json tw = {{"hash", hash}, {"weights", weights}, {"names", names}};
    if (tag) tw["hash_tag"] = *tag;
    std::string func = dist == "ketama" ? "Ketama" : dist == "modula" ? "Modula" : "Random";
    out.root["routes"].push_back(
        {{"aliases", {twemproxy_pool_prefix(name)}},
         {"route", {{"type", "PoolRoute"}, {"pool", name}, {"hash", {{"hash_func", func}, {"twemproxy", tw}}}}}});
  }

  void check_listen(const std::string& value, const yaml_node_t* n, const std::string& where,
                    TwemproxyListen& l) const {
    if (!value.empty() && value[0] == '/') {
      // "socket_path [permissions]", split at the last space as nutcracker does; the permissions are octal.
      l.unix_path = value;
      if (auto sp = value.rfind(' '); sp != std::string::npos) {
        l.unix_path = value.substr(0, sp);
        const std::string perm = value.substr(sp + 1);
        unsigned mode = 0;
        auto [ptr, ec] = std::from_chars(perm.data(), perm.data() + perm.size(), mode, 8);
        if (perm.empty() || ec != std::errc() || ptr != perm.data() + perm.size() || mode > 0777) {
          throw fail(n, fmt::format("{}: \"{}\" has an invalid file permission in \"socket_path permission\" format "
                                    "string (expected octal, at most 0777, e.g. \"/var/run/nutcracker.sock 0666\")",
                                    where, value));
        }
        l.unix_mode = mode;
      }
      if (l.unix_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
        throw fail(n, fmt::format("{}: the Unix socket path \"{}\" is longer than {} bytes", where, l.unix_path,
                                  sizeof(sockaddr_un{}.sun_path) - 1));
      }
      return;
    }
    auto colon = value.rfind(':');
    auto port = colon == std::string::npos ? std::nullopt : number(std::string_view(value).substr(colon + 1));
    if (colon == std::string::npos || colon == 0 || !port || *port == 0 || *port > 65535) {
      throw fail(n, fmt::format("{}: \"{}\" has an invalid \"hostname:port\" format string", where, value));
    }
  }

  // "host:port:weight [name]", parsed from the end as twemproxy does.
  void server(const std::string& entry, const yaml_node_t* n, const std::string& where, nlohmann::json& addresses,
              nlohmann::json& weights, nlohmann::json& names) const {
    const auto bad = [&](std::string_view why) {
      return fail(n, fmt::format("{}: \"{}\": {} (expected \"hostname:port:weight [name]\")", where, entry, why));
    };
    std::string_view rest = entry;
    std::string name;
    if (auto sp = rest.rfind(' '); sp != std::string_view::npos) {
      name = std::string(rest.substr(sp + 1));
      rest = rest.substr(0, sp);
      if (name.empty()) throw bad("an empty name");
    }
    if (!rest.empty() && rest[0] == '/') {
      unix_server(rest, name, bad, addresses, weights, names);
      return;
    }
    auto c2 = rest.rfind(':');
    if (c2 == std::string_view::npos) throw bad("no weight");
    auto weight = number(rest.substr(c2 + 1));
    if (!weight) throw bad("the weight is not a number");
    if (*weight == 0 || *weight > 1000000) throw bad("the weight must be in [1, 1000000]");
    auto hostport = rest.substr(0, c2);
    auto c1 = hostport.rfind(':');
    if (c1 == std::string_view::npos || c1 == 0) throw bad("no port");
    auto port = number(hostport.substr(c1 + 1));
    if (!port || *port == 0 || *port > 65535) throw bad("an invalid port");
    const std::string host(hostport.substr(0, c1));
    addresses.push_back(std::string(hostport));
    weights.push_back(*weight);
    // twemproxy's ketama id: the name, else "host:port", or just "host" on 11211 (libmemcached compatible).
    if (name.empty()) name = *port == 11211 ? host : std::string(hostport);
    names.push_back(name);
  }

  // "/path/unix_socket:weight [name]" (the name already split off), served as the "unix:/path" server.
  template <class Bad>
  void unix_server(std::string_view rest, std::string name, const Bad& bad,
                   nlohmann::json& addresses, nlohmann::json& weights, nlohmann::json& names) const {
    auto c = rest.rfind(':');
    if (c == std::string_view::npos) throw bad("no weight");
    auto weight = number(rest.substr(c + 1));
    if (!weight) throw bad("the weight is not a number");
    if (*weight == 0 || *weight > 1000000) throw bad("the weight must be in [1, 1000000]");
    const std::string path(rest.substr(0, c));
    // nutcracker refuses a ':' in the path too (it would read the text before it as host:port).
    if (path.find(':') != std::string::npos) throw bad("a Unix socket path cannot contain ':'");
    if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      throw bad(fmt::format("the Unix socket path is longer than {} bytes", sizeof(sockaddr_un{}.sun_path) - 1));
    }
    addresses.push_back("unix:" + path);
    weights.push_back(*weight);
    // nutcracker's default ketama id for a socket server is the path followed by ':' (it appends ":port"
    // with an empty port); checked against nutcracker in tests/integration/test_twemproxy_unix.py.
    if (name.empty()) name = path + ":";
    names.push_back(name);
  }

  const std::string& source_;
  Document& d_;
};

}  // namespace

bool is_twemproxy_yaml(std::string_view source, std::string_view text) {
  if (source.ends_with(".yml") || source.ends_with(".yaml")) return true;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    if (line.substr(first).starts_with("---")) continue;
    const unsigned char c = static_cast<unsigned char>(line[first]);
    // JSON (and mcrouter's relaxed JSON, which allows // and /* comments) starts with '{' or '/'.
    return (std::isalnum(c) != 0 || c == '_' || c == '"' || c == '\'') && line.find(':') != std::string_view::npos &&
           line[first] != '{';
  }
  return false;
}

std::string twemproxy_pool_prefix(std::string_view pool) { return fmt::format("/{}/twemproxy/", pool); }

TwemproxyTranslation translate_twemproxy_yaml(std::string_view text, const std::string& source) {
  Document d;
  yaml_parser_set_input_string(&d.parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  if (yaml_parser_load(&d.parser, &d.doc) == 0) {
    const auto& m = d.parser.problem_mark;
    std::string reason = d.parser.problem != nullptr ? d.parser.problem : "invalid YAML";
    if (d.parser.context != nullptr) reason = fmt::format("{} {}", d.parser.context, reason);
    throw ConfigError::at_position(source, m.line + 1, m.column + 1, "YAML: " + reason);
  }
  d.loaded = true;
  return Translator(source, d).run();
}

}  // namespace mcrelay::config
