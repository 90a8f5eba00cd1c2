// famfs_mmap: mmap of devdax character devices and ordinary files, for the
// harness's dax stores. The mapping is never handed to JS as an ArrayBuffer:
// Node 20 caps external ArrayBuffers at 4 GiB (and a failed creation runs the
// finalizer at once, which freed our state twice), and a raw view cannot be
// kept from faulting (a write to PROT_READ memory is SIGSEGV, a page beyond a
// truncated file's end is SIGBUS). Every access goes through read()/write()
// here instead: bounds checked, the file's size checked with fstat, and the
// copy itself run under a SIGBUS guard (sigsetjmp), so a fault becomes an
// error. Errors carry the errno name in .code and -errno in .errno.
#include "module.h"
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

namespace {

Napi::Error PlainError(Napi::Env env, const char *code, int err, const std::string &msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  return e;
}

// ---- SIGBUS guard -------------------------------------------------------
// One guard per thread (each Node worker has its own). The handler jumps back
// only for a fault inside the range being copied; any other SIGBUS goes to
// the handler that was there before us, or ends the process as it would have.

struct CopyGuard {
  sigjmp_buf jump;
  const char *lo;
  const char *hi;
  const char *volatile fault_at;
  volatile sig_atomic_t active;
};

thread_local CopyGuard *t_guard = nullptr;
struct sigaction g_previous_sigbus;

void OnSigbus(int sig, siginfo_t *si, void *uc) {
  CopyGuard *g = t_guard;
  const char *at = static_cast<const char *>(si->si_addr);
  if (g && g->active && at >= g->lo && at < g->hi) {
    g->active = 0;
    g->fault_at = at;
    siglongjmp(g->jump, 1);
  }
  const struct sigaction &prev = g_previous_sigbus;
  if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction) { prev.sa_sigaction(sig, si, uc); return; }
  if (!(prev.sa_flags & SA_SIGINFO) && prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) { prev.sa_handler(sig); return; }
  signal(sig, SIG_DFL);  // not ours and nobody else's: end the process as SIGBUS would have
  raise(sig);
}

void InstallSigbusGuard() {
  static bool installed = false;
  if (installed) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnSigbus;
  // SA_NODEFER: leaving the handler by siglongjmp must not leave SIGBUS blocked
  // (sigsetjmp(.., 0) does not restore the mask, which saves a syscall per copy)
  sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGBUS, &sa, &g_previous_sigbus) == 0) installed = true;
}

// memcpy that reports a bus error inside [lo, hi) instead of dying: nullptr if
// done, else the faulting address.
const char *GuardedCopy(void *dst, const void *src, size_t n, const char *lo, const char *hi) {
  CopyGuard g;
  g.lo = lo;
  g.hi = hi;
  g.fault_at = nullptr;
  g.active = 0;
  CopyGuard *outer = t_guard;
  t_guard = &g;
  if (sigsetjmp(g.jump, 0) == 0) {
    g.active = 1;
    memcpy(dst, src, n);
    g.active = 0;
  }
  t_guard = outer;
  return g.fault_at;
}

// ---- Mapping ------------------------------------------------------------

bool WholeNumber(double v, double max) { return v >= 0 && v <= max && v == (double)(uint64_t)v; }

class Mapping : public Napi::ObjectWrap<Mapping> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Mapping", {
      InstanceMethod("read", &Mapping::Read),
      InstanceMethod("write", &Mapping::Write),
      InstanceMethod("close", &Mapping::Close),
      InstanceMethod("msync", &Mapping::Msync),
      InstanceAccessor("length", &Mapping::Length, nullptr),
      InstanceAccessor("writable", &Mapping::Writable, nullptr),
      InstanceAccessor("closed", &Mapping::Closed, nullptr),
    });
  }

  explicit Mapping(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Mapping>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber()) {
      PlainError(env, "EINVAL", EINVAL, "map(path, offset, length[, opts]): bad arguments").ThrowAsJavaScriptException();
      return;
    }
    std::string path = info[0].As<Napi::String>();
    double off = info[1].As<Napi::Number>().DoubleValue();
    double len = info[2].As<Napi::Number>().DoubleValue();
    bool sync = false;
    if (info.Length() > 3 && info[3].IsObject()) {
      Napi::Object o = info[3].As<Napi::Object>();
      if (o.Has("write")) writable_ = o.Get("write").ToBoolean();
      if (o.Has("sync")) sync = o.Get("sync").ToBoolean();
    }
    const double kMax = 9007199254740991.0;  // 2^53 - 1: offsets arrive as JS numbers
    if (!WholeNumber(off, kMax) || !WholeNumber(len, kMax) || len == 0) {
      PlainError(env, "EINVAL", EINVAL, "map: offset must be >= 0 and length > 0 (whole numbers)").ThrowAsJavaScriptException();
      return;
    }
    long page = sysconf(_SC_PAGESIZE);
    if ((uint64_t)off % (uint64_t)page != 0) {
      PlainError(env, "EINVAL", EINVAL, "map: offset must be a multiple of the page size").ThrowAsJavaScriptException();
      return;
    }
    int fd = open(path.c_str(), (writable_ ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) { SyscallError(env, errno, "open " + path).ThrowAsJavaScriptException(); return; }
    struct stat st;
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); SyscallError(env, e, "fstat " + path).ThrowAsJavaScriptException(); return; }
    regular_ = S_ISREG(st.st_mode);
    if (regular_ && st.st_size == 0) {
      close(fd);
      PlainError(env, "EINVAL", EINVAL, "map " + path + ": the file is empty (0 bytes): nothing to map").ThrowAsJavaScriptException();
      return;
    }
    if (regular_ && (uint64_t)off + (uint64_t)len > (uint64_t)st.st_size) {
      close(fd);
      PlainError(env, "EINVAL", EINVAL, "map " + path + ": the file is " + std::to_string((long long)st.st_size) + " bytes, shorter than the mapping's end " +
                 std::to_string((unsigned long long)((uint64_t)off + (uint64_t)len))).ThrowAsJavaScriptException();
      return;
    }
    int prot = PROT_READ | (writable_ ? PROT_WRITE : 0);
    int flags = sync ? (MAP_SHARED_VALIDATE | MAP_SYNC) : MAP_SHARED;
    void *p = mmap(nullptr, (size_t)len, prot, flags, fd, (off_t)off);
    if (p == MAP_FAILED) { int e = errno; close(fd); SyscallError(env, e, "mmap " + path).ThrowAsJavaScriptException(); return; }
    InstallSigbusGuard();
    addr_ = static_cast<char *>(p);
    len_ = (size_t)len;
    file_offset_ = (uint64_t)off;
    fd_ = fd;
  }

  ~Mapping() override { Unmap(); }

 private:
  char *addr_ = nullptr;
  size_t len_ = 0;
  uint64_t file_offset_ = 0;
  int fd_ = -1;
  bool writable_ = true;
  bool regular_ = false;

  bool Dead() const { return addr_ == nullptr; }

  void Unmap() {
    if (addr_) munmap(addr_, len_);
    if (fd_ >= 0) close(fd_);
    addr_ = nullptr;
    fd_ = -1;
  }

  // The [off, off+n) range of a read/write, checked; nullptr (exception set) if bad.
  char *Range(const Napi::CallbackInfo &info, const char *what, size_t *n, uint8_t **user) {
    Napi::Env env = info.Env();
    if (Dead()) { PlainError(env, "EBADF", EBADF, std::string(what) + ": mapping is closed").ThrowAsJavaScriptException(); return nullptr; }
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      PlainError(env, "EINVAL", EINVAL, std::string(what) + "(offset, Uint8Array): bad arguments").ThrowAsJavaScriptException();
      return nullptr;
    }
    double off = info[0].As<Napi::Number>().DoubleValue();
    Napi::Uint8Array arr = info[1].As<Napi::Uint8Array>();
    *n = arr.ByteLength();
    *user = arr.Data();
    if (!WholeNumber(off, (double)len_) || *n > len_ || (size_t)off > len_ - *n) {
      PlainError(env, "ERANGE", ERANGE, std::string(what) + ": [" + std::to_string((unsigned long long)off) + ", +" + std::to_string(*n) +
                 ") is outside the mapping of " + std::to_string(len_) + " bytes").ThrowAsJavaScriptException();
      return nullptr;
    }
    if (regular_ && *n && !FileStillCovers((uint64_t)off, *n, env, what)) return nullptr;
    return addr_ + (size_t)off;
  }

  // A regular file shrunk under the mapping: pages past its end would SIGBUS.
  bool FileStillCovers(uint64_t off, size_t n, Napi::Env env, const char *what) {
    struct stat st;
    if (fstat(fd_, &st) != 0) { SyscallError(env, errno, std::string(what) + ": fstat").ThrowAsJavaScriptException(); return false; }
    uint64_t end = file_offset_ + off + n;
    if ((uint64_t)st.st_size >= end) return true;
    PlainError(env, "EFAULT", EFAULT, std::string(what) + ": the file was truncated under the mapping (now " + std::to_string((long long)st.st_size) +
               " bytes, the access ends at " + std::to_string((unsigned long long)end) + ")").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value BusError(Napi::Env env, const char *what, const char *at) {
    PlainError(env, "EIO", EIO, std::string(what) + ": bus error at mapping offset " + std::to_string((size_t)(at - addr_)) +
               " (the file shrank under the mapping, its file system is full, or the memory is poisoned)").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // read(offset, dst) copies mapping bytes into dst; write(offset, src)
  // copies src into the mapping (refused on a read-only mapping).
  Napi::Value Copy(const Napi::CallbackInfo &info, bool into_mapping) {
    Napi::Env env = info.Env();
    const char *what = into_mapping ? "write" : "read";
    if (into_mapping && !Dead() && !writable_) {
      PlainError(env, "EACCES", EACCES, "write: the mapping is read-only (mapped with {write:false})").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    size_t n;
    uint8_t *user;
    char *at = Range(info, what, &n, &user);
    if (!at) return env.Undefined();
    const char *fault = into_mapping ? GuardedCopy(at, user, n, at, at + n) : GuardedCopy(user, at, n, at, at + n);
    if (fault) return BusError(env, what, fault);
    return env.Undefined();
  }
  Napi::Value Read(const Napi::CallbackInfo &info) { return Copy(info, false); }
  Napi::Value Write(const Napi::CallbackInfo &info) { return Copy(info, true); }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    Unmap();
    return info.Env().Undefined();
  }

  Napi::Value Msync(const Napi::CallbackInfo &info) {
    if (Dead()) { PlainError(info.Env(), "EBADF", EBADF, "msync: mapping is closed").ThrowAsJavaScriptException(); return info.Env().Undefined(); }
    if (msync(addr_, len_, MS_SYNC) != 0) SyscallError(info.Env(), errno, "msync").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }

  Napi::Value Length(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), Dead() ? 0 : (double)len_); }
  Napi::Value Writable(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), writable_); }
  Napi::Value Closed(const Napi::CallbackInfo &info) { return Napi::Boolean::New(info.Env(), Dead()); }
};

// info(path): kind, major/minor, size (st_size, or sysfs for /dev/daxX.Y), align
Napi::Value Info(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    PlainError(env, "EINVAL", EINVAL, "info(path): path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>();
  struct stat st;
  if (stat(path.c_str(), &st) != 0) { SyscallError(env, errno, "stat " + path).ThrowAsJavaScriptException(); return env.Undefined(); }
  Napi::Object o = Napi::Object::New(env);
  bool chr = S_ISCHR(st.st_mode);
  o.Set("kind", Napi::String::New(env, chr ? "chardev" : S_ISREG(st.st_mode) ? "file" : S_ISBLK(st.st_mode) ? "blockdev" : "other"));
  o.Set("major", Napi::Number::New(env, chr ? major(st.st_rdev) : 0));
  o.Set("minor", Napi::Number::New(env, chr ? minor(st.st_rdev) : 0));
  o.Set("size", Napi::Number::New(env, (double)st.st_size));
  o.Set("pageSize", Napi::Number::New(env, (double)sysconf(_SC_PAGESIZE)));
  return o;
}

}  // namespace

void RegisterMmap(Napi::Env env, Napi::Object exports) {
  exports.Set("Mapping", Mapping::Init(env));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("pageSize", Napi::Number::New(env, (double)sysconf(_SC_PAGESIZE)));
}
