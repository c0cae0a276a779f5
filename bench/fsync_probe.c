/* Measures this disk's fsync rate the way a database commit uses it: append 4 KiB to a file and
 * fdatasync, N times; prints "<rate> fsync/s". Built and run by bench/durable_writes.sh (with the
 * slow_fsync.so shim preloaded, it measures the simulated disk). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fsync_probe FILE COUNT\n");
    return 2;
  }
  const int count = atoi(argv[2]);
  const int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || count <= 0) return 1;
  char block[4096];
  memset(block, 'x', sizeof block);
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int i = 0; i < count; ++i) {
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block || fdatasync(fd) != 0) return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  close(fd);
  unlink(argv[1]);
  const double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  printf("%.0f\n", count / seconds);
  return 0;
}
