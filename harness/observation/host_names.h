// Symbolic names for the host numbers an observation log records, beyond
// the errno and signal names that observation.h declares.
//
// Usage:
//   SiCodeName(SI_ASYNCIO)                  // "SI_ASYNCIO"
//   CancelResultFromName("AIO_ALLDONE")     // AIO_ALLDONE of this host
//   CancelResultFromName("2")               // 2: numbers are always accepted
//
// Every *FromName accepts a decimal number as well as a name, and every
// *Name prints a number it has no name for, so printing then parsing gives
// the number back.
#ifndef AIOSPEC_HARNESS_OBSERVATION_HOST_NAMES_H_
#define AIOSPEC_HARNESS_OBSERVATION_HOST_NAMES_H_

#include <optional>
#include <string>
#include <string_view>

namespace aiospec {

// si_code values: SI_ASYNCIO, SI_QUEUE, SI_USER, SI_TIMER, ...
std::string SiCodeName(int code);
std::optional<int> SiCodeFromName(std::string_view name);

// aio_cancel results: AIO_CANCELED, AIO_NOTCANCELED, AIO_ALLDONE.
std::string CancelResultName(int result);
std::optional<int> CancelResultFromName(std::string_view name);

// A strict decimal int: optional '-', digits, nothing else, no overflow.
std::optional<int> ParseDecimalInt(std::string_view text);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_OBSERVATION_HOST_NAMES_H_
