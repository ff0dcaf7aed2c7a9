#include "harness/agent/wire_encode.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"
#include "harness/agent/wire.h"
#include "harness/trace/payload.h"

namespace aiospec {
namespace {

static_assert(AIOSPEC_WIRE_NULL == kNullHandle);
static_assert(AIOSPEC_WIRE_BADFD == kBadFd);
static_assert(AIOSPEC_WIRE_MAX_PAYLOAD == kMaxPayloadBytes);
static_assert(AIOSPEC_WIRE_OPEN_READ == kAccessRead &&
              AIOSPEC_WIRE_OPEN_WRITE == kAccessWrite &&
              AIOSPEC_WIRE_OPEN_APPEND == kFlagAppend &&
              AIOSPEC_WIRE_OPEN_SYNC == kFlagSync &&
              AIOSPEC_WIRE_OPEN_DSYNC == kFlagDsync);
static_assert(AIOSPEC_WIRE_OPEN_HOLD == kFlagHold);
static_assert(AIOSPEC_WIRE_MAX_THREADS == kMaxThreads);
static_assert(AIOSPEC_WIRE_NOTIFY_RT_MAX == kMaxRtSignal);

void AppendHex(std::string_view bytes, std::string* out) {
  if (bytes.empty()) {
    out->append(" -");
    return;
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  out->push_back(' ');
  const size_t start = out->size();
  out->resize(start + 2 * bytes.size());
  char* p = out->data() + start;
  for (unsigned char c : bytes) {
    *p++ = kDigits[c >> 4];
    *p++ = kDigits[c & 0xf];
  }
}

// NOTIFY_KIND: the kind, and a signal's SIGRTMIN offset (other than 1).
int NotifyCode(const Notify& notify) {
  switch (notify.kind) {
    case NotifyKind::kNone: return AIOSPEC_WIRE_NOTIFY_NONE;
    case NotifyKind::kSignal:
      return AIOSPEC_WIRE_NOTIFY_SIGNAL |
             (notify.rt == kDefaultRtSignal ? 0 : notify.rt << 4);
    case NotifyKind::kThread: return AIOSPEC_WIRE_NOTIFY_THREAD;
  }
  return AIOSPEC_WIRE_NOTIFY_NONE;
}

// TIMEOUT: INFINITE NANOS.
std::string TimeoutText(const Timeout& t) {
  return t.infinite ? "1 0" : absl::StrCat("0 ", t.nanos);
}

// REQ: CB FD OFFSET NBYTES REQPRIO NOTIFY_KIND NOTIFY_VALUE DATA.
void AppendRequest(const Trace& trace, int op_index, const IoRequest& req,
                   bool is_write, std::string* out) {
  absl::StrAppend(out, " ", req.cb, " ", req.fd, " ", req.offset, " ",
                  req.nbytes, " ", req.reqprio, " ", NotifyCode(req.notify),
                  " ", req.notify.value);
  AppendHex(is_write ? RequestBytes(trace, op_index, req) : std::string(), out);
}

// The optional LIO_OPCODE of aio_read, aio_write, aio_fsync: NAME VALUE.
void AppendLioOpcode(const std::optional<LioOpcodeValue>& v, std::string* out) {
  if (!v.has_value()) return;
  if (!v->named) {
    absl::StrAppend(out, " ", AIOSPEC_WIRE_LIO_NUMBER, " ", v->number);
    return;
  }
  const int name = v->name == LioOpcode::kRead    ? AIOSPEC_WIRE_LIO_READ
                   : v->name == LioOpcode::kWrite ? AIOSPEC_WIRE_LIO_WRITE
                                                  : AIOSPEC_WIRE_LIO_NOP;
  absl::StrAppend(out, " ", name, " 0");
}

void AppendOp(const Trace& trace, int op_index, const OpBody& body,
              std::string* out) {
  std::visit(
      [&](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, DeclareFile>) {
          absl::StrAppend(out, AIOSPEC_WIRE_FILE, " ", op.file);
          AppendHex(op.content, out);
        } else if constexpr (std::is_same_v<T, DeclarePipe>) {
          absl::StrAppend(out, AIOSPEC_WIRE_PIPE, " ", op.read_end, " ",
                          op.write_end);
        } else if constexpr (std::is_same_v<T, DeclareSocketpair>) {
          absl::StrAppend(out, AIOSPEC_WIRE_SOCKETPAIR, " ", op.a, " ", op.b);
        } else if constexpr (std::is_same_v<T, Open>) {
          absl::StrAppend(out, AIOSPEC_WIRE_OPEN, " ", op.fd, " ", op.file, " ",
                          op.flags);
        } else if constexpr (std::is_same_v<T, Close>) {
          absl::StrAppend(out, AIOSPEC_WIRE_CLOSE, " ", op.fd);
        } else if constexpr (std::is_same_v<T, Dup>) {
          absl::StrAppend(out, AIOSPEC_WIRE_DUP, " ", op.new_fd, " ", op.old_fd);
        } else if constexpr (std::is_same_v<T, Dup2>) {
          absl::StrAppend(out, AIOSPEC_WIRE_DUP2, " ", op.old_fd, " ", op.target);
        } else if constexpr (std::is_same_v<T, AioRead>) {
          absl::StrAppend(out, AIOSPEC_WIRE_AIO_READ);
          AppendRequest(trace, op_index, op.req, /*is_write=*/false, out);
          AppendLioOpcode(op.lio_opcode, out);
        } else if constexpr (std::is_same_v<T, AioWrite>) {
          absl::StrAppend(out, AIOSPEC_WIRE_AIO_WRITE);
          AppendRequest(trace, op_index, op.req, /*is_write=*/true, out);
          AppendLioOpcode(op.lio_opcode, out);
        } else if constexpr (std::is_same_v<T, AioFsync>) {
          int fsync_op = op.op == FsyncOp::kSync    ? AIOSPEC_WIRE_FSYNC_SYNC
                         : op.op == FsyncOp::kDsync ? AIOSPEC_WIRE_FSYNC_DSYNC
                                                    : AIOSPEC_WIRE_FSYNC_INVALID;
          absl::StrAppend(out, AIOSPEC_WIRE_AIO_FSYNC, " ", op.cb, " ", op.fd,
                          " ", fsync_op, " ", NotifyCode(op.notify), " ",
                          op.notify.value);
          AppendLioOpcode(op.lio_opcode, out);
        } else if constexpr (std::is_same_v<T, AioError>) {
          absl::StrAppend(out, AIOSPEC_WIRE_AIO_ERROR, " ", op.cb);
        } else if constexpr (std::is_same_v<T, AioReturn>) {
          absl::StrAppend(out, AIOSPEC_WIRE_AIO_RETURN, " ", op.cb, " ",
                          op.scribble ? 1 : 0);
        } else if constexpr (std::is_same_v<T, AioSuspend>) {
          absl::StrAppend(out, AIOSPEC_WIRE_AIO_SUSPEND, " ",
                          TimeoutText(op.timeout), " ", op.list.size());
          for (CbId cb : op.list) absl::StrAppend(out, " ", cb);
        } else if constexpr (std::is_same_v<T, AioCancel>) {
          absl::StrAppend(out, AIOSPEC_WIRE_AIO_CANCEL, " ", op.fd, " ", op.cb);
        } else if constexpr (std::is_same_v<T, LioListio>) {
          absl::StrAppend(out, AIOSPEC_WIRE_LIO_LISTIO, " ", op.wait ? 1 : 0,
                          " ", NotifyCode(op.notify), " ", op.notify.value,
                          " ", op.list.size());
          for (const LioElement& e : op.list) {
            if (e.is_null) {
              absl::StrAppend(out, " ", AIOSPEC_WIRE_LIO_NULL,
                              " 0 0 0 0 0 0 0 -");
              continue;
            }
            int lio_op = e.opcode == LioOpcode::kRead    ? AIOSPEC_WIRE_LIO_READ
                         : e.opcode == LioOpcode::kWrite ? AIOSPEC_WIRE_LIO_WRITE
                                                         : AIOSPEC_WIRE_LIO_NOP;
            absl::StrAppend(out, " ", lio_op);
            AppendRequest(trace, op_index, e.req,
                          /*is_write=*/e.opcode == LioOpcode::kWrite, out);
          }
        } else if constexpr (std::is_same_v<T, Fill>) {
          absl::StrAppend(out, AIOSPEC_WIRE_FILL, " ", op.fd);
        } else if constexpr (std::is_same_v<T, Drain>) {
          absl::StrAppend(out, AIOSPEC_WIRE_DRAIN, " ", op.fd, " ", op.max);
        } else if constexpr (std::is_same_v<T, Write>) {
          absl::StrAppend(out, AIOSPEC_WIRE_WRITE, " ", op.fd);
          AppendHex(op.data, out);
        } else if constexpr (std::is_same_v<T, Readback>) {
          absl::StrAppend(out, AIOSPEC_WIRE_READBACK, " ", op.file);
        } else if constexpr (std::is_same_v<T, Wait>) {
          // TIMEOUT's first word: bit 0 infinite, bit 1 until=notified.
          absl::StrAppend(out, AIOSPEC_WIRE_WAIT, " ",
                          (op.timeout.infinite ? 1 : 0) | (op.notified ? 2 : 0),
                          " ", op.timeout.infinite ? 0 : op.timeout.nanos, " ",
                          op.cbs.size());
          for (CbId cb : op.cbs) absl::StrAppend(out, " ", cb);
        } else if constexpr (std::is_same_v<T, Storm>) {
          absl::StrAppend(out, AIOSPEC_WIRE_STORM, " ", op.on ? 1 : 0, " ",
                          op.rate_hz, " ", op.calls, " ", op.cbs.size());
          for (CbId cb : op.cbs) absl::StrAppend(out, " ", cb);
          absl::StrAppend(out, " ", op.returns.size());
          for (CbId cb : op.returns) absl::StrAppend(out, " ", cb);
          absl::StrAppend(out, " ", op.close_fd == kNullHandle ? AIOSPEC_WIRE_NULL
                                                               : op.close_fd);
        } else if constexpr (std::is_same_v<T, Proc>) {
          const int kind = op.kind == ProcKind::kFork   ? AIOSPEC_WIRE_PROC_FORK
                           : op.kind == ProcKind::kJoin ? AIOSPEC_WIRE_PROC_JOIN
                           : op.kind == ProcKind::kExit ? AIOSPEC_WIRE_PROC_EXIT
                                                        : AIOSPEC_WIRE_PROC_EXEC;
          absl::StrAppend(out, AIOSPEC_WIRE_PROC, " ", kind, " ",
                          op.watch.size());
          for (CbId cb : op.watch) absl::StrAppend(out, " ", cb);
          if (op.kind == ProcKind::kFork) {
            absl::StrAppend(out, " ", op.cancel_fd);
          }
          if (op.kind == ProcKind::kExit || op.kind == ProcKind::kExec) {
            absl::StrAppend(out, " ", op.write ? 1 : 0);
            AppendRequest(trace, op_index, op.req, op.write, out);
          }
        } else if constexpr (std::is_same_v<T, Hold>) {
          const int err = op.error == HoldError::kEio      ? AIOSPEC_WIRE_HOLD_EIO
                          : op.error == HoldError::kEnospc ? AIOSPEC_WIRE_HOLD_ENOSPC
                                                           : AIOSPEC_WIRE_HOLD_RUN;
          absl::StrAppend(out, AIOSPEC_WIRE_HOLD, " ",
                          op.kind == HoldKind::kWait ? 0 : 1, " ", op.fd, " ",
                          op.count, " ", op.timeout.nanos, " ", err, " ",
                          op.all ? 1 : 0);
        } else if constexpr (std::is_same_v<T, ThreadOp>) {
          const int kind = op.kind == ThreadKind::kCreate  ? AIOSPEC_WIRE_THREAD_CREATE
                           : op.kind == ThreadKind::kAwait ? AIOSPEC_WIRE_THREAD_AWAIT
                           : op.kind == ThreadKind::kCancel
                               ? AIOSPEC_WIRE_THREAD_CANCEL
                               : AIOSPEC_WIRE_THREAD_EXIT;
          absl::StrAppend(out, AIOSPEC_WIRE_THREAD, " ", kind, " ", op.thread);
          if (op.kind == ThreadKind::kCreate) {
            AppendHex(trace.thread_names[op.thread], out);
          }
        } else if constexpr (std::is_same_v<T, Sigmask>) {
          absl::StrAppend(out, AIOSPEC_WIRE_SIGMASK, " ", op.block ? 1 : 0, " ",
                          op.rts.size());
          for (int rt : op.rts) absl::StrAppend(out, " ", rt);
        } else {
          static_assert(!sizeof(T), "op without a wire encoding");
        }
      },
      body);
  out->push_back('\n');
}

}  // namespace

std::string EncodeWire(const Trace& trace) {
  std::string out =
      absl::StrCat(AIOSPEC_WIRE_MAGIC, " ", AIOSPEC_WIRE_VERSION, " ",
                   trace.file_names.size(), " ", trace.fd_names.size(), " ",
                   trace.cb_names.size(), " ", trace.ops.size(), "\n");
  for (size_t i = 0; i < trace.ops.size(); ++i) {
    const Op& op = trace.ops[i];
    if (op.run != RunOn::kMain) {
      absl::StrAppend(&out, AIOSPEC_WIRE_ON, " ",
                      op.run == RunOn::kOn ? AIOSPEC_WIRE_RUN_ON
                                           : AIOSPEC_WIRE_RUN_START,
                      " ", op.thread, " ");
    }
    AppendOp(trace, static_cast<int>(i), op.body, &out);
  }
  out.append("end\n");
  return out;
}

}  // namespace aiospec
