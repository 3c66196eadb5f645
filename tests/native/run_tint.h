// Runs the real `tint` executable through the shell for end-to-end tests.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

struct TintRun {
  int status;          // exit status, or 128 + signal
  std::string output;  // stdout and stderr together
};

// Lines in a run's output (messages are expected to be one line each).
inline size_t line_count(const std::string& text) {
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

// Runs a shell command line, its stderr with its stdout.
inline TintRun run_shell(const std::string& command_line) {
  const std::string command = command_line + " 2>&1";
  TintRun run{-1, ""};
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  const int raw = pclose(pipe);
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return run;
}

inline TintRun run_tint(const std::string& arguments) { return run_shell(std::string(TINT_CLI_PATH) + " " + arguments); }
