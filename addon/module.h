// The addon's parts, one source file each; module.cc registers them all.
#pragma once
#include <napi.h>
#include <string>

void RegisterMmap(Napi::Env env, Napi::Object exports);  // famfs_mmap.cc
void RegisterSock(Napi::Env env, Napi::Object exports);  // famfs_sock.cc
void RegisterLock(Napi::Env env, Napi::Object exports);  // famfs_lock.cc

// An Error for a failed system call: message with strerror, .code the errno
// name, .errno the negative errno (module.cc).
Napi::Error SyscallError(Napi::Env env, int err, const std::string &what);
