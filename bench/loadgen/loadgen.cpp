// mcrelay_loadgen: a small closed-loop load generator for the memcached ASCII protocol.
//
// N connections, each keeping --depth requests in flight (1 by default: send, wait for the whole reply,
// send the next; with more, replies are matched to requests in order and each reply read is replaced by
// a new request, written together). A mix of `get` (of --multiget distinct keys, 1 by default) and `set`
// over a fixed key space with fixed-size values whose bytes are derived from the key, so every hit can be
// checked byte for byte. Per-request latency goes into a log-linear
// histogram (<= 1.6% relative error). The run has three phases:
//
//   populate  every key is set once (so that gets hit), not timed;
//   warm-up   full load, not counted;
//   window    full load; only replies completed inside the window are counted.
//
// At the window's two edges the main thread samples the CPU time of the processes given with --cpu-pid
// (sum over /proc/PID/task/*/schedstat, ns precision, plus utime+stime ticks of /proc/PID/stat), of the
// load generator itself and of the whole machine (/proc/stat), so CPU per request can be computed from
// exactly the same window the requests were counted in.
//
// With several --server, keys are sharded client-side (key index modulo the number of servers) and
// connection i talks only to server i % n and only about that server's keys ("memcached direct").
//
// Marks: on SIGUSR1 the load generator records the time and how many requests (and keys) have completed
// so far (async-signal-safe: per-worker atomic counters); they are printed as "marks". bench/run_bench.py
// uses two marks around the interval it has strace attached to a server, to count system calls per
// request over exactly that interval. With --print-window-events it writes "window_start" and
// "window_end" lines to stderr at the window's edges, so a driver can attach strace inside the window.
//
// With --tls-ca FILE every connection is TLS (OpenSSL), the server's certificate checked against FILE for
// the name "localhost": the client side of bench/run_bench.py's mcrelay-tls target. The handshake happens
// at connect time, before the window, so the window measures steady-state encrypted traffic.
//
// Output: one JSON object on stdout. Exit status 0 when the run completed (errors are reported, not
// fatal), 2 on bad usage or when no connection could be made.

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <signal.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------- time
inline int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleep_until_ns(int64_t t) {
  timespec ts{time_t(t / 1'000'000'000), long(t % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// ----------------------------------------------------------------------------------------- histogram
// Log-linear: values < 64 exact; above, 32 sub-buckets per power of two.
class Histogram {
 public:
  static constexpr int kSub = 32;
  static constexpr int kBuckets = 64 + 64 * kSub;

  Histogram() : counts_(kBuckets, 0) {}

  static int index(uint64_t v) {
    if (v < 64) return int(v);
    int b = 63 - __builtin_clzll(v);  // >= 6
    int shift = b - 5;
    return 64 + (shift - 1) * kSub + int((v >> shift) - kSub);
  }
  // Midpoint of the bucket's range.
  static double value_of(int idx) {
    if (idx < 64) return idx;
    int shift = (idx - 64) / kSub + 1;
    uint64_t sub = uint64_t((idx - 64) % kSub + kSub);
    double lo = double(sub << shift);
    return lo + double(uint64_t(1) << shift) / 2.0;
  }

  void record(uint64_t v) {
    ++counts_[index(v)];
    ++n_;
    sum_ += v;
    if (v > max_) max_ = v;
  }
  void merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    n_ += o.n_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
  }
  uint64_t count() const { return n_; }
  double mean() const { return n_ ? double(sum_) / double(n_) : 0.0; }
  uint64_t max() const { return max_; }
  double percentile(double p) const {
    if (n_ == 0) return 0.0;
    uint64_t rank = uint64_t(std::ceil(p / 100.0 * double(n_)));
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(value_of(i), double(max_));
    }
    return double(max_);
  }

 private:
  std::vector<uint64_t> counts_;
  uint64_t n_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

// ------------------------------------------------------------------------------------------- options
struct Options {
  std::vector<sockaddr_in> servers;
  std::vector<std::string> server_names;
  int connections = 50;
  int threads = 1;
  double get_ratio = 0.9;
  int value_size = 100;
  uint64_t keys = 10000;
  std::string key_prefix = "mcrelay:bench:";
  double duration = 10.0;
  double warmup = 2.0;
  bool populate = true;
  uint64_t seed = 1;
  std::vector<int> cpu_pids;
  std::string tls_ca;  // --tls-ca: TLS to the servers, verified against this CA
  int depth = 1;       // requests in flight per connection
  int multiget = 1;    // keys per get request
  bool print_window_events = false;
};

constexpr int kMaxDepth = 1024;
constexpr int kMaxMultiget = 100;

SSL_CTX* g_tls = nullptr;  // set once in main() with --tls-ca; SSL_new on it is thread-safe

[[noreturn]] void usage(const char* msg) {
  if (msg) std::fprintf(stderr, "mcrelay_loadgen: %s\n", msg);
  std::fprintf(stderr,
               "usage: mcrelay_loadgen --server IP:PORT [--server IP:PORT ...] [options]\n"
               "  --connections N   concurrent connections, one request in flight each (50)\n"
               "  --threads N       event-loop threads (1)\n"
               "  --get-ratio F     fraction of gets, the rest are sets (0.9)\n"
               "  --value-size N    value bytes (100)\n"
               "  --depth N         requests in flight per connection, pipelined (1)\n"
               "  --multiget N      keys per get request, distinct, from the connection's shard (1)\n"
               "  --keys N          key space size (10000)\n"
               "  --key-prefix S    key prefix (mcrelay:bench:)\n"
               "  --duration S      measured window in seconds (10)\n"
               "  --warmup S        warm-up before the window in seconds (2)\n"
               "  --no-populate     do not set every key before the warm-up\n"
               "  --seed N          random seed (1)\n"
               "  --cpu-pid PID     sample this process's CPU time at the window edges (repeatable)\n"
               "  --tls-ca FILE     connect with TLS, checking the servers' certificates against FILE\n"
               "  --print-window-events  write window_start / window_end lines to stderr at the window's edges\n"
               "SIGUSR1 records a mark (time, requests and keys completed so far), printed as \"marks\".\n");
  std::exit(2);
}

bool parse_server(const std::string& s, sockaddr_in& out) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = s.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  int port = std::atoi(s.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return false;
  std::memset(&out, 0, sizeof out);
  out.sin_family = AF_INET;
  out.sin_port = htons(uint16_t(port));
  return inet_pton(AF_INET, host.c_str(), &out.sin_addr) == 1;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      auto eq = a.find('=');
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    std::string name = a.substr(0, a.find('='));
    if (name == "--server") {
      std::string v = val();
      size_t start = 0;
      while (start <= v.size()) {  // also accept a comma-separated list
        size_t comma = v.find(',', start);
        std::string one = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        sockaddr_in sa;
        if (!parse_server(one, sa)) usage(("bad server address " + one).c_str());
        o.servers.push_back(sa);
        o.server_names.push_back(one);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (name == "--connections") {
      o.connections = std::atoi(val().c_str());
    } else if (name == "--threads") {
      o.threads = std::atoi(val().c_str());
    } else if (name == "--get-ratio") {
      o.get_ratio = std::atof(val().c_str());
    } else if (name == "--depth") {
      o.depth = std::atoi(val().c_str());
    } else if (name == "--multiget") {
      o.multiget = std::atoi(val().c_str());
    } else if (name == "--print-window-events") {
      o.print_window_events = true;
    } else if (name == "--value-size") {
      o.value_size = std::atoi(val().c_str());
    } else if (name == "--keys") {
      o.keys = std::strtoull(val().c_str(), nullptr, 10);
    } else if (name == "--key-prefix") {
      o.key_prefix = val();
    } else if (name == "--duration") {
      o.duration = std::atof(val().c_str());
    } else if (name == "--warmup") {
      o.warmup = std::atof(val().c_str());
    } else if (name == "--no-populate") {
      o.populate = false;
    } else if (name == "--seed") {
      o.seed = std::strtoull(val().c_str(), nullptr, 10);
    } else if (name == "--tls-ca") {
      o.tls_ca = val();
    } else if (name == "--cpu-pid") {
      o.cpu_pids.push_back(std::atoi(val().c_str()));
    } else if (name == "--help" || name == "-h") {
      usage(nullptr);
    } else {
      usage(("unknown option " + a).c_str());
    }
  }
  if (o.servers.empty()) usage("at least one --server is needed");
  if (o.connections < 1 || o.threads < 1 || o.threads > o.connections) usage("bad --connections/--threads");
  if (o.value_size < 1 || o.value_size > 1 << 20) usage("bad --value-size");
  if (o.depth < 1 || o.depth > kMaxDepth) usage("bad --depth (1..1024)");
  if (o.multiget < 1 || o.multiget > kMaxMultiget) usage("bad --multiget (1..100)");
  if (o.keys < o.servers.size() * uint64_t(o.multiget))
    usage("--keys must be at least the number of servers times --multiget");
  if (o.get_ratio < 0 || o.get_ratio > 1) usage("bad --get-ratio");
  if (o.duration <= 0 || o.warmup < 0) usage("bad --duration/--warmup");
  if (o.key_prefix.empty() || o.key_prefix.size() > 200 ||
      o.key_prefix.find_first_of(" \r\n\t") != std::string::npos)
    usage("bad --key-prefix");
  return o;
}

// ---------------------------------------------------------------------------------------- CPU sample
struct CpuSample {
  bool ok = false;
  uint64_t ticks = 0;         // utime + stime from /proc/PID/stat (whole process, incl. exited threads)
  uint64_t utime = 0, stime = 0;
  uint64_t sched_ns = 0;      // sum of the first field of /proc/PID/task/*/schedstat (live threads)
  bool sched_ok = false;
  int threads = 0;
};

bool read_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, size_t(n));
  }
  ::close(fd);
  return true;
}

CpuSample sample_pid(int pid) {
  CpuSample s;
  std::string base = "/proc/" + std::to_string(pid);
  std::string text;
  if (!read_file(base + "/stat", text)) return s;
  // Fields after the ")" that ends comm: state(3) ... utime(14) stime(15).
  auto rp = text.rfind(')');
  if (rp == std::string::npos) return s;
  const char* p = text.c_str() + rp + 2;
  int field = 3;
  uint64_t utime = 0, stime = 0;
  while (*p && field <= 15) {
    if (field == 14) utime = std::strtoull(p, nullptr, 10);
    if (field == 15) stime = std::strtoull(p, nullptr, 10);
    while (*p && *p != ' ') ++p;
    while (*p == ' ') ++p;
    ++field;
  }
  s.ticks = utime + stime;
  s.utime = utime;
  s.stime = stime;
  s.ok = true;
  if (DIR* d = opendir((base + "/task").c_str())) {
    s.sched_ok = true;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      if (!read_file(base + "/task/" + e->d_name + "/schedstat", text)) continue;  // thread may be gone
      s.sched_ns += std::strtoull(text.c_str(), nullptr, 10);
      ++s.threads;
    }
    closedir(d);
    if (s.threads == 0) s.sched_ok = false;
  }
  return s;
}

struct MachineSample {
  bool ok = false;
  uint64_t busy = 0, total = 0;  // ticks, all CPUs
};

MachineSample sample_machine() {
  MachineSample m;
  std::string text;
  if (!read_file("/proc/stat", text) || text.compare(0, 4, "cpu ") != 0) return m;
  const char* p = text.c_str() + 4;
  uint64_t v[10] = {};
  for (int i = 0; i < 10; ++i) {
    char* end;
    v[i] = std::strtoull(p, &end, 10);
    if (end == p) break;
    p = end;
  }
  // user nice system idle iowait irq softirq steal guest guest_nice (guest is included in user)
  uint64_t idle = v[3] + v[4];
  m.total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
  m.busy = m.total - idle;
  m.ok = true;
  return m;
}

// ------------------------------------------------------------------------------------------ workload
struct Shared {
  const Options* opt;
  std::vector<std::unique_ptr<std::atomic<uint64_t>>> populate_next;  // per server shard
  int64_t window_start = 0, window_end = 0;
};

inline void make_value(uint64_t key, int size, char* out) {
  // Deterministic bytes derived from the key: checkable on every hit, never \r or \n.
  uint64_t x = key * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  for (int i = 0; i < size; ++i) {
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    out[i] = char('a' + (x >> 59) % 26);
  }
}

struct Rng {
  uint64_t s;
  uint64_t next() {  // splitmix64
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
};

enum class Op : uint8_t { Get, Set };

// One request in flight on a connection; its keys (indexes) are kept to check the reply.
struct Pending {
  Op op = Op::Get;
  int nkeys = 0;
  int64_t sent_at = 0;
  uint64_t keys[kMaxMultiget];
};

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;  // with --tls-ca
  int server = 0;
  bool connected = false;
  bool want_out = false;
  std::vector<Pending> ring;  // --depth slots: requests in flight, oldest at head
  size_t head = 0, inflight = 0;
  std::string out;  // unsent request bytes
  size_t out_off = 0;
  std::vector<char> in;
  size_t in_len = 0;
  int64_t reconnect_at = 0;

  Pending& front() { return ring[head]; }
  Pending& push() {
    Pending& p = ring[(head + inflight) % ring.size()];
    ++inflight;
    return p;
  }
  void pop() {
    head = (head + 1) % ring.size();
    --inflight;
  }
};

struct Stats {
  Histogram hist;
  uint64_t ops = 0, gets = 0, sets = 0, hits = 0, misses = 0;  // hits/misses count keys
  uint64_t keys = 0, get_keys = 0;                               // keys asked for (gets) or written (sets)
  uint64_t errors = 0;
  std::map<std::string, uint64_t> error_kinds;
  uint64_t populated = 0, populate_errors = 0;
  uint64_t connect_errors = 0;
  void error(const std::string& kind) {
    ++errors;
    ++error_kinds[kind];
  }
};

class Worker {
 public:
  Worker(Shared& sh, int id, std::vector<int> conn_servers) : sh_(sh), opt_(*sh.opt), id_(id) {
    rng_.s = opt_.seed * 1000003ull + uint64_t(id) * 7919ull + 1;
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
      std::perror("epoll_create1");
      std::exit(2);
    }
    // The largest reply: --multiget values with their VALUE lines, then END. The read buffer holds the
    // replies of every request in flight, so a short read is never for want of room.
    size_t reply_max = size_t(opt_.multiget) * (size_t(opt_.value_size) + 2 + 300) + 16;
    conns_.resize(conn_servers.size());
    for (size_t i = 0; i < conns_.size(); ++i) {
      conns_[i].server = conn_servers[i];
      conns_[i].in.resize(size_t(opt_.depth) * reply_max + 4096);
      conns_[i].ring.resize(size_t(opt_.depth));
    }
    value_buf_.resize(size_t(opt_.value_size));
    // Keys of each shard: k = j * nservers + shard, j in [0, shard_keys).
    nservers_ = opt_.servers.size();
  }
  ~Worker() {
    for (auto& c : conns_) {
      if (c.ssl) SSL_free(c.ssl);
      if (c.fd >= 0) ::close(c.fd);
    }
    if (ep_ >= 0) ::close(ep_);
  }

  Stats populate_stats, load_stats;
  // Requests and keys completed in the load phase (warm-up and window), read by the SIGUSR1 handler:
  // one writer (this worker), relaxed load + store, no locked instruction.
  std::atomic<uint64_t> done_reqs{0}, done_keys{0};

  // Set every key of the shards this worker's connections serve; connections share per-shard counters.
  void run_populate() {
    phase_ = Phase::Populate;
    stats_ = &populate_stats;
    int64_t deadline = now_ns() + int64_t(120e9);
    connect_all(deadline);
    for (size_t i = 0; i < conns_.size(); ++i)
      if (conns_[i].connected) fill(i);
    while (active_ > 0 && now_ns() < deadline) poll_once(10);
  }

  void run_load() {
    phase_ = Phase::Load;
    stats_ = &load_stats;
    connect_all(sh_.window_start);
    for (size_t i = 0; i < conns_.size(); ++i)
      if (conns_[i].connected) fill(i);
    while (now_ns() < sh_.window_end) {
      poll_once(5);
      retry_connects();
    }
  }

  uint64_t connected_count() const {
    uint64_t n = 0;
    for (auto& c : conns_) n += c.connected;
    return n;
  }

 private:
  enum class Phase { Populate, Load };

  void connect_all(int64_t deadline) {
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].connected) continue;
      while (!open_conn(i) && now_ns() < deadline) {
        ++stats_->connect_errors;
        struct timespec ts{0, 50'000'000};
        nanosleep(&ts, nullptr);
      }
    }
  }

  void retry_connects() {
    int64_t t = now_ns();
    for (size_t i = 0; i < conns_.size(); ++i) {
      Conn& c = conns_[i];
      if (c.fd < 0 && c.reconnect_at && t >= c.reconnect_at) {
        c.reconnect_at = 0;
        if (open_conn(i)) {
          fill(i);
        } else {
          ++stats_->connect_errors;
          c.reconnect_at = t + 100'000'000;
        }
      }
    }
  }

  // Blocking connect (loopback: immediate), then non-blocking I/O.
  bool open_conn(size_t i) {
    Conn& c = conns_[i];
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const sockaddr_in& sa = opt_.servers[size_t(c.server)];
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (g_tls) {  // blocking handshake (loopback), then non-blocking records
      SSL* ssl = SSL_new(g_tls);
      SSL_set_fd(ssl, fd);
      SSL_set_tlsext_host_name(ssl, "localhost");
      SSL_set1_host(ssl, "localhost");
      if (SSL_connect(ssl) != 1) {
        ERR_print_errors_fp(stderr);
        SSL_free(ssl);
        ::close(fd);
        return false;
      }
      c.ssl = ssl;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      return false;
    }
    c.fd = fd;
    c.connected = true;
    c.want_out = false;
    c.head = c.inflight = 0;
    c.out.clear();
    c.out_off = 0;
    c.in_len = 0;
    return true;
  }

  void drop_conn(size_t i, const char* kind) {
    Conn& c = conns_[i];
    if (c.inflight > 0) {
      if (phase_ == Phase::Populate) {
        stats_->populate_errors += c.inflight;
        active_ -= int64_t(c.inflight);
      } else if (in_window(now_ns())) {
        stats_->error(kind);
      }
    } else if (phase_ == Phase::Load && in_window(now_ns())) {
      stats_->error(kind);
    }
    if (c.ssl) {
      SSL_free(c.ssl);
      c.ssl = nullptr;
    }
    if (c.fd >= 0) {
      epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
    }
    c.fd = -1;
    c.connected = false;
    c.head = c.inflight = 0;
    c.in_len = 0;
    c.reconnect_at = phase_ == Phase::Load ? now_ns() + 100'000'000 : 0;
  }

  bool in_window(int64_t t) const { return t >= sh_.window_start && t < sh_.window_end; }

  // Top connection i up to --depth requests in flight, then write them all at once.
  void fill(size_t i) {
    Conn& c = conns_[i];
    if (c.fd < 0) return;
    bool added = false;
    while (c.inflight < c.ring.size() && issue(i)) added = true;
    if (added) flush_out(i);
  }

  // Append the next request of connection i to its output; false when there is none to send (populate
  // done, window over).
  bool issue(size_t i) {
    Conn& c = conns_[i];
    uint64_t shard = uint64_t(c.server);
    uint64_t shard_keys = (opt_.keys - shard + nservers_ - 1) / nservers_;
    Op op;
    int n = 1;
    uint64_t picked[kMaxMultiget];
    if (phase_ == Phase::Populate) {
      uint64_t j = sh_.populate_next[shard]->fetch_add(1, std::memory_order_relaxed);
      if (j >= shard_keys) return false;
      op = Op::Set;
      picked[0] = j;
      ++active_;
    } else {
      if (now_ns() >= sh_.window_end) return false;
      op = rng_.uniform() < opt_.get_ratio ? Op::Get : Op::Set;
      if (op == Op::Get) n = opt_.multiget;
      for (int k = 0; k < n; ++k) {  // distinct keys (parse_args checks the shard has enough)
        for (;;) {
          uint64_t j = rng_.next() % shard_keys;
          bool dup = false;
          for (int m = 0; m < k && !dup; ++m) dup = picked[m] == j;
          if (!dup) {
            picked[k] = j;
            break;
          }
        }
      }
    }
    if (c.out_off == c.out.size()) {
      c.out.clear();
      c.out_off = 0;
    }
    Pending& p = c.push();
    p.op = op;
    p.nkeys = n;
    std::string& o = c.out;
    char num[32];
    if (op == Op::Get) {
      o.append("get");
      for (int k = 0; k < n; ++k) {
        p.keys[k] = picked[k] * nservers_ + shard;
        int nl = std::snprintf(num, sizeof num, "%" PRIu64, p.keys[k]);
        o.push_back(' ');
        o.append(opt_.key_prefix);
        o.append(num, size_t(nl));
      }
      o.append("\r\n");
    } else {
      p.keys[0] = picked[0] * nservers_ + shard;
      int nl = std::snprintf(num, sizeof num, "%" PRIu64, p.keys[0]);
      o.append("set ");
      o.append(opt_.key_prefix);
      o.append(num, size_t(nl));
      char hdr[48];
      int hl = std::snprintf(hdr, sizeof hdr, " 0 0 %d\r\n", opt_.value_size);
      o.append(hdr, size_t(hl));
      size_t at = o.size();
      o.resize(at + size_t(opt_.value_size));
      make_value(p.keys[0], opt_.value_size, o.data() + at);
      o.append("\r\n");
    }
    p.sent_at = now_ns();
    return true;
  }

  void flush_out(size_t i) {
    Conn& c = conns_[i];
    while (c.out_off < c.out.size()) {
      if (c.ssl) {
        int n = SSL_write(c.ssl, c.out.data() + c.out_off, int(c.out.size() - c.out_off));
        if (n > 0) {
          c.out_off += size_t(n);
          continue;
        }
        int err = SSL_get_error(c.ssl, n);
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
          if (!c.want_out) set_events(i, true);
          return;
        }
        drop_conn(i, "send_failed");
        return;
      }
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += size_t(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!c.want_out) set_events(i, true);
        return;
      }
      drop_conn(i, "send_failed");
      return;
    }
    if (c.want_out) set_events(i, false);
  }

  void set_events(size_t i, bool out) {
    Conn& c = conns_[i];
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0u);
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_out = out;
  }

  void poll_once(int timeout_ms) {
    epoll_event evs[256];
    int n = epoll_wait(ep_, evs, 256, timeout_ms);
    for (int k = 0; k < n; ++k) {
      size_t i = size_t(evs[k].data.u64);
      Conn& c = conns_[i];
      if (c.fd < 0) continue;
      if (evs[k].events & EPOLLOUT) flush_out(i);
      if (c.fd < 0) continue;
      if (evs[k].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(i);
    }
  }

  // Read, take every complete reply, replace each by a new request (written together), and go back to
  // epoll after a short read (level-triggered: whatever is left is reported again).
  void on_readable(size_t i) {
    Conn& c = conns_[i];
    for (;;) {
      if (c.in_len == c.in.size()) {
        drop_conn(i, "reply_too_long");
        return;
      }
      size_t room = c.in.size() - c.in_len;
      ssize_t n;
      if (c.ssl) {
        int r = SSL_read(c.ssl, c.in.data() + c.in_len, int(room));
        if (r <= 0) {
          int err = SSL_get_error(c.ssl, r);
          if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
          drop_conn(i, err == SSL_ERROR_ZERO_RETURN ? "closed_by_server" : "recv_failed");
          return;
        }
        n = r;
      } else {
        n = ::recv(c.fd, c.in.data() + c.in_len, room, 0);
      }
      if (n > 0) {
        c.in_len += size_t(n);
        int done = parse_replies(i);
        if (done < 0) return;  // dropped
        if (done > 0) fill(i);
        if (c.fd < 0) return;
        bool more = c.ssl ? SSL_pending(c.ssl) > 0 : size_t(n) == room;
        if (!more) return;
        continue;
      }
      if (n == 0) {
        drop_conn(i, "closed_by_server");
        return;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      drop_conn(i, "recv_failed");
      return;
    }
  }

  // Takes every complete reply at the start of the input; returns how many, or -1 if the connection
  // was dropped. Keeps an incomplete reply's bytes at the start of the buffer.
  int parse_replies(size_t i) {
    Conn& c = conns_[i];
    size_t off = 0;
    int done = 0;
    while (off < c.in_len) {
      if (c.inflight == 0) {
        drop_conn(i, "unsolicited_data");  // nothing asked for: out of protocol
        return -1;
      }
      size_t used = 0;
      int r = parse_one(i, c.in.data() + off, c.in_len - off, used);
      if (r < 0) return -1;
      if (r == 0) break;
      off += used;
      ++done;
    }
    if (off > 0) {
      std::memmove(c.in.data(), c.in.data() + off, c.in_len - off);
      c.in_len -= off;
    }
    return done;
  }

  // The key index named by a VALUE line's key, or false if it is not one of ours.
  bool key_index(std::string_view key, uint64_t& out) const {
    if (!key.starts_with(opt_.key_prefix)) return false;
    key.remove_prefix(opt_.key_prefix.size());
    if (key.empty() || key.size() > 19) return false;
    uint64_t v = 0;
    for (char ch : key) {
      if (ch < '0' || ch > '9') return false;
      v = v * 10 + uint64_t(ch - '0');
    }
    out = v;
    return true;
  }

  // Parses the reply to the oldest request in flight from data[0, len). Returns 1 with `used` set when
  // it is complete (and records it), 0 when more bytes are needed, -1 when the connection was dropped.
  int parse_one(size_t i, const char* data, size_t len, size_t& used) {
    Conn& c = conns_[i];
    Pending& p = c.front();
    std::string_view buf(data, len);
    size_t pos = 0;
    const char* kind = nullptr;  // error kind, nullptr = success
    int hits = 0;
    int next_key = 0;  // VALUEs come in request order: keys before this one were answered or missed
    for (;;) {
      size_t eol = buf.find("\r\n", pos);
      if (eol == std::string_view::npos) return 0;
      std::string_view line = buf.substr(pos, eol - pos);
      size_t after = eol + 2;
      if (line.starts_with("SERVER_ERROR")) {
        kind = "server_error";
      } else if (line.starts_with("CLIENT_ERROR")) {
        kind = "client_error";
      } else if (line == "ERROR") {
        kind = "error";
      } else if (p.op == Op::Set) {
        if (line != "STORED") kind = line == "NOT_STORED" ? "not_stored" : "bad_reply";
      } else if (line == "END") {
      } else if (line.starts_with("VALUE ")) {
        // VALUE <key> <flags> <bytes> [<cas>]
        std::string_view rest = line.substr(6);
        size_t sp = rest.find(' ');
        uint64_t key = 0;
        if (sp == std::string_view::npos || !key_index(rest.substr(0, sp), key)) {
          drop_conn(i, "wrong_key");
          return -1;
        }
        int m = next_key;
        while (m < p.nkeys && p.keys[m] != key) ++m;
        if (m == p.nkeys) {  // not asked for, asked for once but returned twice, or out of order
          drop_conn(i, "wrong_key");
          return -1;
        }
        next_key = m + 1;
        rest = rest.substr(sp + 1);
        sp = rest.find(' ');
        if (sp == std::string_view::npos) {
          drop_conn(i, "bad_reply");
          return -1;
        }
        rest = rest.substr(sp + 1);
        char* end = nullptr;
        std::string nbuf(rest.substr(0, rest.find(' ')));
        unsigned long long bytes = std::strtoull(nbuf.c_str(), &end, 10);
        if (nbuf.empty() || *end != '\0' || bytes > c.in.size()) {
          drop_conn(i, "bad_reply");
          return -1;
        }
        size_t need = after + size_t(bytes) + 2;  // data \r\n
        if (len < need) {
          if (need > c.in.size()) {
            drop_conn(i, "reply_too_long");
            return -1;
          }
          return 0;
        }
        if (buf.substr(after + size_t(bytes), 2) != "\r\n") {
          drop_conn(i, "bad_reply");
          return -1;
        }
        if (bytes != uint64_t(opt_.value_size)) {
          kind = "wrong_value";
        } else {
          make_value(key, opt_.value_size, value_buf_.data());
          if (std::memcmp(value_buf_.data(), data + after, size_t(bytes)) != 0) kind = "wrong_value";
        }
        ++hits;
        pos = need;
        continue;  // the next VALUE or END
      } else {
        drop_conn(i, "bad_reply");
        return -1;
      }
      pos = after;
      break;  // END, a store's reply or an error line ends the reply
    }
    used = pos;

    int64_t t = now_ns();
    Op op = p.op;
    int nkeys = p.nkeys;
    int64_t sent_at = p.sent_at;
    c.pop();
    if (phase_ == Phase::Populate) {
      --active_;
      if (kind)
        ++stats_->populate_errors;
      else
        ++stats_->populated;
      return 1;
    }
    done_reqs.store(done_reqs.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    done_keys.store(done_keys.load(std::memory_order_relaxed) + uint64_t(nkeys), std::memory_order_relaxed);
    if (in_window(t)) {
      Stats& s = *stats_;
      ++s.ops;
      s.keys += uint64_t(nkeys);
      s.hist.record(uint64_t(t - sent_at));
      if (op == Op::Get) {
        ++s.gets;
        s.get_keys += uint64_t(nkeys);
        if (!kind) {
          s.hits += uint64_t(hits);
          s.misses += uint64_t(nkeys - hits);
        }
      } else {
        ++s.sets;
      }
      if (kind) s.error(kind);
    }
    return 1;
  }

  Shared& sh_;
  const Options& opt_;
  int id_;
  int ep_ = -1;
  uint64_t nservers_ = 1;
  Rng rng_{};
  std::vector<Conn> conns_;
  std::vector<char> value_buf_;
  Phase phase_ = Phase::Populate;
  Stats* stats_ = nullptr;
  int64_t active_ = 0;  // populate requests in flight
};

// --------------------------------------------------------------------------------------------- marks
// SIGUSR1 -> one mark. Only the sampler thread leaves SIGUSR1 unblocked, so the workers' system calls are
// never interrupted; the handler reads the workers' atomic counters (lock-free: async-signal-safe).
struct Mark {
  int64_t t_ns;
  uint64_t reqs, keys;
};
constexpr int kMaxMarks = 64;
Mark g_marks[kMaxMarks];
std::atomic<int> g_nmarks{0};
Worker* const* g_workers = nullptr;
size_t g_nworkers = 0;

void on_mark_signal(int) {
  int k = g_nmarks.load();
  if (k >= kMaxMarks || g_workers == nullptr) return;
  Mark& m = g_marks[k];
  m.t_ns = now_ns();
  m.reqs = m.keys = 0;
  for (size_t w = 0; w < g_nworkers; ++w) {
    m.reqs += g_workers[w]->done_reqs.load(std::memory_order_relaxed);
    m.keys += g_workers[w]->done_keys.load(std::memory_order_relaxed);
  }
  g_nmarks.store(k + 1);
}

// -------------------------------------------------------------------------------------------- output
std::string json_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      o += '\\';
      o += ch;
    } else if (uint8_t(ch) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", ch);
      o += b;
    } else {
      o += ch;
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse_args(argc, argv);
  if (!opt.tls_ca.empty()) {
    g_tls = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_mode(g_tls, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_load_verify_locations(g_tls, opt.tls_ca.c_str(), nullptr) != 1) usage("cannot load --tls-ca");
    SSL_CTX_set_verify(g_tls, SSL_VERIFY_PEER, nullptr);
  }
  Shared sh;
  sh.opt = &opt;
  for (size_t s = 0; s < opt.servers.size(); ++s) sh.populate_next.push_back(std::make_unique<std::atomic<uint64_t>>(0));

  // Connection i -> server i % nservers, worker i % threads.
  std::vector<std::vector<int>> per_worker(size_t(opt.threads));
  for (int i = 0; i < opt.connections; ++i)
    per_worker[size_t(i % opt.threads)].push_back(int(size_t(i) % opt.servers.size()));
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < opt.threads; ++t) workers.push_back(std::make_unique<Worker>(sh, t, per_worker[size_t(t)]));
  std::vector<Worker*> worker_ptrs;
  for (auto& w : workers) worker_ptrs.push_back(w.get());
  g_workers = worker_ptrs.data();
  g_nworkers = worker_ptrs.size();
  // SIGUSR1 (marks) is blocked here and so in every thread started from here, except the sampler.
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, nullptr);
  struct sigaction sa{};
  sa.sa_handler = on_mark_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, nullptr);

  auto run_all = [&](auto fn) {
    if (workers.size() == 1) {
      fn(*workers[0]);
      return;
    }
    std::vector<std::thread> ts;
    for (auto& w : workers) ts.emplace_back([&fn, &w] { fn(*w); });
    for (auto& t : ts) t.join();
  };

  // Phase 1: populate.
  int64_t pop_start = now_ns();
  if (opt.populate) run_all([](Worker& w) { w.run_populate(); });
  double populate_s = double(now_ns() - pop_start) / 1e9;
  uint64_t populated = 0, populate_errors = 0;
  for (auto& w : workers) {
    populated += w->populate_stats.populated;
    populate_errors += w->populate_stats.populate_errors;
  }

  // Phases 2 and 3: warm-up then window. The main thread samples CPU at the window's edges.
  int64_t t0 = now_ns();
  sh.window_start = t0 + int64_t(opt.warmup * 1e9);
  sh.window_end = sh.window_start + int64_t(opt.duration * 1e9);

  std::vector<CpuSample> cpu_before(opt.cpu_pids.size()), cpu_after(opt.cpu_pids.size());
  CpuSample self_before, self_after;
  MachineSample mach_before, mach_after;
  int64_t sampled_start = 0, sampled_end = 0;
  auto sampler = [&] {
    pthread_sigmask(SIG_UNBLOCK, &usr1, nullptr);  // this thread takes the marks
    sleep_until_ns(sh.window_start);
    sampled_start = now_ns();
    for (size_t k = 0; k < opt.cpu_pids.size(); ++k) cpu_before[k] = sample_pid(opt.cpu_pids[k]);
    self_before = sample_pid(int(getpid()));
    mach_before = sample_machine();
    if (opt.print_window_events) {
      std::fputs("window_start\n", stderr);
      std::fflush(stderr);
    }
    sleep_until_ns(sh.window_end);
    sampled_end = now_ns();
    for (size_t k = 0; k < opt.cpu_pids.size(); ++k) cpu_after[k] = sample_pid(opt.cpu_pids[k]);
    self_after = sample_pid(int(getpid()));
    mach_after = sample_machine();
    if (opt.print_window_events) {
      std::fputs("window_end\n", stderr);
      std::fflush(stderr);
    }
    pthread_sigmask(SIG_BLOCK, &usr1, nullptr);  // a late mark is not taken
  };
  std::thread sampler_thread(sampler);
  run_all([](Worker& w) { w.run_load(); });
  sampler_thread.join();

  Stats total;
  uint64_t connected = 0, connect_errors = 0;
  for (auto& w : workers) {
    const Stats& s = w->load_stats;
    total.hist.merge(s.hist);
    total.ops += s.ops;
    total.gets += s.gets;
    total.sets += s.sets;
    total.hits += s.hits;
    total.misses += s.misses;
    total.keys += s.keys;
    total.get_keys += s.get_keys;
    total.errors += s.errors;
    for (auto& [k, v] : s.error_kinds) total.error_kinds[k] += v;
    connected += w->connected_count();
    connect_errors += s.connect_errors + w->populate_stats.connect_errors;
  }

  double window_s = double(sampled_end - sampled_start) / 1e9;
  double dur = opt.duration;
  long tck = sysconf(_SC_CLK_TCK);
  auto us = [](double ns) { return ns / 1000.0; };

  std::string j = "{";
  auto add = [&j](const std::string& k, const std::string& v) {
    if (j.size() > 1) j += ", ";
    j += "\"" + k + "\": " + v;
  };
  auto num = [](double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.6g", v);
    return std::string(b);
  };
  auto u64 = [](uint64_t v) { return std::to_string(v); };
  std::string servers = "[";
  for (size_t k = 0; k < opt.server_names.size(); ++k)
    servers += (k ? ", \"" : "\"") + json_escape(opt.server_names[k]) + "\"";
  servers += "]";
  add("servers", servers);
  add("threads", std::to_string(opt.threads));
  add("connections", std::to_string(opt.connections));
  add("connections_open_at_end", u64(connected));
  add("connect_errors", u64(connect_errors));
  add("get_ratio", num(opt.get_ratio));
  add("value_size", std::to_string(opt.value_size));
  add("depth", std::to_string(opt.depth));
  add("multiget", std::to_string(opt.multiget));
  add("keys", u64(opt.keys));
  add("populated", u64(populated));
  add("populate_errors", u64(populate_errors));
  add("populate_s", num(populate_s));
  add("warmup_s", num(opt.warmup));
  add("duration_s", num(dur));
  add("window_sampled_s", num(window_s));
  add("ops", u64(total.ops));
  add("ops_per_sec", num(double(total.ops) / dur));
  add("gets", u64(total.gets));
  add("sets", u64(total.sets));
  add("keys", u64(total.keys));
  add("get_keys", u64(total.get_keys));
  add("get_hits", u64(total.hits));
  add("get_misses", u64(total.misses));
  add("errors", u64(total.errors));
  std::string kinds = "{";
  for (auto& [k, v] : total.error_kinds) kinds += (kinds.size() > 1 ? ", \"" : "\"") + k + "\": " + u64(v);
  kinds += "}";
  add("error_kinds", kinds);
  const Histogram& h = total.hist;
  add("latency_us", "{\"mean\": " + num(us(h.mean())) + ", \"p50\": " + num(us(h.percentile(50))) +
                        ", \"p90\": " + num(us(h.percentile(90))) + ", \"p99\": " + num(us(h.percentile(99))) +
                        ", \"p999\": " + num(us(h.percentile(99.9))) + ", \"max\": " + num(us(double(h.max()))) +
                        "}");
  auto cpu_json = [&](const CpuSample& a, const CpuSample& b) {
    if (!a.ok || !b.ok) return std::string("null");
    std::string o = "{\"stat_ticks\": " + u64(b.ticks - a.ticks) +
                    ", \"stat_us\": " + num(double(b.ticks - a.ticks) * 1e6 / double(tck)) +
                    ", \"user_us\": " + num(double(b.utime - a.utime) * 1e6 / double(tck)) +
                    ", \"system_us\": " + num(double(b.stime - a.stime) * 1e6 / double(tck));
    if (a.sched_ok && b.sched_ok && b.sched_ns >= a.sched_ns)
      o += ", \"schedstat_us\": " + num(double(b.sched_ns - a.sched_ns) / 1000.0);
    else
      o += ", \"schedstat_us\": null";
    o += ", \"threads\": " + std::to_string(b.threads) + "}";
    return o;
  };
  std::string cpu = "{";
  for (size_t k = 0; k < opt.cpu_pids.size(); ++k)
    cpu += (k ? ", \"" : "\"") + std::to_string(opt.cpu_pids[k]) + "\": " + cpu_json(cpu_before[k], cpu_after[k]);
  cpu += "}";
  add("cpu", cpu);
  add("loadgen_cpu", cpu_json(self_before, self_after));
  if (mach_before.ok && mach_after.ok && mach_after.total > mach_before.total) {
    double busy = double(mach_after.busy - mach_before.busy);
    double total_t = double(mach_after.total - mach_before.total);
    add("machine", "{\"busy_cpu_s\": " + num(busy / double(tck)) + ", \"total_cpu_s\": " +
                       num(total_t / double(tck)) + ", \"busy_fraction\": " + num(busy / total_t) + "}");
  } else {
    add("machine", "null");
  }
  std::string marks = "[";
  for (int k = 0; k < std::min(g_nmarks.load(), kMaxMarks); ++k)
    marks += std::string(k ? ", " : "") + "{\"t_s\": " + num(double(g_marks[k].t_ns - sh.window_start) / 1e9) +
             ", \"requests\": " + u64(g_marks[k].reqs) + ", \"keys\": " + u64(g_marks[k].keys) + "}";
  marks += "]";
  add("marks", marks);  // t_s: seconds since the window's start
  j += "}";
  std::printf("%s\n", j.c_str());
  std::fflush(stdout);
  // Skip destructors' orderly close of 50 sockets racing the servers; the kernel closes them.
  std::_Exit(total.ops > 0 ? 0 : 2);
}
