#include "harness/trace/trace_printer.h"

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/common/byte_literal.h"

namespace aiospec {
namespace {

std::string NameIn(const std::vector<std::string>& names, int index,
                   const char* kind) {
  if (index >= 0 && static_cast<size_t>(index) < names.size()) {
    return names[index];
  }
  return absl::StrCat("?", kind, index);
}

class OpPrinter {
 public:
  explicit OpPrinter(const Trace& trace) : trace_(trace) {}

  std::string File(FileId id) const {
    return NameIn(trace_.file_names, id, "file");
  }
  std::string Fd(FdId id) const {
    if (id == kBadFd) return "badfd";
    return NameIn(trace_.fd_names, id, "fd");
  }
  std::string Cb(CbId id) const {
    if (id == kNullHandle) return "null";
    return NameIn(trace_.cb_names, id, "cb");
  }

  static std::string NotifyText(const Notify& notify) {
    switch (notify.kind) {
      case NotifyKind::kNone: return "none";
      case NotifyKind::kSignal:
        return notify.rt == kDefaultRtSignal
                   ? absl::StrCat("signal(", notify.value, ")")
                   : absl::StrCat("signal(", notify.value, ",SIGRTMIN+",
                                  notify.rt, ")");
      case NotifyKind::kThread: return absl::StrCat("thread(", notify.value, ")");
    }
    return "none";
  }

  // The key=value fields of a read or write request, defaults left out.
  std::string IoFields(const IoRequest& req) const {
    std::string out =
        absl::StrCat("fd=", Fd(req.fd), " offset=", req.offset);
    // nbytes is implied when it equals the size of the given data.
    if (!req.data.has_value() ||
        req.nbytes != static_cast<int64_t>(req.data->size())) {
      absl::StrAppend(&out, " nbytes=", req.nbytes);
    }
    if (req.data.has_value()) {
      absl::StrAppend(&out, " data=", EncodeBytes(*req.data));
    }
    if (req.reqprio != 0) absl::StrAppend(&out, " reqprio=", req.reqprio);
    if (req.notify.kind != NotifyKind::kNone) {
      absl::StrAppend(&out, " notify=", NotifyText(req.notify));
    }
    return out;
  }

  // " lio_opcode=..." for a set value, "" for none.
  static std::string LioOpcodeField(const std::optional<LioOpcodeValue>& v) {
    if (!v.has_value()) return "";
    if (!v->named) return absl::StrCat(" lio_opcode=", v->number);
    switch (v->name) {
      case LioOpcode::kRead: return " lio_opcode=LIO_READ";
      case LioOpcode::kWrite: return " lio_opcode=LIO_WRITE";
      case LioOpcode::kNop: return " lio_opcode=LIO_NOP";
    }
    return "";
  }

  std::string operator()(const DeclareFile& op) const {
    std::string out = absl::StrCat("file ", File(op.file));
    if (!op.content.empty()) {
      absl::StrAppend(&out, " content=", EncodeBytes(op.content));
    }
    return out;
  }
  std::string operator()(const DeclarePipe& op) const {
    return absl::StrCat("pipe ", Fd(op.read_end), " ", Fd(op.write_end));
  }
  std::string operator()(const DeclareSocketpair& op) const {
    return absl::StrCat("socketpair ", Fd(op.a), " ", Fd(op.b));
  }
  std::string operator()(const Open& op) const {
    const uint32_t access = op.flags & (kAccessRead | kAccessWrite);
    std::string flags = access == (kAccessRead | kAccessWrite) ? "rdwr"
                        : access == kAccessWrite              ? "wronly"
                                                              : "rdonly";
    if (op.flags & kFlagAppend) flags += "+append";
    if (op.flags & kFlagSync) flags += "+sync";
    if (op.flags & kFlagDsync) flags += "+dsync";
    if (op.flags & kFlagHold) flags += "+hold";
    return absl::StrCat("open ", Fd(op.fd), " ", File(op.file),
                        " flags=", flags);
  }
  std::string operator()(const Close& op) const {
    return absl::StrCat("close ", Fd(op.fd));
  }
  std::string operator()(const Dup& op) const {
    return absl::StrCat("dup ", Fd(op.new_fd), " ", Fd(op.old_fd));
  }
  std::string operator()(const Dup2& op) const {
    return absl::StrCat("dup2 ", Fd(op.old_fd), " ", Fd(op.target));
  }
  std::string operator()(const AioRead& op) const {
    return absl::StrCat("aio_read ", Cb(op.req.cb), " ", IoFields(op.req),
                        LioOpcodeField(op.lio_opcode));
  }
  std::string operator()(const AioWrite& op) const {
    return absl::StrCat("aio_write ", Cb(op.req.cb), " ", IoFields(op.req),
                        LioOpcodeField(op.lio_opcode));
  }
  std::string operator()(const AioFsync& op) const {
    std::string out = absl::StrCat("aio_fsync ", Cb(op.cb), " fd=", Fd(op.fd));
    if (op.op == FsyncOp::kDsync) out += " op=dsync";
    if (op.op == FsyncOp::kInvalid) out += " op=invalid";
    if (op.notify.kind != NotifyKind::kNone) {
      absl::StrAppend(&out, " notify=", NotifyText(op.notify));
    }
    return absl::StrCat(out, LioOpcodeField(op.lio_opcode));
  }
  std::string operator()(const AioError& op) const {
    return absl::StrCat("aio_error ", Cb(op.cb));
  }
  std::string operator()(const AioReturn& op) const {
    return absl::StrCat("aio_return ", Cb(op.cb), op.scribble ? " scribble" : "");
  }
  std::string operator()(const AioSuspend& op) const {
    std::string out = "aio_suspend";
    for (CbId cb : op.list) absl::StrAppend(&out, " ", Cb(cb));
    if (!op.timeout.infinite) {
      absl::StrAppend(&out, " timeout=", PrintTimeout(op.timeout));
    }
    return out;
  }
  std::string operator()(const AioCancel& op) const {
    return absl::StrCat("aio_cancel ", Fd(op.fd), " ", Cb(op.cb));
  }
  std::string operator()(const LioListio& op) const {
    std::vector<std::string> elements;
    elements.reserve(op.list.size());
    for (const LioElement& e : op.list) {
      if (e.is_null) {
        elements.push_back("null");
        continue;
      }
      switch (e.opcode) {
        case LioOpcode::kRead:
          elements.push_back(
              absl::StrCat("read ", Cb(e.req.cb), " ", IoFields(e.req)));
          break;
        case LioOpcode::kWrite:
          elements.push_back(
              absl::StrCat("write ", Cb(e.req.cb), " ", IoFields(e.req)));
          break;
        case LioOpcode::kNop: {
          std::string nop = absl::StrCat("nop ", Cb(e.req.cb));
          if (e.req.fd != kNullHandle) absl::StrAppend(&nop, " fd=", Fd(e.req.fd));
          elements.push_back(std::move(nop));
          break;
        }
      }
    }
    std::string out = absl::StrCat("lio_listio ", op.wait ? "wait" : "nowait",
                                   " [", absl::StrJoin(elements, "; "), "]");
    if (op.notify.kind != NotifyKind::kNone) {
      absl::StrAppend(&out, " notify=", NotifyText(op.notify));
    }
    return out;
  }
  std::string operator()(const Fill& op) const {
    return absl::StrCat("fill ", Fd(op.fd));
  }
  std::string operator()(const Drain& op) const {
    std::string out = absl::StrCat("drain ", Fd(op.fd));
    if (op.max != -1) absl::StrAppend(&out, " max=", op.max);
    return out;
  }
  std::string operator()(const Write& op) const {
    return absl::StrCat("write ", Fd(op.fd), " data=", EncodeBytes(op.data));
  }
  std::string operator()(const Readback& op) const {
    return absl::StrCat("readback ", File(op.file));
  }
  std::string operator()(const Wait& op) const {
    std::string out = "wait";
    for (CbId cb : op.cbs) absl::StrAppend(&out, " ", Cb(cb));
    if (op.notified) absl::StrAppend(&out, " until=notified");
    if (op.timeout != Timeout{false, kDefaultWaitTimeoutNanos}) {
      absl::StrAppend(&out, " timeout=", PrintTimeout(op.timeout));
    }
    return out;
  }
  std::string operator()(const Storm& op) const {
    if (!op.on) return "storm off";
    std::string out = "storm on";
    for (CbId cb : op.cbs) absl::StrAppend(&out, " ", Cb(cb));
    absl::StrAppend(&out, " rate=", op.rate_hz);
    if (op.calls != (kStormError | kStormSuspend)) {
      std::vector<std::string> calls;
      if (op.calls & kStormError) calls.push_back("error");
      if (op.calls & kStormSuspend) calls.push_back("suspend");
      absl::StrAppend(&out, " calls=",
                      calls.empty() ? "none" : absl::StrJoin(calls, "+"));
    }
    if (!op.returns.empty()) {
      std::vector<std::string> names;
      for (CbId cb : op.returns) names.push_back(Cb(cb));
      absl::StrAppend(&out, " returns=", absl::StrJoin(names, "+"));
    }
    if (op.close_fd != kNullHandle) absl::StrAppend(&out, " close=", Fd(op.close_fd));
    return out;
  }
  std::string operator()(const Proc& op) const {
    switch (op.kind) {
      case ProcKind::kFork: {
        std::string out = "proc fork";
        if (!op.watch.empty()) {
          std::vector<std::string> names;
          for (CbId cb : op.watch) names.push_back(Cb(cb));
          absl::StrAppend(&out, " watch=", absl::StrJoin(names, "+"));
        }
        if (op.cancel_fd != kNullHandle) absl::StrAppend(&out, " cancel=", Fd(op.cancel_fd));
        return out;
      }
      case ProcKind::kJoin:
        return "proc join";
      case ProcKind::kExit:
      case ProcKind::kExec:
        return absl::StrCat(op.kind == ProcKind::kExit ? "proc exit "
                                                       : "proc exec ",
                            op.write ? "write " : "read ", Cb(op.req.cb), " ",
                            IoFields(op.req));
    }
    return "proc";
  }
  std::string operator()(const Hold& op) const {
    if (op.kind == HoldKind::kWait) {
      std::string out = absl::StrCat("hold wait ", Fd(op.fd));
      if (op.count != 1) absl::StrAppend(&out, " count=", op.count);
      if (op.timeout != Timeout{false, kDefaultHoldTimeoutNanos}) {
        absl::StrAppend(&out, " timeout=", PrintTimeout(op.timeout));
      }
      return out;
    }
    std::string out = absl::StrCat("hold release ", Fd(op.fd));
    if (op.all) out += " all";
    if (op.error == HoldError::kEio) out += " errno=EIO";
    if (op.error == HoldError::kEnospc) out += " errno=ENOSPC";
    return out;
  }
  std::string operator()(const Sigmask& op) const {
    std::vector<std::string> names;
    for (int rt : op.rts) names.push_back(absl::StrCat("SIGRTMIN+", rt));
    return absl::StrCat("sigmask ", op.block ? "block " : "unblock ",
                        absl::StrJoin(names, ","));
  }
  std::string operator()(const ThreadOp& op) const {
    return absl::StrCat(OpName(op), " ",
                        NameIn(trace_.thread_names, op.thread, "thread"));
  }

 private:
  const Trace& trace_;
};

}  // namespace

std::string PrintTimeout(const Timeout& timeout) {
  if (timeout.infinite) return "none";
  const int64_t n = timeout.nanos;
  if (n == 0) return "0";
  if (n % 1000000000 == 0) return absl::StrCat(n / 1000000000, "s");
  if (n % 1000000 == 0) return absl::StrCat(n / 1000000, "ms");
  if (n % 1000 == 0) return absl::StrCat(n / 1000, "us");
  return absl::StrCat(n, "ns");
}

std::string PrintOp(const Trace& trace, const Op& op) {
  std::string body = std::visit(OpPrinter(trace), op.body);
  if (op.run == RunOn::kMain) return body;
  return absl::StrCat(op.run == RunOn::kOn ? "on " : "start ",
                      NameIn(trace.thread_names, op.thread, "thread"), " ",
                      body);
}

std::string PrintTrace(const Trace& trace) {
  std::string out = absl::StrCat("aiospec-trace ", trace.version, "\n");
  if (!trace.about.empty()) {
    absl::StrAppend(&out, "about ", EncodeBytes(trace.about), "\n");
  }
  if (!trace.covers.empty()) {
    absl::StrAppend(&out, "covers ", absl::StrJoin(trace.covers, " "), "\n");
  }
  for (const Op& op : trace.ops) {
    absl::StrAppend(&out, PrintOp(trace, op), "\n");
  }
  return out;
}

}  // namespace aiospec
