// The subcommands of `tint`. Each registers its flags on the app and returns how to run it.
#pragma once

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace tint::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;  // exit status
};

Command add_colorize_command(CLI::App& app);
Command add_info_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_convert_command(CLI::App& app);
Command add_suggest_command(CLI::App& app);

// The command line as typed, recorded in trained weights' metadata.
extern std::string invocation;

}  // namespace tint::cli
