// tint: colourise photos, inspect and benchmark models. The work lives in the core library;
// each subcommand here only parses flags and prints.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <vector>

#include "commands.h"

std::string tint::cli::invocation;

int main(int argc, char** argv) {
  CLI::App app{"tint - colourise photos on your own machine"};
  app.set_version_flag("--version", "tint 0.1.0");
  app.require_subcommand(1);
  std::vector<tint::cli::Command> commands = {tint::cli::add_colorize_command(app),
                                              tint::cli::add_info_command(app),
                                              tint::cli::add_bench_command(app),
                                              tint::cli::add_train_command(app),
                                              tint::cli::add_eval_command(app),
                                              tint::cli::add_convert_command(app),
                                              tint::cli::add_suggest_command(app)};
  for (int i = 0; i < argc; ++i) tint::cli::invocation += (i ? " " : "") + std::string(i ? argv[i] : "tint");
  const auto is_command = [&](const std::string& name) {
    for (const auto& command : commands)
      if (command.app->get_name() == name) return true;
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::fprintf(stderr, "tint: unknown command '%s' (expected colorize, suggest, train, eval, info, bench or convert; see tint --help)\n", argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line: what was wrong, then where to look.
    std::fprintf(stderr, "tint: %s (see tint %s--help)\n", e.what(),
                 app.get_subcommands().empty() ? "" : (app.get_subcommands()[0]->get_name() + " ").c_str());
    return e.get_exit_code() == 0 ? 2 : e.get_exit_code();
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return 2;
}
