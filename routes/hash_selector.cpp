#include "routes/hash_selector.hpp"

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "config/json_path.hpp"
#include "routes/hash/furc_hash.hpp"
#include "routes/hash/rendezvous_hash.hpp"
#include "routes/hash/twemproxy/twemproxy_hash.hpp"
#include "routes/hash/weighted_ch3_hash.hpp"
#include "routes/route_factory.hpp"

namespace mcrelay {

HashSelector::HashSelector(std::unique_ptr<HashFunction> fn, std::string salt)
    : fn_(std::move(fn)), salt_(std::move(salt)), twemproxy_(dynamic_cast<const TwemproxyHash*>(fn_.get())) {}

std::uint32_t HashSelector::select_live(const Request& req, const std::vector<bool>& live) const {
  if (twemproxy_ == nullptr) return select(req);
  thread_local std::string buf;
  buf.assign(req.routing_key());
  buf.append(salt_);
  return twemproxy_->index_live(buf, live);
}

std::uint32_t HashSelector::select(const Request& req) const { return select_key(req.routing_key()); }

std::uint32_t HashSelector::select(const Request& req, unsigned attempt) const {
  return select_key(req.routing_key(), attempt);
}

std::uint32_t HashSelector::select_key(std::string_view key) const {
  if (salt_.empty()) return fn_->index(key);
  // The salted key is built in a per-thread buffer so the hot path does not allocate.
  thread_local std::string buf;
  buf.assign(key);
  buf.append(salt_);
  return fn_->index(buf);
}

std::uint32_t HashSelector::select_key(std::string_view key, unsigned attempt) const {
  thread_local std::string buf;
  buf.assign(key);
  buf.append(salt_);
  buf.push_back('#');
  buf.append(std::to_string(attempt));
  return fn_->index(buf);
}

}  // namespace mcrelay

namespace mcrelay {

namespace {

std::vector<std::string> read_tags(const RouteFactory& f, std::string_view func, const nlohmann::json& spec,
                                   const std::string& path, std::uint32_t n) {
  const std::string where = path + ".tags";
  auto it = spec.is_object() ? spec.find("tags") : spec.end();
  if (!spec.is_object() || it == spec.end()) {
    f.fail(path, fmt::format("hash function {} needs \"tags\": one string per server or child", func));
  }
  if (!it->is_array()) f.fail(where, fmt::format("expected a list of strings, got {}", config::describe_json(*it)));
  if (it->size() != n) {
    f.fail(where, fmt::format("{} tags for {} servers or children; {} needs one tag each", it->size(), n, func));
  }
  std::vector<std::string> tags;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& t = (*it)[i];
    if (!t.is_string()) {
      f.fail(config::json_path_index(where, i), fmt::format("expected a string, got {}", config::describe_json(t)));
    }
    tags.push_back(t.get<std::string>());
  }
  return tags;
}

}  // namespace

std::unique_ptr<HashFunction> make_tagged_hash_function(const RouteFactory& f, std::string_view func,
                                                        const nlohmann::json& spec, const std::string& path,
                                                        std::uint32_t n) {
  if (func == "Rendezvous") return std::make_unique<RendezvousHash>(read_tags(f, func, spec, path, n));
  if (func == "WeightedRendezvous") {
    auto tags = read_tags(f, func, spec, path, n);
    auto it = spec.find("weights");
    if (it == spec.end()) f.fail(path, "hash function WeightedRendezvous needs \"weights\": {\"<tag>\": weight, ...}");
    const std::string where = path + ".weights";
    if (!it->is_object()) {
      f.fail(where, fmt::format("expected an object {{\"<tag>\": weight, ...}}, got {}", config::describe_json(*it)));
    }
    std::vector<double> weights;
    for (const auto& tag : tags) {
      auto w = it->find(tag);
      if (w == it->end()) {
        weights.push_back(WeightedRendezvousHash::kMissingWeight);  // mcrouter logs and uses 0.5
        continue;
      }
      if (!w->is_number() || !(w->get<double>() >= 0)) {
        f.fail(config::json_path_key(where, tag),
               fmt::format("expected a non-negative number, got {}", config::describe_json(*w)));
      }
      weights.push_back(w->get<double>());
    }
    return std::make_unique<WeightedRendezvousHash>(tags, std::move(weights));
  }
  if (func == "WeightedCh3Rv") {
    auto it = spec.is_object() ? spec.find("weights_rv") : spec.end();
    if (!spec.is_object() || it == spec.end()) {
      f.fail(path, "hash function WeightedCh3Rv needs \"weights_rv\": the name of a runtime variable");
    }
    if (!it->is_string()) {
      f.fail(path + ".weights_rv", fmt::format("expected a string, got {}", config::describe_json(*it)));
    }
    if (n > kFurcMaxPoolSize) {
      f.fail(path, fmt::format("hash function WeightedCh3Rv: {} servers is more than the maximum pool size {}", n,
                               kFurcMaxPoolSize));
    }
    return std::make_unique<WeightedCh3Hash>(n, std::vector<double>(n, WeightedCh3Hash::kMissingWeight));
  }
  return nullptr;
}

}  // namespace mcrelay
