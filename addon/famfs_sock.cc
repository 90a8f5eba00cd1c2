// famfs_sock: the socketpair an external fuse server reads its requests from.
// A SOCK_SEQPACKET pair keeps record boundaries, so one send() is one request
// and one recv() is one reply, as on /dev/fuse. Everything is synchronous: the
// simulated kernel waits for its reply with a bounded poll(). Sends use
// MSG_NOSIGNAL, so a dead peer is an EPIPE error, never a SIGPIPE. Errors carry
// the errno name in .code and -errno in .errno.
#include "module.h"
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace {

bool FdArg(const Napi::CallbackInfo &info, size_t i, int *fd) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  *fd = info[i].As<Napi::Number>().Int32Value();
  return *fd >= 0;
}

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// socketpair() -> [parentFd, childFd]; both close-on-exec (spawn's dup2 onto
// fd 3 clears the flag for the child's copy only).
Napi::Value SocketPair(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    SyscallError(env, errno, "socketpair").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(uint32_t(0), Napi::Number::New(env, sv[0]));
  a.Set(uint32_t(1), Napi::Number::New(env, sv[1]));
  return a;
}

// send(fd, bytes) -> bytes sent (the whole record or an error).
Napi::Value Send(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd;
  if (!FdArg(info, 0, &fd) || info.Length() < 2 || !info[1].IsTypedArray()) {
    Napi::TypeError::New(env, "send(fd, Uint8Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  ssize_t n;
  do {
    n = send(fd, data.Data(), data.ByteLength(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    SyscallError(env, errno, "send").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, double(n));
}

// recv(fd, maxBytes, timeoutMs) -> { status: 'record', data, truncated, length }
// | { status: 'eof' } | { status: 'timeout' }. `length` is the record's real
// size (MSG_TRUNC), so a record cut by a small buffer is reported, not hidden.
Napi::Value Recv(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd;
  if (!FdArg(info, 0, &fd) || info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "recv(fd, maxBytes, timeoutMs)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int64_t max = info[1].As<Napi::Number>().Int64Value();
  int64_t timeout = info[2].As<Napi::Number>().Int64Value();
  if (max <= 0 || max > (64 << 20) || timeout < 0) {
    SyscallError(env, EINVAL, "recv: maxBytes must be in (0, 64 MiB], timeoutMs >= 0").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object r = Napi::Object::New(env);
  const int64_t deadline = NowMs() + timeout;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int64_t left = deadline - NowMs();
    int rc = poll(&p, 1, int(left < 0 ? 0 : left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) {
      SyscallError(env, errno, "poll").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (rc == 0) {
      r.Set("status", Napi::String::New(env, "timeout"));
      return r;
    }
    if (p.revents & POLLNVAL) {
      SyscallError(env, EBADF, "poll").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    break;  // POLLIN or POLLHUP: recv tells which
  }
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, size_t(max));
  struct iovec iov = {buf.Data(), size_t(max)};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) {
    r.Set("status", Napi::String::New(env, "timeout"));
    return r;
  }
  if (n < 0) {
    SyscallError(env, errno, "recv").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (n == 0 && !(msg.msg_flags & MSG_TRUNC)) {
    // SEQPACKET: 0 is end of file (the peer closed); fuse has no empty records.
    r.Set("status", Napi::String::New(env, "eof"));
    return r;
  }
  const bool truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  const size_t kept = size_t(n) < size_t(max) ? size_t(n) : size_t(max);
  r.Set("status", Napi::String::New(env, "record"));
  r.Set("data", Napi::Buffer<uint8_t>::Copy(env, buf.Data(), kept));
  r.Set("length", Napi::Number::New(env, double(n)));
  r.Set("truncated", Napi::Boolean::New(env, truncated));
  return r;
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd;
  if (!FdArg(info, 0, &fd)) {
    Napi::TypeError::New(env, "close(fd)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (close(fd) < 0 && errno != EINTR) {
    SyscallError(env, errno, "close").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return env.Undefined();
}

}  // namespace

void RegisterSock(Napi::Env env, Napi::Object exports) {
  Napi::Object sock = Napi::Object::New(env);
  sock.Set("socketpair", Napi::Function::New(env, SocketPair, "socketpair"));
  sock.Set("send", Napi::Function::New(env, Send, "send"));
  sock.Set("recv", Napi::Function::New(env, Recv, "recv"));
  sock.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("sock", sock);
}
