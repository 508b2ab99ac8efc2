// TLS contexts (proxy/tls_context.hpp) and the certificate reloader (proxy/tls_reloader.hpp), without sockets:
// what start-up says about bad files, and when a rotation installs a new context. Certificates are made
// with the openssl CLI (as the integration tests do); the reloader cases are skipped without it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "proxy/tls_context.hpp"
#include "proxy/tls_reloader.hpp"

using namespace mcrelay;
namespace fs = std::filesystem;

namespace {

std::string error_of(auto&& make) {
  try {
    make();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// A self-signed certificate and key named NAME.crt / NAME.key in `dir`; false without the openssl CLI.
bool make_cert(const fs::path& dir, const std::string& name) {
  const std::string cmd = "cd '" + dir.string() +
                          "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
                          name + ".key -out " + name + ".crt -days 1 -subj /CN=" + name + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mcrelay-tls-unit-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("TLS contexts: start-up errors name the flag and the file", "[tls]") {
  CHECK(error_of([] { make_server_tls_context({"", "", ""}, false); }) ==
        "TLS listeners (--ssl-port) need --server-pem-cert-path and --server-pem-key-path");
  CHECK(error_of([] { make_server_tls_context({"/nonexistent.crt", "/nonexistent.key", ""}, false); }) ==
        "--server-pem-cert-path /nonexistent.crt: No such file or directory");
  CHECK(error_of([] { make_server_tls_context({"/c", "/k", ""}, true); }) ==
        "--ssl-require-peer-certs needs --server-pem-ca-path (the CA of client certificates)");
  CHECK(error_of([] { make_client_tls_context({"/c", "", ""}); }) ==
        "--pem-cert-path and --pem-key-path go together (the client certificate and its key)");
  CHECK(error_of([] { make_client_tls_context({"", "", "/nonexistent-ca.crt"}); }).starts_with(
      "--pem-ca-path /nonexistent-ca.crt: "));
  CHECK(make_client_tls_context({}) != nullptr);  // no files: the system's CAs
}

TEST_CASE("TLS reloader: a changed certificate installs a new context; a broken one keeps the old", "[tls]") {
  TempDir dir;
  if (!make_cert(dir.path, "a") || !make_cert(dir.path, "b")) {
    WARN("openssl CLI not available: skipped");
    return;
  }
  const auto crt = dir.path / "tls.crt", key = dir.path / "tls.key";
  fs::copy_file(dir.path / "a.crt", crt);
  fs::copy_file(dir.path / "a.key", key);
  TlsReloader reloader({crt.string(), key.string(), ""}, false);
  auto first = reloader.current();
  REQUIRE(first != nullptr);
  CHECK_FALSE(reloader.poll());  // nothing changed
  CHECK(reloader.current() == first);

  // A rotation: both files replaced (new inodes, as a Secret update's symlink swap gives).
  fs::remove(crt);
  fs::remove(key);
  fs::copy_file(dir.path / "b.crt", crt);
  fs::copy_file(dir.path / "b.key", key);
  CHECK(reloader.poll());
  auto second = reloader.current();
  CHECK(second != first);
  CHECK_FALSE(reloader.poll());

  // Half a rotation: the certificate changed, the key not yet: the working context stays.
  fs::remove(crt);
  fs::copy_file(dir.path / "a.crt", crt);
  CHECK_FALSE(reloader.poll());
  CHECK(reloader.current() == second);
  // The key arrives: now it loads.
  fs::remove(key);
  fs::copy_file(dir.path / "a.key", key);
  CHECK(reloader.poll());
  CHECK(reloader.current() != second);
}
