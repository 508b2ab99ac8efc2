#include "proxy/route_lookup.hpp"

#include <map>

#include "proxy/router.hpp"
#include "routes/operation_selector_route.hpp"

namespace mcrelay {
namespace {

class NamedDestination final : public Destination {
 public:
  explicit NamedDestination(std::string n) : name_(std::move(n)) {}
  const std::string& name() const noexcept override { return name_; }
  void send(const RequestPtr&, const SendOptions&, ReplyFn done) override {
    done(Reply::error(Result::local_error, "lookup only"));
  }

 private:
  std::string name_;
};

class NamedProvider final : public DestinationProvider {
 public:
  std::shared_ptr<Destination> destination(const config::ServerAddress& s, const config::PoolConfig&) override {
    auto& d = dests_[s.text];
    if (!d) d = std::make_shared<NamedDestination>(s.text);
    return d;
  }

 private:
  std::map<std::string, std::shared_ptr<NamedDestination>> dests_;
};

}  // namespace

std::optional<Op> parse_op_name(std::string_view name) {
  // The command word first ("get", "flush_all", "mg", ...), then mcrouter's operation names as
  // operation_policies spells them ("flushall", "metaget", ...), through OperationSelectorRoute's own
  // Op -> name mapping, so that both tables cannot drift apart. Several ops share a policy name ("get" for
  // get and mg); the command word has matched first for those.
  for (int i = 0; i < kOpCount; ++i) {
    if (op_name(static_cast<Op>(i)) == name) return static_cast<Op>(i);
  }
  if (name.empty()) return std::nullopt;
  for (int i = 0; i < kOpCount; ++i) {
    if (OperationSelectorRoute::policy_name(static_cast<Op>(i)) == name) return static_cast<Op>(i);
  }
  return std::nullopt;
}

std::vector<std::string> route_destinations(const LoadedConfig& config, Op op, std::string_view key) {
  NamedProvider names;
  Router router(config.config, names, config.route_prefix);
  Request req;
  req.op = op;
  req.key.assign(key);
  std::vector<std::string> out;
  router.select(req.key, req.prefix_len).collect_destinations(req, out);
  return out;
}

}  // namespace mcrelay
