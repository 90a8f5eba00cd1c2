{
  "targets": [{
    "target_name": "famfs_mmap",
    "sources": ["module.cc", "famfs_mmap.cc", "famfs_sock.cc", "famfs_lock.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
    "cflags_cc": ["-std=c++17", "-Wall"],
    "cflags_cc!": ["-fno-exceptions"]
  }]
}
