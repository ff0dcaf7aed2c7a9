// Symbolic names for this host's errno, signal, si_code and aio_cancel
// numbers (declared in observation.h and host_names.h).
//
// Logs spell these symbolically so they stay portable between libcs and
// architectures whose numbers differ; this file is the only place that maps
// names to the numbers of the host that reads the log.
#include "harness/observation/host_names.h"

#include <aio.h>
#include <errno.h>
#include <signal.h>

#include <charconv>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "harness/observation/observation.h"

namespace aiospec {
namespace {

struct NameValue {
  const char* name;
  int value;
};

// The first entry for a value is its canonical name; later ones are aliases
// (EWOULDBLOCK == EAGAIN on Linux).
#define AIOSPEC_ENTRY(x) {#x, x},
constexpr NameValue kErrnos[] = {
    AIOSPEC_ENTRY(EPERM) AIOSPEC_ENTRY(ENOENT) AIOSPEC_ENTRY(ESRCH)
    AIOSPEC_ENTRY(EINTR) AIOSPEC_ENTRY(EIO) AIOSPEC_ENTRY(ENXIO)
    AIOSPEC_ENTRY(E2BIG) AIOSPEC_ENTRY(ENOEXEC) AIOSPEC_ENTRY(EBADF)
    AIOSPEC_ENTRY(ECHILD) AIOSPEC_ENTRY(EAGAIN) AIOSPEC_ENTRY(ENOMEM)
    AIOSPEC_ENTRY(EACCES) AIOSPEC_ENTRY(EFAULT) AIOSPEC_ENTRY(EBUSY)
    AIOSPEC_ENTRY(EEXIST) AIOSPEC_ENTRY(EXDEV) AIOSPEC_ENTRY(ENODEV)
    AIOSPEC_ENTRY(ENOTDIR) AIOSPEC_ENTRY(EISDIR) AIOSPEC_ENTRY(EINVAL)
    AIOSPEC_ENTRY(ENFILE) AIOSPEC_ENTRY(EMFILE) AIOSPEC_ENTRY(ENOTTY)
    AIOSPEC_ENTRY(ETXTBSY) AIOSPEC_ENTRY(EFBIG) AIOSPEC_ENTRY(ENOSPC)
    AIOSPEC_ENTRY(ESPIPE) AIOSPEC_ENTRY(EROFS) AIOSPEC_ENTRY(EMLINK)
    AIOSPEC_ENTRY(EPIPE) AIOSPEC_ENTRY(EDOM) AIOSPEC_ENTRY(ERANGE)
    AIOSPEC_ENTRY(EDEADLK) AIOSPEC_ENTRY(ENAMETOOLONG) AIOSPEC_ENTRY(ENOLCK)
    AIOSPEC_ENTRY(ENOSYS) AIOSPEC_ENTRY(ENOTEMPTY) AIOSPEC_ENTRY(ELOOP)
    AIOSPEC_ENTRY(ENOMSG) AIOSPEC_ENTRY(EIDRM) AIOSPEC_ENTRY(ENOSTR)
    AIOSPEC_ENTRY(ENODATA) AIOSPEC_ENTRY(ETIME) AIOSPEC_ENTRY(ENOSR)
    AIOSPEC_ENTRY(ENOLINK) AIOSPEC_ENTRY(EPROTO) AIOSPEC_ENTRY(EMULTIHOP)
    AIOSPEC_ENTRY(EBADMSG) AIOSPEC_ENTRY(EOVERFLOW) AIOSPEC_ENTRY(EILSEQ)
    AIOSPEC_ENTRY(ENOTSOCK) AIOSPEC_ENTRY(EDESTADDRREQ)
    AIOSPEC_ENTRY(EMSGSIZE) AIOSPEC_ENTRY(EPROTOTYPE)
    AIOSPEC_ENTRY(ENOPROTOOPT) AIOSPEC_ENTRY(EPROTONOSUPPORT)
    AIOSPEC_ENTRY(EOPNOTSUPP) AIOSPEC_ENTRY(EAFNOSUPPORT)
    AIOSPEC_ENTRY(EADDRINUSE) AIOSPEC_ENTRY(EADDRNOTAVAIL)
    AIOSPEC_ENTRY(ENETDOWN) AIOSPEC_ENTRY(ENETUNREACH)
    AIOSPEC_ENTRY(ENETRESET) AIOSPEC_ENTRY(ECONNABORTED)
    AIOSPEC_ENTRY(ECONNRESET) AIOSPEC_ENTRY(ENOBUFS) AIOSPEC_ENTRY(EISCONN)
    AIOSPEC_ENTRY(ENOTCONN) AIOSPEC_ENTRY(ETIMEDOUT)
    AIOSPEC_ENTRY(ECONNREFUSED) AIOSPEC_ENTRY(EHOSTUNREACH)
    AIOSPEC_ENTRY(EALREADY) AIOSPEC_ENTRY(EINPROGRESS) AIOSPEC_ENTRY(ESTALE)
    AIOSPEC_ENTRY(EDQUOT) AIOSPEC_ENTRY(ECANCELED) AIOSPEC_ENTRY(EOWNERDEAD)
    AIOSPEC_ENTRY(ENOTRECOVERABLE) AIOSPEC_ENTRY(ENOTSUP)
    AIOSPEC_ENTRY(EWOULDBLOCK) AIOSPEC_ENTRY(EDEADLOCK)
};

constexpr NameValue kSignals[] = {
    AIOSPEC_ENTRY(SIGHUP) AIOSPEC_ENTRY(SIGINT) AIOSPEC_ENTRY(SIGQUIT)
    AIOSPEC_ENTRY(SIGILL) AIOSPEC_ENTRY(SIGTRAP) AIOSPEC_ENTRY(SIGABRT)
    AIOSPEC_ENTRY(SIGBUS) AIOSPEC_ENTRY(SIGFPE) AIOSPEC_ENTRY(SIGKILL)
    AIOSPEC_ENTRY(SIGUSR1) AIOSPEC_ENTRY(SIGSEGV) AIOSPEC_ENTRY(SIGUSR2)
    AIOSPEC_ENTRY(SIGPIPE) AIOSPEC_ENTRY(SIGALRM) AIOSPEC_ENTRY(SIGTERM)
    AIOSPEC_ENTRY(SIGCHLD) AIOSPEC_ENTRY(SIGCONT) AIOSPEC_ENTRY(SIGSTOP)
    AIOSPEC_ENTRY(SIGTSTP) AIOSPEC_ENTRY(SIGTTIN) AIOSPEC_ENTRY(SIGTTOU)
    AIOSPEC_ENTRY(SIGURG) AIOSPEC_ENTRY(SIGXCPU) AIOSPEC_ENTRY(SIGXFSZ)
    AIOSPEC_ENTRY(SIGVTALRM) AIOSPEC_ENTRY(SIGPROF) AIOSPEC_ENTRY(SIGWINCH)
    AIOSPEC_ENTRY(SIGIO) AIOSPEC_ENTRY(SIGSYS)
#ifdef SIGSTKFLT
    AIOSPEC_ENTRY(SIGSTKFLT)
#endif
#ifdef SIGPWR
    AIOSPEC_ENTRY(SIGPWR)
#endif
    AIOSPEC_ENTRY(SIGIOT) AIOSPEC_ENTRY(SIGPOLL)
};

constexpr NameValue kSiCodes[] = {
    AIOSPEC_ENTRY(SI_ASYNCIO) AIOSPEC_ENTRY(SI_QUEUE) AIOSPEC_ENTRY(SI_USER)
    AIOSPEC_ENTRY(SI_TIMER) AIOSPEC_ENTRY(SI_MESGQ)
#ifdef SI_TKILL
    AIOSPEC_ENTRY(SI_TKILL)
#endif
#ifdef SI_SIGIO
    AIOSPEC_ENTRY(SI_SIGIO)
#endif
#ifdef SI_KERNEL
    AIOSPEC_ENTRY(SI_KERNEL)
#endif
};

constexpr NameValue kCancelResults[] = {
    AIOSPEC_ENTRY(AIO_CANCELED) AIOSPEC_ENTRY(AIO_NOTCANCELED)
    AIOSPEC_ENTRY(AIO_ALLDONE)
};
#undef AIOSPEC_ENTRY

template <size_t N>
const char* FindName(const NameValue (&table)[N], int value) {
  for (const NameValue& e : table) {
    if (e.value == value) return e.name;
  }
  return nullptr;
}

template <size_t N>
std::optional<int> FindValue(const NameValue (&table)[N],
                             std::string_view name) {
  for (const NameValue& e : table) {
    if (name == e.name) return e.value;
  }
  return std::nullopt;
}

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::optional<int> ParseDecimalInt(std::string_view text) {
  int value = 0;
  if (text.empty()) return std::nullopt;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string ErrnoName(int err) {
  if (const char* name = FindName(kErrnos, err)) return name;
  if (err == 0) return "0";
  return absl::StrCat("E#", err);
}

std::optional<int> ErrnoFromName(std::string_view name) {
  if (std::optional<int> v = FindValue(kErrnos, name)) return v;
  if (ConsumePrefix(&name, "E#")) return ParseDecimalInt(name);
  return ParseDecimalInt(name);
}

std::string SignalName(int signo) {
  // Real-time signals first: SIGRTMIN is a runtime value in glibc and musl.
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    if (signo == SIGRTMIN) return "SIGRTMIN";
    return absl::StrCat("SIGRTMIN+", signo - SIGRTMIN);
  }
  if (const char* name = FindName(kSignals, signo)) return name;
  return absl::StrCat(signo);
}

std::optional<int> SignalFromName(std::string_view name) {
  if (std::optional<int> v = FindValue(kSignals, name)) return v;
  std::string_view rest = name;
  for (auto [prefix, base, sign] :
       {std::tuple{"SIGRTMIN", SIGRTMIN, 1}, std::tuple{"SIGRTMAX", SIGRTMAX, -1}}) {
    rest = name;
    if (!ConsumePrefix(&rest, prefix)) continue;
    if (rest.empty()) return base;
    if (!ConsumePrefix(&rest, sign > 0 ? "+" : "-")) return std::nullopt;
    std::optional<int> k = ParseDecimalInt(rest);
    if (!k.has_value() || *k < 0) return std::nullopt;
    int signo = base + sign * *k;
    if (signo < SIGRTMIN || signo > SIGRTMAX) return std::nullopt;
    return signo;
  }
  std::optional<int> n = ParseDecimalInt(name);
  if (n.has_value() && (*n < 0 || *n > 1024)) return std::nullopt;
  return n;
}

std::string SiCodeName(int code) {
  if (const char* name = FindName(kSiCodes, code)) return name;
  return absl::StrCat(code);
}

std::optional<int> SiCodeFromName(std::string_view name) {
  if (std::optional<int> v = FindValue(kSiCodes, name)) return v;
  return ParseDecimalInt(name);
}

std::string CancelResultName(int result) {
  if (const char* name = FindName(kCancelResults, result)) return name;
  return absl::StrCat(result);
}

std::optional<int> CancelResultFromName(std::string_view name) {
  if (std::optional<int> v = FindValue(kCancelResults, name)) return v;
  return ParseDecimalInt(name);
}

}  // namespace aiospec
