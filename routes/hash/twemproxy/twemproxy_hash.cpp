#include "routes/hash/twemproxy/twemproxy_hash.hpp"

#include <algorithm>
#include <random>

#include "routes/hash/ketama_hash.hpp"

namespace mcrelay {

struct TwemproxyHash::Table {
  std::vector<KetamaPoint> points;  // ketama: sorted continuum, index = server index in the whole pool
  std::vector<std::uint32_t> slots; // modula: `weight` slots per live server; random: one per live server
};

namespace {

void set_error(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

// The table over the servers whose live bit is set (all of them when `live` is empty).
std::shared_ptr<const TwemproxyHash::Table> build_table(const TwemproxyHashSpec& spec, const std::vector<bool>& live,
                                                        std::string* error) {
  auto t = std::make_shared<TwemproxyHash::Table>();
  // twemproxy sorts a pool's servers by id (shorter ids first, then bytewise: its string_compare) when it
  // checks them for duplicates, and keeps that order: modula's slots follow it, not the config's order.
  std::vector<std::uint32_t> members;
  for (std::uint32_t i = 0; i < spec.server_ids.size(); ++i) {
    if (live.empty() || live[i]) members.push_back(i);
  }
  std::stable_sort(members.begin(), members.end(), [&](std::uint32_t a, std::uint32_t b) {
    const std::string& x = spec.server_ids[a];
    const std::string& y = spec.server_ids[b];
    if (x.size() != y.size()) return x.size() < y.size();
    return x < y;
  });
  switch (spec.distribution) {
    case NcDistribution::ketama: {
      std::vector<std::string> ids;
      std::vector<std::uint32_t> weights;
      for (auto i : members) {
        ids.push_back(spec.server_ids[i]);
        weights.push_back(spec.weights[i]);
      }
      auto k = KetamaHash::create(std::move(ids), std::move(weights), error);
      if (!k) return nullptr;
      t->points = k->continuum();
      for (auto& p : t->points) p.index = members[p.index];
      break;
    }
    case NcDistribution::modula:
      for (auto i : members) t->slots.insert(t->slots.end(), spec.weights[i], i);
      break;
    case NcDistribution::random:
      t->slots = members;
      break;
  }
  return t;
}

}  // namespace

std::optional<NcDistribution> parse_nc_distribution(std::string_view name) noexcept {
  if (name == "ketama") return NcDistribution::ketama;
  if (name == "modula") return NcDistribution::modula;
  if (name == "random") return NcDistribution::random;
  return std::nullopt;
}

std::string_view nc_distribution_name(NcDistribution d) noexcept {
  switch (d) {
    case NcDistribution::ketama: return "ketama";
    case NcDistribution::modula: return "modula";
    case NcDistribution::random: return "random";
  }
  return "?";
}

std::string_view apply_hash_tag(std::string_view key, std::string_view hash_tag) noexcept {
  if (hash_tag.size() != 2) return key;
  const auto open = key.find(hash_tag[0]);
  if (open == std::string_view::npos) return key;
  const auto close = key.find(hash_tag[1], open + 1);
  if (close == std::string_view::npos || close - open <= 1) return key;
  return key.substr(open + 1, close - open - 1);
}

std::unique_ptr<TwemproxyHash> TwemproxyHash::create(TwemproxyHashSpec spec, std::string* error) {
  if (spec.server_ids.empty()) {
    set_error(error, "the pool has no servers");
    return nullptr;
  }
  if (spec.weights.size() != spec.server_ids.size()) {
    set_error(error, std::to_string(spec.server_ids.size()) + " servers but " + std::to_string(spec.weights.size()) +
                         " weights");
    return nullptr;
  }
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < spec.weights.size(); ++i) {
    if (spec.weights[i] == 0) {
      set_error(error, "server " + std::to_string(i) + " has weight 0 (twemproxy weights are whole numbers >= 1)");
      return nullptr;
    }
    total += spec.weights[i];
  }
  if (total > 10000000) {  // modula keeps one slot per unit of weight
    set_error(error, "the total server weight " + std::to_string(total) + " is more than 10000000");
    return nullptr;
  }
  {
    std::vector<std::string> sorted = spec.server_ids;
    std::sort(sorted.begin(), sorted.end());
    if (auto dup = std::adjacent_find(sorted.begin(), sorted.end()); dup != sorted.end()) {
      set_error(error, "two servers have the same name \"" + *dup + "\" (twemproxy refuses that too)");
      return nullptr;
    }
  }
  if (!spec.hash_tag.empty() && spec.hash_tag.size() != 2) {
    set_error(error, "hash_tag must be exactly two characters, like \"{}\", got \"" + spec.hash_tag + "\"");
    return nullptr;
  }
  auto all = build_table(spec, {}, error);
  if (!all) return nullptr;
  return std::unique_ptr<TwemproxyHash>(new TwemproxyHash(std::move(spec), std::move(all)));
}

TwemproxyHash::~TwemproxyHash() = default;

std::uint32_t TwemproxyHash::dispatch(const Table& t, std::string_view key) const noexcept {
  if (spec_.distribution == NcDistribution::random) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    return t.slots[std::uniform_int_distribution<std::size_t>(0, t.slots.size() - 1)(rng)];
  }
  // twemproxy: a one-server pool hashes nothing (hash 0); otherwise the tagged key's hash.
  std::uint32_t hash = 0;
  if (spec_.server_ids.size() > 1) hash = nc_hash(spec_.hash, apply_hash_tag(key, spec_.hash_tag));
  if (spec_.distribution == NcDistribution::modula) return t.slots[hash % t.slots.size()];
  auto it = std::lower_bound(t.points.begin(), t.points.end(), hash,
                             [](const KetamaPoint& p, std::uint32_t h) { return p.value < h; });
  if (it == t.points.end()) it = t.points.begin();
  return it->index;
}

std::uint32_t TwemproxyHash::index(std::string_view key) const noexcept { return dispatch(*all_, key); }

std::uint32_t TwemproxyHash::index_live(std::string_view key, const std::vector<bool>& live) const {
  if (std::find(live.begin(), live.end(), true) == live.end() ||
      std::find(live.begin(), live.end(), false) == live.end() || live.size() != size()) {
    return index(key);
  }
  std::shared_ptr<const Table> t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = by_live_[live];
    if (!slot) slot = build_table(spec_, live, nullptr);
    t = slot;
  }
  if (!t || (t->points.empty() && t->slots.empty())) return index(key);
  return dispatch(*t, key);
}

}  // namespace mcrelay
