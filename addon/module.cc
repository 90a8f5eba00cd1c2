// One native module for the harness: each part registers its exports here.
#include "module.h"

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) {
  RegisterMmap(env, exports);
  RegisterLock(env, exports);
  return exports;
}

NODE_API_MODULE(famfs_mmap, InitAll)
