// famfs_mmap: mmap of devdax character devices and ordinary files as external
// ArrayBuffers, for the harness's dax stores. close() detaches the buffer before
// munmap, so no view can touch unmapped memory; the finalizer unmaps only if
// close() never ran. Errors carry the errno name in .code and -errno in .errno.
#include "module.h"
#include <cerrno>
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

struct Region {
  void *addr = nullptr;
  size_t len = 0;
  bool unmapped = false;
};

Napi::Error ErrnoError(Napi::Env env, int err, const std::string &what) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  const char *name = strerrorname_np(err);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, -err));
  return e;
}

Napi::Error PlainError(Napi::Env env, const char *code, int err, const std::string &msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  return e;
}

void FinalizeRegion(Napi::Env, void *, Region *r) {
  if (!r->unmapped) munmap(r->addr, r->len);
  delete r;
}

class Mapping : public Napi::ObjectWrap<Mapping> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Mapping", {
      InstanceMethod("close", &Mapping::Close),
      InstanceMethod("msync", &Mapping::Msync),
      InstanceAccessor("buffer", &Mapping::Buffer, nullptr),
      InstanceAccessor("length", &Mapping::Length, nullptr),
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
    bool writable = true, sync = false;
    if (info.Length() > 3 && info[3].IsObject()) {
      Napi::Object o = info[3].As<Napi::Object>();
      if (o.Has("write")) writable = o.Get("write").ToBoolean();
      if (o.Has("sync")) sync = o.Get("sync").ToBoolean();
    }
    if (!(off >= 0) || !(len > 0) || off != (double)(off_t)off || len != (double)(size_t)len) {
      PlainError(env, "EINVAL", EINVAL, "map: offset must be >= 0 and length > 0 (whole numbers)").ThrowAsJavaScriptException();
      return;
    }
    long page = sysconf(_SC_PAGESIZE);
    if ((off_t)off % page != 0) {
      PlainError(env, "EINVAL", EINVAL, "map: offset must be a multiple of the page size").ThrowAsJavaScriptException();
      return;
    }
    int fd = open(path.c_str(), writable ? O_RDWR : O_RDONLY);
    if (fd < 0) { ErrnoError(env, errno, "open " + path).ThrowAsJavaScriptException(); return; }
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    int flags = sync ? (MAP_SHARED_VALIDATE | MAP_SYNC) : MAP_SHARED;
    void *p = mmap(nullptr, (size_t)len, prot, flags, fd, (off_t)off);
    int err = errno;
    close(fd);
    if (p == MAP_FAILED) { ErrnoError(env, err, "mmap " + path).ThrowAsJavaScriptException(); return; }
    region_ = new Region{p, (size_t)len, false};
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, p, (size_t)len, FinalizeRegion, region_);
    buffer_ = Napi::Persistent(ab);
  }

 private:
  Region *region_ = nullptr;
  Napi::Reference<Napi::ArrayBuffer> buffer_;

  bool Dead() const { return !region_ || region_->unmapped; }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    if (Dead()) return info.Env().Undefined();
    Napi::ArrayBuffer ab = buffer_.Value();
    ab.Detach();  // every view now has length 0: no access to unmapped memory
    munmap(region_->addr, region_->len);
    region_->unmapped = true;
    buffer_.Reset();
    return info.Env().Undefined();
  }

  Napi::Value Msync(const Napi::CallbackInfo &info) {
    if (Dead()) { PlainError(info.Env(), "EBADF", EBADF, "msync: mapping is closed").ThrowAsJavaScriptException(); return info.Env().Undefined(); }
    if (msync(region_->addr, region_->len, MS_SYNC) != 0) ErrnoError(info.Env(), errno, "msync").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }

  Napi::Value Buffer(const Napi::CallbackInfo &info) {
    if (Dead()) { PlainError(info.Env(), "EBADF", EBADF, "mapping is closed").ThrowAsJavaScriptException(); return info.Env().Undefined(); }
    return buffer_.Value();
  }
  Napi::Value Length(const Napi::CallbackInfo &info) { return Napi::Number::New(info.Env(), Dead() ? 0 : (double)region_->len); }
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
  if (stat(path.c_str(), &st) != 0) { ErrnoError(env, errno, "stat " + path).ThrowAsJavaScriptException(); return env.Undefined(); }
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
