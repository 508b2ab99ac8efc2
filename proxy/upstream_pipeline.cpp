#include "proxy/upstream_pipeline.hpp"

#include <algorithm>

#include "protocol/lease_translation.hpp"
#include "protocol/request_writer.hpp"

namespace mcrelay {

namespace {

ReplyExpect expect_for(Op op) noexcept {
  if (op == Op::mg || op == Op::ms || op == Op::md || op == Op::ma || op == Op::me || is_lease_op(op)) {
    return ReplyExpect::meta;  // lease-get, lease-set and metaget go upstream as meta commands
  }
  if (op == Op::stats) return ReplyExpect::stats;
  switch (op_kind(op)) {
    case OpKind::get: return ReplyExpect::retrieval;
    case OpKind::update: return ReplyExpect::storage;
    case OpKind::del: return ReplyExpect::deletion;
    case OpKind::arith: return ReplyExpect::arith;
    case OpKind::touch: return ReplyExpect::touch;
    default: return op == Op::version ? ReplyExpect::version : ReplyExpect::ok;
  }
}

}  // namespace

std::int64_t UpstreamPipeline::system_unix_seconds() noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void UpstreamPipeline::add(const RequestPtr& req, const SendOptions& opts, ReplyFn done, Clock::time_point now) {
  const Op op = req->op;
  bool merged = false;
  if (is_retrieval(op) && has_unwritten()) {
    Entry& last = entries_.back();
    if (last.op == op && last.exptime == req->exptime && last.count < max_batch_keys_) {
      ++last.count;
      merged = true;
    }
  }
  if (!merged) {
    auto timeout = std::chrono::milliseconds(opts.timeout_ms ? opts.timeout_ms : default_timeout_ms_);
    entries_.push_back(Entry{op, is_retrieval(op) ? req->exptime : 0, 1, now + timeout});
  }
  subs_.push_back(Sub{req, std::move(done), opts.keep_routing_prefix, now});
  if (accounting_) accounting_->queued(op);
}

bool UpstreamPipeline::prepare_write(std::string& out) {
  if (!has_unwritten()) return false;
  // The subs of the written entries come first; those of the entries to write follow in order.
  std::size_t sub_index = written_subs_;
  for (std::size_t i = written_; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (is_retrieval(e.op)) {
      append_retrieval_head(out, e.op, e.exptime);
      for (std::uint32_t k = 0; k < e.count; ++k) append_upstream_key(out, sub_key(subs_[sub_index + k]));
      out.append("\r\n");
    } else {
      const Sub& s = subs_[sub_index];
      append_upstream_command(out, *s.req, s.keep_prefix);
    }
    sub_index += e.count;
  }
  written_ = entries_.size();
  written_subs_ = sub_index;
  return true;
}

void UpstreamPipeline::complete_front(Reply&& reply, Clock::time_point now, UpstreamCompletions& out) {
  Sub& s = subs_.front();
  if (accounting_) accounting_->completed(reply.result, now - s.added);
  out.push_back(UpstreamCompletion{std::move(s.done), std::move(reply)});
  subs_.pop_front();
  --written_subs_;
}

Reply UpstreamPipeline::reply_for(const Entry& e, ReplyParseStatus status, const ParsedReply& pr) const {
  Reply reply(pr.result);
  if (status == ReplyParseStatus::line) reply.value.assign(pr.data);
  if (!pr.meta_line.empty()) {
    reply.result = meta_result(e.op, pr.meta_line.substr(0, 2));
    reply.meta_line.assign(pr.meta_line);
    if (is_lease_op(e.op)) {
      translate_lease_reply(e.op, reply, unix_clock_());
      if (e.op == Op::metaget && reply.result == Result::found) reply.value = peer_;  // metaget's "from"
    }
  }
  return reply;
}

UpstreamPipeline::ConsumeResult UpstreamPipeline::consume(std::string_view bytes, Clock::time_point now,
                                                          UpstreamCompletions& out) {
  ConsumeResult r;
  std::size_t pos = 0;
  auto fail = [&](std::string why) {
    r.used = pos;
    r.protocol_error = true;
    r.error = std::move(why);
    return r;
  };
  while (pos < bytes.size()) {
    if (written_ == 0) return fail("bytes nobody asked for");
    Entry& e = entries_.front();
    std::string_view input = bytes.substr(pos);
    auto res = parser_.parse(input, expect_for(e.op));
    if (res.status == ReplyParseStatus::need_more) {
      r.need = res.need;
      break;
    }
    if (res.status == ReplyParseStatus::protocol_error) {
      return fail("unparsable reply for " + std::string(op_name(e.op)) + ": \"" +
                  std::string(input.substr(0, std::min<std::size_t>(input.size(), 80))) + "\"");
    }
    const ParsedReply& pr = parser_.parsed();
    if (res.status == ReplyParseStatus::value) {
      // A key nobody in this command asked for means the stream is out of step: fail everything (as an
      // error, not as misses) before completing anything.
      bool known = false;
      for (std::uint32_t i = 0; i < e.count && !known; ++i) known = sub_key(subs_[i]) == pr.key;
      if (!known) return fail("VALUE for a key not asked for: " + std::string(pr.key.substr(0, 250)));
      pos += res.consumed;
      // Items come back in key order, skipping misses: earlier subs without an item are misses.
      for (bool matched = false; !matched;) {
        matched = sub_key(subs_.front()) == pr.key;
        --e.count;
        if (!matched) {
          complete_front(Reply(Result::not_found), now, out);
          continue;
        }
        Reply hit(Result::found);
        hit.flags = pr.flags;
        hit.cas = pr.cas;
        hit.value.assign(pr.data);
        complete_front(std::move(hit), now, out);
      }
      continue;
    }
    pos += res.consumed;
    // END of a retrieval (its remaining keys are misses), or a one-line reply (for a retrieval, an error).
    Reply reply = reply_for(e, res.status, pr);
    if (is_error(pr.result) && accounting_) accounting_->error_reply();
    const std::uint32_t n = e.count;
    entries_.pop_front();
    --written_;
    for (std::uint32_t i = 0; i < n; ++i) complete_front(i + 1 == n ? std::move(reply) : Reply(reply), now, out);
  }
  r.used = pos;
  return r;
}

void UpstreamPipeline::fail_all(Result why, std::string_view reason, Clock::time_point now, UpstreamCompletions& out) {
  entries_.clear();
  written_ = 0;
  written_subs_ = subs_.size();  // complete_front counts them down
  while (!subs_.empty()) complete_front(Reply::error(why, reason), now, out);
}

std::optional<UpstreamPipeline::Clock::time_point> UpstreamPipeline::next_deadline() const noexcept {
  if (entries_.empty()) return std::nullopt;
  return entries_.front().deadline;
}

}  // namespace mcrelay
