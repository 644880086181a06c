/*
 * Built-in services: start and stop on every worker, the list, the
 * counters. The workers' side (callbacks) is in service_conn.c and
 * service_http.c.
 *
 * The list of running services hangs off the stack (st->services) and is
 * touched by the control plane only.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "app/service_internal.h"
#include "core/worker.h"
#include "session/session.h"

/* The stack's services, in start order (st->services, control plane only). */
#define SVC_HEAD(st) (*(struct service **)&(st)->services)

const char *svc_kind_name(enum dps_svc_kind k)
{
	switch (k) {
	case DPS_SVC_ECHO:    return "echo";
	case DPS_SVC_DISCARD: return "discard";
	case DPS_SVC_SOURCE:  return "source";
	case DPS_SVC_HTTP:    return "http";
	}
	return "?";
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* ---- on the worker (dps_worker_rpc) ---- */

static int sw_start(struct dps_worker *w, void *arg)
{
	struct svc_worker *sw = arg;
	const struct service *s = sw->svc;
	bool tcp = s->proto == IPPROTO_TCP;
	int one = 1, sd, rc;

	sw->w = w;
	sd = dps_sock_socket(w, tcp ? SOCK_STREAM : SOCK_DGRAM);
	if (sd < 0)
		return sd;
	/* as Linux servers do: a restart binds while old connections sit in TIME-WAIT */
	if (tcp)
		(void)dps_sock_setsockopt(w, sd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	rc = dps_sock_bind(w, sd, 0, s->port);
	if (rc == 0 && tcp)
		rc = dps_sock_listen(w, sd, SOMAXCONN);
	if (rc == 0)
		rc = dps_sock_set_callback(w, sd, tcp ? svc_listen_cb : svc_udp_cb, sw);
	if (rc < 0) {
		dps_sock_close(w, sd);
		return rc;
	}
	sw->lsd = sd;
	return 0;
}

static int sw_stop(struct dps_worker *w, void *arg)
{
	struct svc_worker *sw = arg;

	if (sw->lsd >= 0) {
		dps_sock_set_callback(w, sw->lsd, NULL, NULL);
		dps_sock_close(w, sw->lsd);
		sw->lsd = -1;
	}
	svc_conns_abort(sw);
	return 0;
}

/* ---- control plane ---- */

static void sw_free(struct svc_worker *sw)
{
	if (sw == NULL)
		return;
	free(sw->conns);
	free(sw->scratch);
	free(sw->pattern);
	free(sw);
}

static void svc_free(struct service *s)
{
	if (s->leaked)
		return;   /* a worker may still run an RPC on it */
	for (unsigned i = 0; i < s->n_sw; i++)
		sw_free(s->sw[i]);
	http_site_free(&s->site);
	free(s);
}

static struct svc_worker *sw_alloc(struct service *s)
{
	struct svc_worker *sw;

	if (posix_memalign((void **)&sw, RTE_CACHE_LINE_SIZE, sizeof(*sw)) != 0)
		return NULL;
	memset(sw, 0, sizeof(*sw));
	sw->svc = s;
	sw->lsd = -1;
	sw->free_head = -1;
	sw->scratch = malloc(SVC_SCRATCH);
	if (s->proto == IPPROTO_TCP)
		/* calloc of this size maps fresh zero pages: records cost memory once used */
		sw->conns = calloc(DPS_SVC_MAX_CONNS, sizeof(*sw->conns));
	if (sw->scratch == NULL || (s->proto == IPPROTO_TCP && sw->conns == NULL)) {
		sw_free(sw);
		return NULL;
	}
	if (s->kind == DPS_SVC_SOURCE) {
		/* sent from pattern + offset % period: one period more than a send */
		sw->pattern = malloc(SVC_SCRATCH + DPS_SVC_SOURCE_PERIOD);
		if (sw->pattern == NULL) {
			sw_free(sw);
			return NULL;
		}
		for (unsigned i = 0; i < SVC_SCRATCH + DPS_SVC_SOURCE_PERIOD; i++)
			sw->pattern[i] = (uint8_t)(i % DPS_SVC_SOURCE_PERIOD);
	}
	return sw;
}

/* Stop the worker parts 0..n-1; false if a worker did not answer. */
static bool stop_workers(struct dps_stack *st, struct service *s, unsigned n)
{
	bool ok = true;

	for (unsigned i = 0; i < n; i++)
		if (s->sw[i] != NULL && dps_worker_rpc(st, i, sw_stop, s->sw[i]) == -ETIMEDOUT) {
			s->leaked = true;
			ok = false;
		}
	return ok;
}

static void svc_label(const struct service *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s %u/%s", svc_kind_name(s->kind), s->port, proto_name(s->proto));
}

int dps_service_start(struct dps_stack *st, const struct dps_svc_conf *c, char *err,
		      size_t errlen)
{
	struct service *s, **tail;
	char label[64];
	unsigned i;
	int rc;

	if (c->port == 0 || (c->proto != IPPROTO_TCP && c->proto != IPPROTO_UDP)) {
		snprintf(err, errlen, "bad port or protocol");
		return -EINVAL;
	}
	if (c->proto == IPPROTO_UDP && (c->kind == DPS_SVC_SOURCE || c->kind == DPS_SVC_HTTP)) {
		snprintf(err, errlen, "the %s service is TCP only", svc_kind_name(c->kind));
		return -EINVAL;
	}
	if (c->kind == DPS_SVC_SOURCE && c->bytes == 0) {
		snprintf(err, errlen, "the source service needs a byte count above 0");
		return -EINVAL;
	}
	for (s = SVC_HEAD(st); s != NULL; s = s->next) {
		if (s->st == st && s->port == c->port && s->proto == c->proto) {
			svc_label(s, label, sizeof(label));
			snprintf(err, errlen, "port %u/%s is in use by service %s", c->port,
				 proto_name(c->proto), label);
			return -EADDRINUSE;
		}
	}
	if (st->n_workers == 0) {
		snprintf(err, errlen, "no workers to run the service");
		return -ENODEV;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->st = st;
	s->kind = c->kind;
	s->proto = c->proto;
	s->port = c->port;
	s->bytes = c->bytes;
	if (c->kind == DPS_SVC_HTTP) {
		rc = http_site_load(&s->site, c->root, err, errlen);
		if (rc < 0) {
			free(s);
			return rc;
		}
	}
	s->n_sw = st->n_workers;
	for (i = 0; i < s->n_sw; i++) {
		s->sw[i] = sw_alloc(s);
		if (s->sw[i] == NULL) {
			svc_free(s);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	for (i = 0; i < s->n_sw; i++) {
		rc = dps_worker_rpc(st, i, sw_start, s->sw[i]);
		if (rc < 0)
			break;
	}
	if (i < s->n_sw) {
		if (rc == -ETIMEDOUT)
			s->leaked = true;   /* it may bind later: the memory is its */
		stop_workers(st, s, i);
		svc_free(s);
		if (rc == -ETIMEDOUT)
			snprintf(err, errlen, "worker %u did not answer", i);
		else if (rc == -EADDRINUSE)
			snprintf(err, errlen, "port %u/%s is in use by another socket", c->port,
				 proto_name(c->proto));
		else
			snprintf(err, errlen, "cannot open port %u/%s on worker %u: %s", c->port,
				 proto_name(c->proto), i, strerror(-rc));
		return rc;
	}
	for (tail = &SVC_HEAD(st); *tail != NULL; tail = &(*tail)->next)
		;
	*tail = s;
	return 0;
}

static void unlink_svc(struct service *s)
{
	for (struct service **p = &SVC_HEAD(s->st); *p != NULL; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			return;
		}
	}
}

/* "80", "7/udp" or a name: does s fit? */
static bool svc_matches(const struct service *s, const char *which)
{
	char *end;
	unsigned long port = strtoul(which, &end, 10);

	if (which[0] >= '0' && which[0] <= '9') {
		if (port != s->port)
			return false;
		if (*end == '\0')
			return true;
		return *end == '/' && strcmp(end + 1, proto_name(s->proto)) == 0;
	}
	return strcmp(which, svc_kind_name(s->kind)) == 0;
}

static bool which_ok(const char *which)
{
	char *end;
	unsigned long port;

	if (which[0] < '0' || which[0] > '9')
		return true;   /* a name: any word */
	port = strtoul(which, &end, 10);
	if (port == 0 || port > 65535)
		return false;
	return *end == '\0' || strcmp(end, "/tcp") == 0 || strcmp(end, "/udp") == 0;
}

/* "http 80/tcp, echo 7/udp" */
static void list_labels(struct dps_stack *st, const char *which, char *buf, size_t len)
{
	size_t used = 0;
	char label[64];

	buf[0] = '\0';
	for (struct service *s = SVC_HEAD(st); s != NULL && used < len; s = s->next) {
		if (s->st != st || (which != NULL && !svc_matches(s, which)))
			continue;
		svc_label(s, label, sizeof(label));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", label);
	}
}

int dps_service_stop(struct dps_stack *st, const char *which, char *err, size_t errlen)
{
	struct service *found = NULL;
	unsigned n = 0;
	char list[512];

	if (!which_ok(which)) {
		snprintf(err, errlen, "'%.32s' is neither a service name nor <port>[/tcp|/udp]",
			 which);
		return -EINVAL;
	}
	for (struct service *s = SVC_HEAD(st); s != NULL; s = s->next)
		if (s->st == st && svc_matches(s, which))
			found = s, n++;
	if (n == 0) {
		list_labels(st, NULL, list, sizeof(list));
		snprintf(err, errlen, "no service '%.32s' is running (%s%s)", which,
			 list[0] ? "running: " : "none is", list);
		return -ENOENT;
	}
	if (n > 1) {
		list_labels(st, which, list, sizeof(list));
		snprintf(err, errlen, "'%.32s' fits %u services (%s): name one by "
			 "<port>/<protocol>", which, n, list);
		return -EEXIST;
	}
	unlink_svc(found);
	if (!stop_workers(st, found, found->n_sw)) {
		svc_free(found);
		snprintf(err, errlen, "a worker did not answer; the service is removed from "
			 "the list, its sockets may stay open");
		return -ETIMEDOUT;
	}
	svc_free(found);
	return 0;
}

void dps_service_walk(struct dps_stack *st, int (*cb)(const struct dps_svc_info *, void *),
		      void *arg)
{
	for (struct service *s = SVC_HEAD(st); s != NULL; s = s->next) {
		struct dps_svc_info in;

		if (s->st != st)
			continue;
		memset(&in, 0, sizeof(in));
		in.kind = s->kind;
		in.name = svc_kind_name(s->kind);
		in.proto = s->proto;
		in.port = s->port;
		for (unsigned i = 0; i < s->n_sw; i++) {
			const struct svc_worker *sw = s->sw[i];

			/* written by the worker: each 64-bit load is atomic here */
			in.conns_now += sw->conns_now;
			in.conns_total += sw->conns_total;
			in.requests += sw->requests;
			in.rx_bytes += sw->rx_bytes;
			in.tx_bytes += sw->tx_bytes;
			in.refused += sw->refused;
		}
		if (s->kind == DPS_SVC_HTTP)
			snprintf(in.detail, sizeof(in.detail), "root %.100s (%u files, %.1f MiB)",
				 s->site.root, s->site.n, (double)s->site.bytes / (1 << 20));
		else if (s->kind == DPS_SVC_SOURCE)
			snprintf(in.detail, sizeof(in.detail), "bytes %" PRIu64, s->bytes);
		if (cb(&in, arg) != 0)
			break;
	}
}

unsigned dps_service_count(struct dps_stack *st)
{
	unsigned n = 0;

	for (struct service *s = SVC_HEAD(st); s != NULL; s = s->next)
		n += s->st == st;
	return n;
}

void dps_services_fini(struct dps_stack *st)
{
	struct service *s = SVC_HEAD(st), *next;

	for (; s != NULL; s = next) {
		next = s->next;
		if (s->st != st)
			continue;
		unlink_svc(s);
		stop_workers(st, s, s->n_sw);
		svc_free(s);
	}
}
