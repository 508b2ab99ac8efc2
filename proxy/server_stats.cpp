#include "proxy/server_stats.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <memory>
#include <optional>

#include "proxy/worker.hpp"
#include "routes/destination.hpp"

namespace mcrelay {

namespace {

constexpr std::array<std::string_view, 4> kGroups = {"settings", "items", "slabs", "sizes"};

// Values that are not amounts: the largest is reported (an age, a time, a slab class's geometry).
bool takes_max(std::string_view group, std::string_view name) {
  if (group == "settings") return false;
  auto field = name.substr(name.rfind(':') + 1);  // "items:1:age" -> "age"
  static constexpr std::array<std::string_view, 8> kMax = {"age",        "age_hot",       "age_warm",
                                                           "evicted_time", "chunk_size", "chunks_per_page",
                                                           "last_access", "time"};
  return std::find(kMax.begin(), kMax.end(), field) != kMax.end();
}

// Settings that are capacities: the cluster's is the sum of its servers'.
bool settings_sum(std::string_view name) {
  return name == "maxbytes" || name == "maxconns" || name == "num_threads";
}

std::optional<std::int64_t> as_integer(std::string_view v) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return std::nullopt;
  return n;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto sp = s.find(' ');
    if (sp != 0) out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

// One query: the replies of every server, in server order, until the last one arrives.
struct Query {
  std::string group;
  std::vector<std::optional<std::string>> blocks;  // nullopt: that server failed
  std::string first_error;                          // the first failure, for when every server failed
  std::size_t waiting = 0;
  bool single = false;
  UniqueFunction<void(std::string)> done;

  void finish() {
    std::vector<std::string> ok;
    for (auto& b : blocks) {
      if (b) ok.push_back(std::move(*b));
    }
    if (ok.empty() && !first_error.empty()) {
      done(first_error);
    } else if (single) {
      done(ok.front() + "END\r\n");
    } else {
      done(merge_server_stats(group, ok));
    }
  }
};

}  // namespace

bool is_server_stats_group(std::string_view args) {
  auto w = words(args);
  return !w.empty() && std::find(kGroups.begin(), kGroups.end(), w[0]) != kGroups.end();
}

void query_server_stats(Worker& worker, std::string_view args, UniqueFunction<void(std::string)> done) {
  auto w = words(args);
  if (w.empty() || w.size() > 2) {
    done("CLIENT_ERROR bad stats command\r\n");
    return;
  }
  auto dests = worker.server_destinations();
  if (w.size() == 2) {
    auto it = std::find_if(dests.begin(), dests.end(), [&](const auto& d) { return d->name() == w[1]; });
    if (it == dests.end()) {
      done("CLIENT_ERROR no server " + std::string(w[1]) + " in the running config\r\n");
      return;
    }
    dests = {*it};
  }
  if (dests.empty()) {
    done("END\r\n");
    return;
  }
  auto q = std::make_shared<Query>();
  q->group.assign(w[0]);
  q->blocks.resize(dests.size());
  q->waiting = dests.size();
  q->single = w.size() == 2;
  q->done = std::move(done);
  auto req = make_ref<Request>();
  req->op = Op::stats;
  req->args.assign(w[0]);
  for (std::size_t i = 0; i < dests.size(); ++i) {
    dests[i]->send(req, SendOptions{}, [q, i](Reply&& r) {
      if (r.result == Result::ok) {
        q->blocks[i] = std::move(r.value);
      } else if (q->first_error.empty()) {
        q->first_error = r.result == Result::client_error ? "CLIENT_ERROR " + r.value + "\r\n"
                         : r.result == Result::bad_command ? std::string("ERROR\r\n")
                                                           : "SERVER_ERROR " + r.value + "\r\n";
      }
      if (--q->waiting == 0) q->finish();
    });
  }
}

std::string merge_server_stats(std::string_view group, const std::vector<std::string>& blocks) {
  std::vector<std::string> order;                       // names in first-seen order
  std::map<std::string, std::vector<std::string>> values;  // name -> each server's value
  for (const auto& block : blocks) {
    std::string_view rest = block;
    while (!rest.empty()) {
      auto eol = rest.find("\r\n");
      std::string_view line = rest.substr(0, eol);
      rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
      if (!line.starts_with("STAT ")) continue;
      line.remove_prefix(5);
      auto sp = line.find(' ');
      std::string name(line.substr(0, sp));
      std::string value(sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1));
      auto [it, fresh] = values.try_emplace(name);
      if (fresh) order.push_back(name);
      it->second.push_back(std::move(value));
    }
  }
  std::string out;
  for (const auto& name : order) {
    const auto& vs = values[name];
    std::string merged = vs.front();
    bool all_same = std::all_of(vs.begin(), vs.end(), [&](const auto& v) { return v == vs.front(); });
    std::vector<std::int64_t> nums;
    for (const auto& v : vs) {
      if (auto n = as_integer(v)) nums.push_back(*n);
    }
    const bool numeric = nums.size() == vs.size();
    if (group == "settings") {
      if (numeric && settings_sum(name)) {
        std::int64_t sum = 0;
        for (auto n : nums) sum += n;
        merged = std::to_string(sum);
      } else if (!all_same && numeric) {
        merged = std::to_string(*std::min_element(nums.begin(), nums.end()));
      }
    } else if (numeric && takes_max(group, name)) {
      merged = std::to_string(*std::max_element(nums.begin(), nums.end()));
    } else if (numeric) {
      std::int64_t sum = 0;
      for (auto n : nums) sum += n;
      merged = std::to_string(sum);
    }
    out += "STAT " + name + " " + merged + "\r\n";
  }
  out += "END\r\n";
  return out;
}

}  // namespace mcrelay
