/* LD_PRELOAD shim for bench/durable_writes.sh: makes every fsync/fdatasync of the process take
 * SLOW_FSYNC_US microseconds longer, to measure group commit on a disk whose flushes are slow
 * (network block storage, SSDs without power-loss protection) on a machine whose disk is fast.
 * Benchmark use only; never linked into the server. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static useconds_t delay_us(void) {
  const char* v = getenv("SLOW_FSYNC_US");
  return v ? (useconds_t)atoi(v) : 2000;
}

int fdatasync(int fd) {
  static int (*real)(int) = 0;
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  usleep(delay_us());
  return real(fd);
}

int fsync(int fd) {
  static int (*real)(int) = 0;
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  usleep(delay_us());
  return real(fd);
}
