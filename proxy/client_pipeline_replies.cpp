// ClientPipeline's completions: how each routed request's reply becomes the client's bytes in its slot.
#include "protocol/base64.hpp"
#include "protocol/reply_writer.hpp"
#include "proxy/client_pipeline.hpp"
#include "proxy/local_answers.hpp"
#include "proxy/stats.hpp"

namespace mcrelay {

namespace {

// The server saw the key without its routing prefix; a returned key (flag k) must be the client's, as a
// classic VALUE line is.
void restore_returned_key(Reply& r, const Request& req) {
  if (req.prefix_len == 0 || r.meta_line.empty()) return;
  std::string client_key = req.base64_key ? base64_encode(req.key) : req.key;
  std::string out;
  std::string_view line = r.meta_line;
  std::size_t pos = 0;
  bool first = true;
  while (pos <= line.size()) {
    auto sp = line.find(' ', pos);
    std::string_view tok = line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
    if (!first) out.push_back(' ');
    if (!first && !tok.empty() && tok[0] == 'k') {
      out.push_back('k');
      out += client_key;
    } else {
      out.append(tok);
    }
    first = false;
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  r.meta_line = std::move(out);
}

}  // namespace

void ClientPipeline::count_get(Result r) noexcept {
  if (is_hit(r)) stats_.get_hits.add();
  else if (is_miss(r)) stats_.get_misses.add();
  else stats_.get_errors.add();
}

void ClientPipeline::on_meta_reply(std::uint64_t seq, const RequestPtr& req, bool quiet, Reply&& r) {
  const Op op = req->op;
  stats_.count_reply(op, r.result);
  if (closed_) return;
  restore_returned_key(r, *req);
  finish_slot(seq, [&](std::string& out) {
    if (!(quiet && quiet_suppresses(op, r))) append_meta_reply(out, op, r);
  });
}

void ClientPipeline::on_single_get(std::uint64_t seq, const RequestPtr& req, Reply&& r, bool routed) {
  stats_.count_reply(req->op, r.result);
  if (closed_) return;
  count_get(r.result);
  if (routed) apply_miss_on_get_errors(options_, r);
  finish_slot(seq, [&](std::string& out) {
    if (is_error(r.result)) {
      append_error(out, r);
      return;
    }
    append_item(out, req->op, req->key, r);
    out.append("END\r\n");
  });
}

void ClientPipeline::on_multi_get_part(std::uint64_t seq, std::size_t index, Reply&& r, bool routed) {
  --multiget_keys_inflight_;
  if (closed_ || !ring_.live(seq)) return;
  MultiGetMerge& merge = ring_.at(seq).multiget;
  stats_.count_reply(merge.op(), r.result);
  count_get(r.result);
  if (routed) apply_miss_on_get_errors(options_, r);
  if (!merge.add(index, std::move(r))) return;
  finish_slot(seq, [&](std::string& out) { ring_.at(seq).multiget.render(out); });
}

void ClientPipeline::on_simple_reply(std::uint64_t seq, Op op, bool silent, Reply&& r) {
  stats_.count_reply(op, r.result);
  if (closed_) return;
  apply_miss_on_arith_errors(options_, op, r);
  finish_slot(seq, [&](std::string& out) {
    if (!silent) append_reply(out, op, r);
  });
}

}  // namespace mcrelay
