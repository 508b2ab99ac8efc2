#include "routes/big_value_route.hpp"

#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "routes/fan_out.hpp"
#include "util/spooky_hash.hpp"
#include "routes/route_helpers.hpp"

namespace mcrelay {

namespace {

// Collects n replies and keeps them in order; calls `finish` after the last one.
struct Gather {
  std::vector<Reply> replies;
  std::size_t pending = 0;
  UniqueFunction<void(std::vector<Reply>&&)> finish;
};

std::size_t worst_index(const std::vector<Reply>& replies) {
  std::size_t worst = 0;
  for (std::size_t i = 1; i < replies.size(); ++i) {
    if (reply_severity(replies[i].result) > reply_severity(replies[worst].result)) worst = i;
  }
  return worst;
}

void gather(RouteHandle& child, std::vector<RequestPtr> reqs, UniqueFunction<void(std::vector<Reply>&&)> finish) {
  auto g = std::make_shared<Gather>();
  g->replies.resize(reqs.size());
  g->pending = reqs.size();
  g->finish = std::move(finish);
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    child.route(reqs[i], [g, i](Reply&& r) {
      g->replies[i] = std::move(r);
      if (--g->pending == 0) g->finish(std::move(g->replies));
    });
  }
}

}  // namespace

std::string BigValueRoute::ChunksInfo::index() const { return fmt::format("1-{}-{}", chunks, suffix); }

std::optional<BigValueRoute::ChunksInfo> BigValueRoute::ChunksInfo::parse(std::string_view v) {
  // mcrouter: sscanf("%u-%u-%lu%n") == 3, all of the value read, version 1.
  auto number = [&](auto& out) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p == v.data()) return false;
    v.remove_prefix(static_cast<std::size_t>(p - v.data()));
    return true;
  };
  std::uint32_t version = 0;
  ChunksInfo info;
  if (!number(version) || version != 1 || !v.starts_with('-')) return std::nullopt;
  v.remove_prefix(1);
  if (!number(info.chunks) || !v.starts_with('-')) return std::nullopt;
  v.remove_prefix(1);
  if (!number(info.suffix) || !v.empty()) return std::nullopt;
  return info;
}

std::uint64_t BigValueRoute::value_suffix(std::string_view value) noexcept {
  std::uint64_t h1 = 0, h2 = 0;
  spooky_hash_v2_128(value.data(), value.size(), &h1, &h2);
  return h1 & 0xffffffffULL;
}

std::string BigValueRoute::chunk_key(std::string_view key, std::uint32_t i, std::uint64_t suffix) {
  return fmt::format("{}:{}:{}", key, i, suffix);
}

void BigValueRoute::route(const RequestPtr& req, ReplyFn done) {
  const Op op = req->op;
  if ((op == Op::set || op == Op::add || op == Op::replace || op == Op::cas) && req->value.size() > threshold_) {
    route_update(req, std::move(done));
    return;
  }
  if (op != Op::get && op != Op::gets) {
    child_->route(req, std::move(done));
    return;
  }
  RequestPtr r = req;
  child_->route(r, [self = shared_from_this(), r, done = std::move(done)](Reply&& reply) mutable {
    if (!is_hit_result(reply.result) || (reply.flags & kBigValueFlag) == 0) {
      done(std::move(reply));
      return;
    }
    auto info = ChunksInfo::parse(reply.value);
    if (!info || info->chunks == 0) {
      done(default_reply(r->op));  // not an index mcrouter wrote: a miss, as mcrouter answers
      return;
    }
    self->read_chunks(r, std::move(reply), *info, std::move(done));
  });
}

void BigValueRoute::read_chunks(const RequestPtr& req, Reply&& index_reply, const ChunksInfo& info, ReplyFn done) {
  std::vector<RequestPtr> gets;
  gets.reserve(info.chunks);
  for (std::uint32_t i = 0; i < info.chunks; ++i) gets.push_back(make_keyed_request(Op::get, chunk_key(req->key, i, info.suffix)));
  auto head = std::make_shared<Reply>(std::move(index_reply));
  gather(*child_, std::move(gets),
         [self = shared_from_this(), head, done = std::move(done)](std::vector<Reply>&& replies) mutable {
           const Reply& worst = replies[worst_index(replies)];
           if (!is_hit_result(worst.result)) {
             done(Reply(worst.result == Result::found ? Result::not_found : worst.result, worst.value));
             return;
           }
           Reply out = std::move(*head);
           out.value.clear();
           for (auto& r : replies) out.value.append(r.value);
           done(std::move(out));
         });
}

void BigValueRoute::route_update(const RequestPtr& req, ReplyFn done) {
  const std::string_view value = req->value;
  ChunksInfo info;
  info.chunks = static_cast<std::uint32_t>((value.size() + threshold_ - 1) / threshold_);
  info.suffix = value_suffix(value);
  std::vector<RequestPtr> sets;
  sets.reserve(info.chunks);
  for (std::uint32_t i = 0; i < info.chunks; ++i) {
    auto s = make_keyed_request(Op::set, chunk_key(req->key, i, info.suffix));
    s->value.assign(value.substr(static_cast<std::size_t>(i) * threshold_, threshold_));
    s->exptime = req->exptime;
    sets.push_back(std::move(s));
  }
  RequestPtr r = req;
  gather(*child_, std::move(sets),
         [self = shared_from_this(), r, info, done = std::move(done)](std::vector<Reply>&& replies) mutable {
           const Reply& worst = replies[worst_index(replies)];
           if (worst.result != Result::stored) {
             done(Reply(worst.result, worst.value));
             return;
           }
           RequestPtr index = r->clone();
           index->flags |= kBigValueFlag;
           index->value = info.index();
           self->child_->route(index, std::move(done));
         });
}

}  // namespace mcrelay
