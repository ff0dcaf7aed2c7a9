#include "harness/trace/trace.h"

#include <type_traits>
#include <variant>

namespace aiospec {

const char* OpName(const OpBody& body) {
  return std::visit(
      [](const auto& op) -> const char* {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, DeclareFile>) return "file";
        if constexpr (std::is_same_v<T, DeclarePipe>) return "pipe";
        if constexpr (std::is_same_v<T, DeclareSocketpair>) return "socketpair";
        if constexpr (std::is_same_v<T, Open>) return "open";
        if constexpr (std::is_same_v<T, Close>) return "close";
        if constexpr (std::is_same_v<T, Dup>) return "dup";
        if constexpr (std::is_same_v<T, Dup2>) return "dup2";
        if constexpr (std::is_same_v<T, AioRead>) return "aio_read";
        if constexpr (std::is_same_v<T, AioWrite>) return "aio_write";
        if constexpr (std::is_same_v<T, AioFsync>) return "aio_fsync";
        if constexpr (std::is_same_v<T, AioError>) return "aio_error";
        if constexpr (std::is_same_v<T, AioReturn>) return "aio_return";
        if constexpr (std::is_same_v<T, AioSuspend>) return "aio_suspend";
        if constexpr (std::is_same_v<T, AioCancel>) return "aio_cancel";
        if constexpr (std::is_same_v<T, LioListio>) return "lio_listio";
        if constexpr (std::is_same_v<T, Fill>) return "fill";
        if constexpr (std::is_same_v<T, Drain>) return "drain";
        if constexpr (std::is_same_v<T, Write>) return "write";
        if constexpr (std::is_same_v<T, Readback>) return "readback";
        if constexpr (std::is_same_v<T, Wait>) return "wait";
        if constexpr (std::is_same_v<T, Storm>) return "storm";
        if constexpr (std::is_same_v<T, Proc>) return "proc";
        if constexpr (std::is_same_v<T, Hold>) return "hold";
        if constexpr (std::is_same_v<T, Sigmask>) return "sigmask";
        if constexpr (std::is_same_v<T, ThreadOp>) {
          switch (op.kind) {
            case ThreadKind::kCreate: return "thread";
            case ThreadKind::kAwait: return "await";
            case ThreadKind::kCancel: return "cancel";
            case ThreadKind::kExit: return "exit";
          }
          return "thread";
        }
      },
      body);
}

const char* RecordName(const Op& op) {
  return op.run == RunOn::kStart ? "start" : OpName(op.body);
}

bool RunsOnThreads(const OpBody& body) {
  return std::holds_alternative<AioRead>(body) ||
         std::holds_alternative<AioWrite>(body) ||
         std::holds_alternative<AioFsync>(body) ||
         std::holds_alternative<AioError>(body) ||
         std::holds_alternative<AioReturn>(body) ||
         std::holds_alternative<AioSuspend>(body) ||
         std::holds_alternative<AioCancel>(body) ||
         std::holds_alternative<LioListio>(body) ||
         std::holds_alternative<Sigmask>(body);
}

}  // namespace aiospec
