#include "proxy/discovery.hpp"

#include <fmt/format.h>

namespace mcrelay {

ServiceDiscovery::ServiceDiscovery(ChangeCallback on_change, ErrorCallback on_error,
                                   std::optional<boost::asio::ip::udp::endpoint> nameserver)
    : ServiceDiscovery(std::move(on_change), std::move(on_error),
                       [nameserver](const config::DiscoverConfig& d, std::string* error) {
                         return discovery::lookup(d, nameserver, error);
                       }) {}

ServiceDiscovery::ServiceDiscovery(ChangeCallback on_change, ErrorCallback on_error, LookupFunction lookup)
    : on_change_(std::move(on_change)), on_error_(std::move(on_error)), lookup_(std::move(lookup)) {
  thread_ = std::thread([this] { run(); });
}

ServiceDiscovery::~ServiceDiscovery() { stop(); }

void ServiceDiscovery::stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<config::ServerAddress> ServiceDiscovery::resolve_now(const config::DiscoverConfig& discover,
                                                                 std::string* error, std::string* warning) const {
  std::string ignored;
  std::string& err = error ? *error : ignored;
  err.clear();
  if (warning) warning->clear();
  const auto answer = lookup_(discover, &err);
  if (!answer || answer->empty()) {
    if (err.empty()) err = fmt::format("no records for {}", discovery::srv_name(discover));
    return {};
  }
  auto state = discovery::next_members({}, *answer, discover, warning);
  if (state.members.empty()) err = fmt::format("no usable records for {}", discovery::srv_name(discover));
  return std::move(state.members);
}

std::map<std::string, std::vector<config::ServerAddress>> ServiceDiscovery::resolve_pools(
    const config::Config& config, std::map<std::string, std::string>* errors) const {
  std::map<std::string, std::vector<config::ServerAddress>> out;
  for (const auto& [name, pool] : config.pools) {
    if (!pool.discover) continue;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto it = pools_.find(name);
      if (it != pools_.end() && it->second.discover == *pool.discover && !it->second.state.members.empty()) {
        out.emplace(name, it->second.state.members);
        continue;
      }
    }
    std::string error;
    auto members = resolve_now(*pool.discover, &error);
    if (members.empty()) {
      if (errors) (*errors)[name] = error;
      continue;
    }
    out.emplace(name, std::move(members));
  }
  return out;
}

void ServiceDiscovery::watch(const config::Config& config,
                             const std::map<std::string, std::vector<config::ServerAddress>>& current) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, Pool> next;
    for (const auto& [name, pool] : config.pools) {
      if (!pool.discover) continue;
      const auto given = current.find(name);
      const std::vector<config::ServerAddress> list =
          given != current.end() ? given->second : std::vector<config::ServerAddress>{};
      if (auto old = pools_.find(name);
          old != pools_.end() && old->second.discover == *pool.discover && old->second.state.members == list) {
        next.emplace(name, std::move(old->second));
        continue;
      }
      Pool p;
      p.discover = *pool.discover;
      p.state.members = list;
      p.state.absent.assign(list.size(), 0);
      p.generation = next_generation_++;
      p.due = list.empty() ? now : now + std::chrono::milliseconds(p.discover.refresh_ms);
      next.emplace(name, std::move(p));
    }
    pools_ = std::move(next);
  }
  wake_.notify_all();
}

std::map<std::string, std::vector<config::ServerAddress>> ServiceDiscovery::members() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, std::vector<config::ServerAddress>> out;
  for (const auto& [name, pool] : pools_) {
    if (!pool.state.members.empty()) out.emplace(name, pool.state.members);
  }
  return out;
}

void ServiceDiscovery::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (pools_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto due = pools_.begin();
    for (auto it = pools_.begin(); it != pools_.end(); ++it) {
      if (it->second.due < due->second.due) due = it;
    }
    if (due->second.due > std::chrono::steady_clock::now()) {
      // A copy: the wait releases the lock, and watch() may replace pools_ (and this entry) meanwhile.
      const auto deadline = due->second.due;
      wake_.wait_until(lock, deadline);
      continue;  // re-evaluate: watch() or stop() may have woken us
    }

    const std::string name = due->first;
    const config::DiscoverConfig discover = due->second.discover;
    const std::uint64_t generation = due->second.generation;
    const discovery::MemberState previous = due->second.state;
    lock.unlock();

    std::string error, warning;
    const auto answer = lookup_(discover, &error);
    std::optional<discovery::MemberState> next;
    if (answer && !answer->empty()) {
      next = discovery::next_members(previous, *answer, discover, &warning);
      if (next->members.empty()) next.reset();
    }
    if (!next && error.empty()) error = fmt::format("no usable records for {}", discovery::srv_name(discover));

    lock.lock();
    if (stopping_) break;
    const auto it = pools_.find(name);
    if (it == pools_.end() || it->second.generation != generation) continue;  // replaced by watch() meanwhile
    Pool& pool = it->second;
    pool.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(discover.refresh_ms);
    std::optional<std::vector<config::ServerAddress>> changed;
    if (next) {
      if (next->members != pool.state.members) changed = next->members;
      pool.state = std::move(*next);
    }
    const std::string& message = next ? warning : error;
    std::optional<std::string> report;
    if (message != pool.message) {
      pool.message = message;
      report = message;
    }
    lock.unlock();
    if (changed && on_change_) on_change_(name, std::move(*changed));
    if (report && on_error_) on_error_(name, *report);
    lock.lock();
  }
}

}  // namespace mcrelay