/*
 * Helpers of the sample apps (common.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

volatile sig_atomic_t app_stop;

static void on_stop(int sig)
{
	(void)sig;
	app_stop = 1;
}

void app_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;   /* no SA_RESTART: a blocked call returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int app_attach(const char *name)
{
	const char *api;

	if (dps_attach(name) == 0)
		return 0;
	api = getenv("DPSTACK_API");
	fprintf(stderr, "%s: cannot attach to dpstackd at %s: %s\n", name,
		api != NULL ? api : "/run/dpstack/api.sock (set DPSTACK_API)", strerror(errno));
	return -1;
}

uint64_t app_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int app_addr(const char *host, uint16_t port, struct sockaddr_in *sa)
{
	struct addrinfo hints, *res;
	int rc;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) == 1)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	sa->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

int app_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;
	unsigned shift = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift != 0 && (strcasecmp(end, "ib") == 0 || strcasecmp(end, "b") == 0))
		end += strlen(end);
	if (*end != '\0' || (shift != 0 && x > (~0ull >> shift)))
		return -1;
	*v = (uint64_t)x << shift;
	return 0;
}

int app_port(const char *s)
{
	uint64_t v;

	if (app_size(s, &v) != 0 || v == 0 || v > 65535 || strpbrk(s, "kKmMgGtT") != NULL)
		return -1;
	return (int)v;
}

int app_accept_error(const char *who, int err)
{
	switch (err) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:
		return 0;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		fprintf(stderr, "%s: accept: %s\n", who, strerror(err));
		return 0;
	default:
		fprintf(stderr, "%s: accept: %s: the listener is gone, stopping\n", who,
			strerror(err));
		return -1;
	}
}

int app_connect_result(int fd, uint32_t events)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (dps_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
		return errno;
	if (err == 0 && (events & (EPOLLERR | EPOLLHUP)))
		err = ECONNRESET;
	return err;
}

int app_nonblock(int fd)
{
	int fl = dps_fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return dps_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void app_sockopt_int(int fd, int level, int opt, int v)
{
	(void)dps_setsockopt(fd, level, opt, &v, sizeof(v));
}

const char *app_addr_str(const struct sockaddr_in *sa, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(sa->sin_port));
	return buf;
}

uint64_t app_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
}

/* ---- the pattern ---- */

static inline uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint8_t pattern_byte(uint64_t seed, uint64_t i)
{
	return (uint8_t)(splitmix64(seed + i / 8) >> (8 * (i % 8)));
}

void app_pattern(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i = 0;

	for (; i < len && (off + i) % 8 != 0; i++)
		p[i] = pattern_byte(seed, off + i);
	for (; i + 8 <= len; i += 8) {
		uint64_t w = splitmix64(seed + (off + i) / 8);

		/* byte k of the word is bits 8k..8k+7: little-endian order */
		for (unsigned k = 0; k < 8; k++)
			p[i + k] = (uint8_t)(w >> (8 * k));
	}
	for (; i < len; i++)
		p[i] = pattern_byte(seed, off + i);
}

long app_pattern_check(uint64_t seed, uint64_t off, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t tmp[4096];

	for (size_t done = 0; done < len;) {
		size_t n = len - done < sizeof(tmp) ? len - done : sizeof(tmp);

		app_pattern(seed, off + done, tmp, n);
		if (memcmp(tmp, p + done, n) != 0) {
			for (size_t k = 0; k < n; k++)
				if (tmp[k] != p[done + k])
					return (long)(done + k);
		}
		done += n;
	}
	return -1;
}

/* ---- histogram ---- */

static unsigned hist_index(uint64_t v)
{
	unsigned msb, b;

	if (v < (1u << HIST_SUB_BITS))
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	b = msb - HIST_SUB_BITS + 1;
	return (1u << HIST_SUB_BITS) + (b - 1) * (1u << (HIST_SUB_BITS - 1)) +
	       (unsigned)((v >> b) - (1u << (HIST_SUB_BITS - 1)));
}

static uint64_t hist_upper(unsigned idx)
{
	unsigned k, b;
	uint64_t sub;

	if (idx < (1u << HIST_SUB_BITS))
		return idx;
	k = idx - (1u << HIST_SUB_BITS);
	b = k / (1u << (HIST_SUB_BITS - 1)) + 1;
	sub = (1u << (HIST_SUB_BITS - 1)) + k % (1u << (HIST_SUB_BITS - 1));
	return ((sub + 1) << b) - 1;
}

void app_hist_init(struct app_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void app_hist_add(struct app_hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->n++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void app_hist_merge(struct app_hist *into, const struct app_hist *h)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->b[i] += h->b[i];
	into->n += h->n;
	into->sum += h->sum;
	if (h->min < into->min)
		into->min = h->min;
	if (h->max > into->max)
		into->max = h->max;
}

uint64_t app_hist_pct(const struct app_hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n);     /* the rank: ceil(q * n) */
	if ((double)want < q * (double)h->n)
		want++;
	if (want < 1)
		want = 1;
	if (want > h->n)
		want = h->n;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			uint64_t u = hist_upper(i);

			return u < h->max ? u : h->max;
		}
	}
	return h->max;
}
