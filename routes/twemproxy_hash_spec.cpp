#include "routes/twemproxy_hash_spec.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/hash/twemproxy/twemproxy_hash.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

bool is_twemproxy_hash_spec(const std::string& func, const nlohmann::json& spec) {
  if (func == "Modula" || func == "Random") return true;
  return func == "Ketama" && spec.is_object() && spec.contains("twemproxy");
}

std::unique_ptr<HashFunction> make_twemproxy_hash(RouteFactory& f, const std::string& func,
                                                  const nlohmann::json& spec, const std::string& path,
                                                  std::uint32_t n, const std::vector<std::string>& server_ids) {
  TwemproxyHashSpec ts;
  ts.distribution = func == "Modula" ? NcDistribution::modula
                    : func == "Random" ? NcDistribution::random
                                       : NcDistribution::ketama;
  ts.server_ids = server_ids;
  ts.weights.assign(n, 1);
  static const nlohmann::json kEmpty = nlohmann::json::object();
  const nlohmann::json* tw = &kEmpty;
  const std::string at = path + ".twemproxy";
  if (spec.is_object()) {
    if (auto it = spec.find("twemproxy"); it != spec.end()) tw = &*it;
  }
  if (!tw->is_object()) f.fail(at, fmt::format("expected an object, got {}", config::describe_json(*tw)));
  for (const auto& [k, v] : tw->items()) {
    (void)v;
    if (k != "hash" && k != "hash_tag" && k != "weights" && k != "names") {
      f.fail(at, fmt::format("unknown key \"{}\" (expected hash, hash_tag, weights, names)", k));
    }
  }
  const std::string hash = f.get_string(*tw, "hash", at, "fnv1a_64");
  auto h = parse_nc_hash(hash);
  if (!h) f.fail(at + ".hash", fmt::format("unknown hash \"{}\"; expected one of {}", hash, nc_hash_names()));
  ts.hash = *h;
  ts.hash_tag = f.get_string(*tw, "hash_tag", at, "");
  if (auto it = tw->find("weights"); it != tw->end()) {
    if (!it->is_array() || it->size() != n) f.fail(at + ".weights", fmt::format("expected {} whole numbers >= 1", n));
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto& w = (*it)[i];
      if (!w.is_number_unsigned() || w.get<std::uint64_t>() < 1 || w.get<std::uint64_t>() > 1000000) {
        f.fail(fmt::format("{}.weights[{}]", at, i), "expected a whole number in [1, 1000000]");
      }
      ts.weights[i] = static_cast<std::uint32_t>(w.get<std::uint64_t>());
    }
  }
  if (auto it = tw->find("names"); it != tw->end()) {
    if (!it->is_array() || it->size() != n) f.fail(at + ".names", fmt::format("expected {} server names", n));
    ts.server_ids.clear();
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!(*it)[i].is_string() || (*it)[i].get_ref<const std::string&>().empty()) {
        f.fail(fmt::format("{}.names[{}]", at, i), "expected a non-empty string");
      }
      ts.server_ids.push_back((*it)[i].get<std::string>());
    }
  }
  if (ts.server_ids.size() != n) {
    if (ts.distribution == NcDistribution::ketama) f.fail(at + ".names", "ketama needs a name per child here");
    ts.server_ids.clear();
    for (std::uint32_t i = 0; i < n; ++i) ts.server_ids.push_back(std::to_string(i));
  }
  std::string error;
  auto fn = TwemproxyHash::create(std::move(ts), &error);
  if (!fn) f.fail(path, "twemproxy hash: " + error);
  return fn;
}

}  // namespace mcrelay
