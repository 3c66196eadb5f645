#include "file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tint {
namespace {

// Closes a descriptor on every return path; errors from close on a read-only descriptor do
// not matter, and the write path closes explicitly to check them.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string errno_text(int error) { return std::strerror(error); }

// The directory part of a path as the user would recognise it, for messages.
std::string parent_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status open_error(const std::string& path, int error) {
  switch (error) {
    case ENOENT:
      return Status::error(path + ": no such file");
    case ENOTDIR:
      return Status::error(path + ": a component of the path is not a directory");
    case EACCES:
    case EPERM:
      return Status::error(path + ": permission denied");
    default:
      return Status::error(path + ": cannot open: " + errno_text(error));
  }
}

// read() until `size` bytes or end of file; returns the count read, or -1 with errno set.
int64_t read_fully(int fd, uint8_t* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, out + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += size_t(n);
  }
  return int64_t(done);
}

}  // namespace

std::string format_byte_count(uint64_t bytes) {
  static const char* const units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = double(bytes);
  int unit = -1;
  while (value >= 1024.0 && unit < 3) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

Result<std::vector<uint8_t>> read_file(const std::string& path, uint64_t max_bytes) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return open_error(path, errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return open_error(path, errno);
  if (S_ISDIR(info.st_mode)) return Status::error(path + ": is a directory, not a file");

  std::vector<uint8_t> bytes;
  if (S_ISREG(info.st_mode)) {
    uint64_t size = uint64_t(info.st_size);
    if (size == 0) return Status::error(path + ": file is empty");
    if (size > max_bytes) {
      return Status::error(path + ": file is " + format_byte_count(size) + ", above the " +
                           format_byte_count(max_bytes) + " limit");
    }
    bytes.resize(size_t(size));
    int64_t got = read_fully(fd.get(), bytes.data(), bytes.size());
    if (got < 0) return Status::error(path + ": read failed: " + errno_text(errno));
    // The file shrank between fstat and read: keep what is there, it is what the file holds.
    bytes.resize(size_t(got));
  } else {
    // Pipes and character devices have no size up front: read in chunks up to the limit.
    const size_t chunk = 1 << 16;
    for (;;) {
      size_t old_size = bytes.size();
      bytes.resize(old_size + chunk);
      int64_t got = read_fully(fd.get(), bytes.data() + old_size, chunk);
      if (got < 0) return Status::error(path + ": read failed: " + errno_text(errno));
      bytes.resize(old_size + size_t(got));
      if (bytes.size() > max_bytes) {
        return Status::error(path + ": input is larger than the " + format_byte_count(max_bytes) +
                             " limit");
      }
      if (size_t(got) < chunk) break;
    }
  }
  if (bytes.empty()) return Status::error(path + ": file is empty");
  return bytes;
}

Status write_file_atomic(const std::string& path, const void* data, size_t size) {
  if (path.empty()) return Status::error("(empty path): cannot write a file without a name");
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") {
    return Status::error(path + ": is a directory, not a file name");
  }
  std::string directory = parent_of(path);
  std::string directory_prefix = slash == std::string::npos ? "" : path.substr(0, slash + 1);

  // pid + process-wide counter: unique across threads and across concurrent processes, and
  // O_EXCL turns any remaining collision into an error rather than a shared file.
  static std::atomic<uint64_t> counter{0};
  std::string temp_path = directory_prefix + "." + base + ".tmp-" + std::to_string(::getpid()) +
                          "-" + std::to_string(counter.fetch_add(1));

  FileDescriptor fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (!fd.valid()) {
    int error = errno;
    switch (error) {
      case ENOENT:
        return Status::error(path + ": directory " + directory + " does not exist");
      case ENOTDIR:
        return Status::error(path + ": a component of " + directory + " is not a directory");
      case EACCES:
      case EPERM:
        return Status::error(path + ": permission denied writing to " + directory);
      default:
        return Status::error(path + ": cannot create a file in " + directory + ": " +
                             errno_text(error));
    }
  }

  // From here on every failure must remove the temp file before returning.
  auto fail = [&](const std::string& what, int error) {
    fd.reset();
    ::unlink(temp_path.c_str());
    return Status::error(path + ": " + what + ": " + errno_text(error));
  };

  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd.get(), bytes + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write failed", errno);
    }
    done += size_t(n);
  }
  // fsync before rename: otherwise a crash can leave the new name pointing at an empty file.
  if (::fsync(fd.get()) != 0) return fail("fsync failed", errno);
  if (::close(fd.release()) != 0) {
    int error = errno;
    ::unlink(temp_path.c_str());
    return Status::error(path + ": close failed: " + errno_text(error));
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp_path.c_str());
    if (error == EISDIR) return Status::error(path + ": is a directory, not a file");
    return Status::error(path + ": cannot replace the file: " + errno_text(error));
  }
  // Make the rename itself durable. Some file systems refuse fsync on a directory; the data is
  // already safe, so that is not worth failing the write for.
  FileDescriptor directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory_fd.valid()) ::fsync(directory_fd.get());
  return Status::ok();
}

}  // namespace tint
