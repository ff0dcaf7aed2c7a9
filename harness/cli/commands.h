// The subcommands of `aiospec`, declared in one table: name, synopsis,
// description, the flags each one reads and its exit codes. `aiospec help`,
// `aiospec CMD --help` and the man page's structure all follow this table,
// so a flag added to a command shows up in that command's help.
//
// Flag help texts come from the ABSL_FLAG definitions themselves (looked up
// by name), so each flag is described once.
//
// Usage:
//   if (const CommandSpec* c = FindCommand("run")) std::cout << CommandHelp(*c);
//   std::cout << GeneralHelp();
#ifndef AIOSPEC_HARNESS_CLI_COMMANDS_H_
#define AIOSPEC_HARNESS_CLI_COMMANDS_H_

#include <string>
#include <string_view>
#include <vector>

namespace aiospec {

struct CommandSpec {
  std::string_view name;
  std::string_view synopsis;     // "aiospec run TRACE... [flags]"
  std::string_view summary;      // one line, for the command list
  std::string_view description;  // a paragraph
  std::vector<std::string_view> flags;  // ABSL flag names, without "--"
  std::string_view exit_codes;   // lines "  0  ..."
};

const std::vector<CommandSpec>& Commands();
const CommandSpec* FindCommand(std::string_view name);

// The help of one command: synopsis, description, its flags with their
// defaults and help text, its exit codes.
std::string CommandHelp(const CommandSpec& command);
// The list of commands and the general exit codes.
std::string GeneralHelp();

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_COMMANDS_H_
