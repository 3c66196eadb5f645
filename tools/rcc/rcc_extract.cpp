// tint-rcc: lists and extracts the files inside a Qt resource bundle (.rcc), for
// tools/fetch-data.sh (GCompris keeps its photos in them). A thin shell over src/io/rcc.h.
//   tint-rcc list FILE.rcc                  one line per file: size, "zlib" or "stored", path
//   tint-rcc extract FILE.rcc GLOB OUTDIR   writes the files whose path matches GLOB under
//                                           OUTDIR, keeping their paths; prints the count
// GLOB: '*' is any run of characters within one path component, '?' one character.
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "file_io.h"
#include "rcc.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: tint-rcc list FILE.rcc\n"
               "       tint-rcc extract FILE.rcc GLOB OUTDIR\n");
  return 2;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "tint-rcc: %s\n", message.c_str());
  return 1;
}

int list(const std::string& bundle_path) {
  tint::Result<std::vector<uint8_t>> bundle = tint::read_file(bundle_path);
  if (!bundle) return fail(bundle.message());
  tint::Result<std::vector<tint::RccEntry>> entries =
      tint::list_rcc(bundle->data(), bundle->size(), bundle_path);
  if (!entries) return fail(entries.message());
  for (const tint::RccEntry& entry : *entries) {
    std::printf("%10u %-6s %s\n", entry.size, entry.compressed ? "zlib" : "stored", entry.path.c_str());
  }
  return 0;
}

int extract(const std::string& bundle_path, const std::string& glob, const std::string& out_dir) {
  tint::Result<std::vector<uint8_t>> bundle = tint::read_file(bundle_path);
  if (!bundle) return fail(bundle.message());
  tint::Result<std::vector<tint::RccEntry>> entries =
      tint::list_rcc(bundle->data(), bundle->size(), bundle_path);
  if (!entries) return fail(entries.message());
  int written = 0;
  for (const tint::RccEntry& entry : *entries) {
    if (!tint::path_matches_glob(entry.path, glob)) continue;
    tint::Result<std::vector<uint8_t>> data =
        tint::read_rcc_entry(bundle->data(), bundle->size(), entry, bundle_path);
    if (!data) return fail(data.message());
    // list_rcc guarantees each component is a plain name (no "..", no '/'), so this stays
    // under out_dir.
    std::filesystem::path target = std::filesystem::path(out_dir) / entry.path;
    std::error_code error;
    std::filesystem::create_directories(target.parent_path(), error);
    if (error) return fail(target.parent_path().string() + ": cannot create folder: " + error.message());
    tint::Status status = tint::write_file_atomic(target.string(), data->data(), data->size());
    if (!status) return fail(status.message());
    ++written;
  }
  std::printf("%d file%s extracted from %s\n", written, written == 1 ? "" : "s", bundle_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "list") return list(argv[2]);
  if (argc == 5 && std::string(argv[1]) == "extract") return extract(argv[2], argv[3], argv[4]);
  return usage();
}
