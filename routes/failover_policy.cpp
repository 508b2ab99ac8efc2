#include "routes/failover_policy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/json_describe.hpp"
#include "routes/failover_errors.hpp"
#include "routes/hash/rendezvous_hash.hpp"
#include "routes/hash_route.hpp"
#include "routes/hash_selector.hpp"
#include "routes/route_factory.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

constexpr std::uint32_t kMaxDraws = 100;  // mcrouter's bound on salted draws per failover step

std::uint32_t result_bit(Result r) { return std::uint32_t{1} << static_cast<unsigned>(r); }

// "max_tries" and friends: an integer >= 1 (mcrouter's parseInt(.., 1, UINT32_MAX)).
std::uint32_t positive(RouteFactory& f, const nlohmann::json& p, std::string_view key, const std::string& path,
                       bool required, std::uint32_t fallback) {
  if (required && !p.contains(key)) f.fail(path, fmt::format("{} must specify \"{}\"", p.value("type", ""), key));
  return static_cast<std::uint32_t>(get_int(f, p, key, path, fallback, 1, FailoverPolicy::kUnlimited));
}

// The child index child 0 (a pool or hash route) picks for this request, if it is one.
std::optional<std::uint32_t> normal_index(const Request& req, const std::vector<RouteHandlePtr>& children) {
  if (children.empty()) return std::nullopt;
  if (const auto* h = dynamic_cast<const HashRoute*>(children[0].get())) return h->selected_index(req);
  return std::nullopt;
}

}  // namespace

FailoverPolicy::~FailoverPolicy() = default;
FailoverPolicy::FailoverPolicy(FailoverPolicy&&) noexcept = default;
FailoverPolicy& FailoverPolicy::operator=(FailoverPolicy&&) noexcept = default;

FailoverPolicy FailoverPolicy::parse(RouteFactory& f, const nlohmann::json& route, const std::string& path,
                                     std::size_t n) {
  FailoverPolicy p;
  p.n_ = n;
  auto it = route.find("failover_policy");
  if (it == route.end()) return p;
  const std::string where = path + ".failover_policy";
  const auto& j = *it;
  if (!j.is_object()) f.fail(where, fmt::format("expected an object, got {}", config::describe_json(j)));
  const std::string type = f.get_string(j, "type", where, "FailoverInOrderPolicy");
  auto cap = [&](std::uint32_t v) { return std::min<std::size_t>(v, n); };  // mcrouter caps at the children

  if (type == "FailoverInOrderPolicy") {
    check_keys(f, j, where, "FailoverInOrderPolicy", {"max_tries"});
    if (j.contains("max_tries")) p.max_tries_ = positive(f, j, "max_tries", where, false, kUnlimited);
    return p;
  }
  if (type == "LeastFailuresPolicy") {
    check_keys(f, j, where, type, {"max_tries"});
    p.kind_ = Kind::least_failures;
    p.max_tries_ = cap(positive(f, j, "max_tries", where, true, 1));
    p.recent_errors_.assign(n, 0);
    return p;
  }
  if (type == "DeterministicOrderPolicy") {
    check_keys(f, j, where, type,
               {"max_tries", "max_error_tries", "exclude_errors", "enable_failure_domains",
                "ignore_normal_reply_index", "hash", "hash_func", "weights"});
    p.kind_ = Kind::deterministic_order;
    p.max_tries_ = cap(positive(f, j, "max_tries", where, true, 1));
    p.max_error_tries_ = std::min<std::uint32_t>(positive(f, j, "max_error_tries", where, true, 1),
                                                 static_cast<std::uint32_t>(p.max_tries_));
    if (auto e = j.find("exclude_errors"); e != j.end()) {
      // Same names as failover_errors; parsed as a list that applies to every operation.
      FailoverErrors list = FailoverErrors::parse(f, *e, where + ".exclude_errors");
      for (unsigned r = 0; r < 32; ++r) {
        if (list.should_failover(Op::get, static_cast<Result>(r))) p.excluded_ |= std::uint32_t{1} << r;
      }
    }
    if (f.get_bool(j, "enable_failure_domains", where, false)) p.domains_ = f.failure_domains();
    p.ignore_normal_index_ = f.get_bool(j, "ignore_normal_reply_index", where, false);
    // The route's "hash" (mcrouter copies it into the policy) or the policy's own keys.
    nlohmann::json hash = j;
    std::string hash_path = where;
    if (auto h = route.find("hash"); h != route.end()) {
      hash = *h;
      hash_path = path + ".hash";
    }
    std::string func = "Ch3";
    if (hash.is_object()) func = f.get_string(hash, "hash_func", hash_path, "Ch3");
    if (func != "Ch3" && func != "WeightedCh3") {
      f.fail(hash_path, fmt::format("DeterministicOrderPolicy hashes with Ch3 or WeightedCh3, not \"{}\"", func));
    }
    std::vector<double> weights;
    if (auto w = hash.find("weights"); hash.is_object() && w != hash.end()) {
      if (!w->is_array()) f.fail(hash_path + ".weights", "expected a list of numbers in [0, 1]");
      for (const auto& v : *w) {
        if (!v.is_number()) f.fail(hash_path + ".weights", "expected a list of numbers in [0, 1]");
        weights.push_back(v.get<double>());
      }
    }
    std::string error;
    p.order_hash_ = make_hash_function(func, static_cast<std::uint32_t>(std::max<std::size_t>(n, 1)), weights, {},
                                       &error);
    if (!p.order_hash_) f.fail(hash_path, error);
    return p;
  }
  if (type == "RendezvousPolicy") {
    check_keys(f, j, where, type, {"tags", "weights"});
    p.kind_ = Kind::rendezvous;
    if (n < 2) return p;  // nothing to fail over to
    nlohmann::json spec = j;
    if (auto t = route.find("tags"); t != route.end()) spec["tags"] = *t;  // the route's tags win, as in mcrouter
    const bool weighted = route.contains("hash") && route["hash"] == "WeightedRendezvous";
    auto fn = make_tagged_hash_function(f, weighted ? "WeightedRendezvous" : "Rendezvous", spec, where,
                                        static_cast<std::uint32_t>(n - 1));
    if (weighted) {
      p.weighted_rendezvous_.reset(static_cast<WeightedRendezvousHash*>(fn.release()));
    } else {
      p.rendezvous_.reset(static_cast<RendezvousHash*>(fn.release()));
    }
    return p;
  }
  f.fail(where + ".type",
         fmt::format("failover policy \"{}\" is not supported (mcrelay has FailoverInOrderPolicy, "
                     "LeastFailuresPolicy, DeterministicOrderPolicy and RendezvousPolicy)",
                     type));
}

bool FailoverPolicy::counts_as_try(Result r) const noexcept {
  return r != Result::tko && (excluded_ & result_bit(r)) == 0;
}

std::vector<std::uint32_t> FailoverPolicy::failover_order(const Request& req,
                                                          const std::vector<RouteHandlePtr>& children) const {
  const std::size_t n = children.size();
  // With failure domains FailoverRoute may skip children: it gets them all and stops after max_tries.
  const std::size_t limit = uses_failure_domains() ? n : std::min(n, max_tries_);
  std::vector<std::uint32_t> out;
  if (limit < 2) return out;
  switch (kind_) {
    case Kind::in_order:
      for (std::uint32_t i = 1; i < limit; ++i) out.push_back(i);
      break;
    case Kind::least_failures: {
      for (std::uint32_t i = 1; i < n; ++i) out.push_back(i);
      std::stable_sort(out.begin(), out.end(),
                       [this](std::uint32_t a, std::uint32_t b) { return recent_errors_[a] < recent_errors_[b]; });
      out.resize(limit - 1);
      break;
    }
    case Kind::deterministic_order: {
      std::vector<bool> used(n, false);
      used[0] = true;
      if (!ignore_normal_index_) {
        // mcrouter skips child i + 1 when child 0's pool picked server i (the same server, listed again).
        if (auto i = normal_index(req, children); i && *i + 1 < n) used[*i + 1] = true;
      }
      thread_local std::string key;
      std::uint32_t salt = 1;
      for (std::size_t step = 1; step < limit; ++step) {
        std::uint32_t idx = 0;
        std::uint32_t draws = 0;
        do {
          ++salt;
          key.assign(req.routing_key());
          key.append(std::to_string(salt));
          idx = order_hash_->index(key);
        } while (used[idx] && draws++ < kMaxDraws);
        used[idx] = true;
        out.push_back(idx);
      }
      break;
    }
    case Kind::rendezvous: {
      // Hosts are children 1..n-1. mcrouter skips the host with child 0's selected index (0 when unknown).
      const std::uint32_t primary = normal_index(req, children).value_or(0);
      auto order = rendezvous_ ? rendezvous_->order(req.routing_key()) : weighted_rendezvous_->order(req.routing_key());
      for (std::uint32_t h : order) {
        if (h != primary) out.push_back(h + 1);
      }
      break;
    }
  }
  return out;
}

std::uint32_t FailoverPolicy::failure_domain(const RouteHandle& child, const Request& req) const {
  if (domains_.empty()) return 0;
  thread_local std::vector<std::string> where;
  where.clear();
  child.collect_destinations(req, where);
  if (where.empty()) return 0;
  auto it = domains_.find(where.front());
  return it == domains_.end() ? 0 : it->second;
}

}  // namespace mcrelay
