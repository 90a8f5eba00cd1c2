// The addon's parts, one source file each; module.cc registers them all.
#pragma once
#include <napi.h>

void RegisterMmap(Napi::Env env, Napi::Object exports);  // famfs_mmap.cc
void RegisterLock(Napi::Env env, Napi::Object exports);  // famfs_lock.cc
