// One native module for the harness: each part registers its exports here.
#include "module.h"
#include <cstring>

Napi::Error SyscallError(Napi::Env env, int err, const std::string &what) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  const char *name = strerrorname_np(err);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, -err));
  return e;
}

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  RegisterMmap(env, exports);
  RegisterSock(env, exports);
  RegisterLock(env, exports);
  return exports;
}

NODE_API_MODULE(famfs_mmap, InitAll)
