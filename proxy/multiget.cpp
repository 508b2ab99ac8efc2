#include "proxy/multiget.hpp"

#include "protocol/reply_writer.hpp"

namespace mcrelay {

void MultiGetMerge::start(Op op, std::size_t keys) {
  op_ = op;
  waiting_ = static_cast<std::uint32_t>(keys);
  local_error_ = kNone;
  reqs_.clear();
  reqs_.resize(keys);
  replies_.clear();
  replies_.resize(keys);
}

bool MultiGetMerge::add(std::size_t index, Reply&& reply) {
  replies_[index] = std::move(reply);
  return --waiting_ == 0;
}

void MultiGetMerge::render(std::string& out) {
  bool all_failed = true;
  for (const auto& rep : replies_) all_failed = all_failed && is_error(rep.result);
  if (all_failed && local_error_ == kNone) {
    append_error(out, replies_.front());
  } else {
    for (std::size_t i = 0; i < replies_.size(); ++i) append_item(out, op_, reqs_[i]->key, replies_[i]);
    if (local_error_ != kNone) {
      append_error(out, replies_[local_error_]);
    } else {
      out.append("END\r\n");
    }
  }
  reqs_.clear();
  replies_.clear();
}

}  // namespace mcrelay
