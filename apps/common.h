/*
 * What the sample apps share: the clock, addresses and sizes from the
 * command line, signals, a seeded byte pattern that both ends of a
 * connection can produce or check at any offset, and a latency histogram.
 * libc only; the sockets themselves go through dps_api.h.
 */
#ifndef DPS_APPS_COMMON_H
#define DPS_APPS_COMMON_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dps_api.h"

/** Set by SIGINT and SIGTERM once app_signals() ran. */
extern volatile sig_atomic_t app_stop;

/** SIGINT/SIGTERM set app_stop (blocking calls return EINTR); SIGPIPE ignored. */
void app_signals(void);

/** Attach the calling thread to dpstackd (a no-op over the kernel); on
 * failure print why, naming $DPSTACK_API, and return -1. */
int app_attach(const char *name);

/** CLOCK_MONOTONIC in nanoseconds. */
uint64_t app_now_ns(void);

/** host (dotted quad or name) and port into sa. 0, or -1 with a message printed. */
int app_addr(const char *host, uint16_t port, struct sockaddr_in *sa);

/** "1500", "64K", "10M", "1G" (powers of 1024; "KiB"/"MB" spellings too).
 * 0 with *v set, or -1 for anything else. */
int app_size(const char *s, uint64_t *v);

/** A port number 1..65535, or -1. */
int app_port(const char *s);

/** After dps_accept4() failed with err: 0 if it passes (EAGAIN, a
 * connection reset before it was accepted, out of descriptors for now ...),
 * -1 if the listener is done for (ENETDOWN: dpstackd went away; EBADF ...),
 * said on stderr for who. */
int app_accept_error(const char *who, int err);

/** A non-blocking connect() reported ready by epoll with events: 0 if it
 * connected, else the errno it failed with (SO_ERROR). */
int app_connect_result(int fd, uint32_t events);

/** O_NONBLOCK through dps_fcntl. 0 or -1. */
int app_nonblock(int fd);

/** Setsockopt of an int, errors ignored (an option a stack lacks is not fatal). */
void app_sockopt_int(int fd, int level, int opt, int v);

/** "1.2.3.4:80" of sa into buf (at least 24 bytes). */
const char *app_addr_str(const struct sockaddr_in *sa, char *buf, size_t len);

/** A seed for random data: the time and the pid mixed. */
uint64_t app_seed(void);

/*
 * The pattern: byte i of the stream of seed s is byte (i % 8) of
 * splitmix64(s + i / 8), so a sender and a checker agree at any offset and
 * in chunks of any size.
 */
void app_pattern(uint64_t seed, uint64_t off, void *buf, size_t len);
/** Compare buf with the pattern at off: -1 if it matches, else the index
 * of the first byte that differs. */
long app_pattern_check(uint64_t seed, uint64_t off, const void *buf, size_t len);

/* Latency histogram, log-linear: exact below 128 ns-units, then 64 buckets
 * per power of two (under 1.6% error), any 64-bit value. */
#define HIST_SUB_BITS 7
#define HIST_BUCKETS  ((1 << HIST_SUB_BITS) + (64 - HIST_SUB_BITS) * (1 << (HIST_SUB_BITS - 1)))

struct app_hist {
	uint64_t n, sum, min, max;
	uint64_t b[HIST_BUCKETS];
};

void app_hist_init(struct app_hist *h);
void app_hist_add(struct app_hist *h, uint64_t v);
void app_hist_merge(struct app_hist *into, const struct app_hist *h);
/** The value at quantile q (0..1): the upper edge of the bucket holding it
 * (never above max); 0 if empty. */
uint64_t app_hist_pct(const struct app_hist *h, double q);

#endif
