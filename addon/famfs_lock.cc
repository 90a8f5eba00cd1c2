// famfs_lock: flock(2) for image writers and readers, as famfs serialises log
// appends with an exclusive flock on .meta/.log. A flock is tied to the open
// file description, so the kernel drops it when the process dies (kill -9
// included) — no stale lock file to clean up. Errors carry the errno name in
// .code and -errno in .errno.
#include "module.h"
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/file.h>

namespace {

bool IntArg(const Napi::CallbackInfo &info, size_t i, int64_t *out) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != (double)(int64_t)d) return false;
  *out = (int64_t)d;
  return true;
}

double NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// flock(fd, exclusive, timeoutMs): timeoutMs < 0 blocks, 0 tries once,
// > 0 retries every 2 ms until the time is up (then EWOULDBLOCK).
Napi::Value Flock(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd, timeout;
  if (!IntArg(info, 0, &fd) || fd < 0 || info.Length() < 3 || !info[1].IsBoolean() || !IntArg(info, 2, &timeout)) {
    SyscallError(env, EINVAL, "flock(fd, exclusive, timeoutMs): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int op = info[1].As<Napi::Boolean>().Value() ? LOCK_EX : LOCK_SH;
  if (timeout < 0) {
    while (flock((int)fd, op) != 0) {
      if (errno == EINTR) continue;
      SyscallError(env, errno, "flock").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return env.Undefined();
  }
  double deadline = NowMs() + (double)timeout;
  for (;;) {
    if (flock((int)fd, op | LOCK_NB) == 0) return env.Undefined();
    int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      SyscallError(env, err, "flock").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (NowMs() >= deadline) {
      SyscallError(env, EWOULDBLOCK, "flock: held by another process for " + std::to_string(timeout) + " ms").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    struct timespec nap = {0, 2 * 1000 * 1000};
    nanosleep(&nap, nullptr);
  }
}

Napi::Value Funlock(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!IntArg(info, 0, &fd) || fd < 0) {
    SyscallError(env, EINVAL, "funlock(fd): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (flock((int)fd, LOCK_UN) != 0) SyscallError(env, errno, "flock(LOCK_UN)").ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

void RegisterLock(Napi::Env env, Napi::Object exports) {
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("funlock", Napi::Function::New(env, Funlock));
}
