/*
 * Simulated interfaces and the virtual clock (include/dpstack/sim.h).
 * A dps_sim wraps one stack instance whose interfaces have no port: their
 * rx function reads frames the caller injected, their tx function queues
 * frames for the caller to collect. Every call processes until the stack is
 * idle at the current virtual time, so runs are deterministic.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "core/clock.h"
#include "core/stack.h"
#include "core/worker.h"
#include "ctl/ctl.h"
#include "net/net_internal.h"
#include "session/session.h"
#include "sim/sim_internal.h"
#include "tcp/tcp.h"

#define SIM_TICK_NS  (100 * DPS_NS_PER_MS)   /* worker housekeeping (reassembly expiry) */
#define SIM_FRAME_MAX 9000

static int eal_state;   /* 0 not tried, 1 up, <0 failed */
static char runtime_dir[PATH_MAX];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

/* The EAL leaves its runtime directory (/var/run/dpdk/<prefix>) behind. */
static void sim_atexit(void)
{
	rte_eal_cleanup();
	if (runtime_dir[0] != '\0')
		nftw(runtime_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int dps_sim_global_init(void)
{
	char prefix[64], lcores[512];
	char *argv[] = {
		"dpstack-sim", "--no-huge", "-m", "2048", "--no-pci", "--no-shconf",
		lcores, "--log-level", "4", prefix, NULL,
	};
	cpu_set_t cpus;
	size_t off;
	int c;

	if (eal_state == 1)
		return 0;
	if (eal_state < 0)
		return eal_state;
	if (rte_eal_process_type() != RTE_PROC_INVALID && rte_lcore_count() > 0) {
		/* the caller started the EAL itself */
		eal_state = 1;
		return 0;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=dpsim-%d", (int)getpid());
	/* lcore 0 may run on any CPU we may: the simulation is single-threaded
	 * and must not pin the caller */
	sched_getaffinity(0, sizeof(cpus), &cpus);
	off = (size_t)snprintf(lcores, sizeof(lcores), "--lcores=(0)@(");
	for (c = 0; c < CPU_SETSIZE && off < sizeof(lcores) - 8; c++)
		if (CPU_ISSET(c, &cpus))
			off += (size_t)snprintf(lcores + off, sizeof(lcores) - off, "%d,", c);
	lcores[off - 1] = ')';
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		eal_state = -EIO;
		return eal_state;
	}
	sched_setaffinity(0, sizeof(cpus), &cpus);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(sim_atexit);
	eal_state = 1;
	return 0;
}

static uint16_t sim_rx(struct dps_iface *ifp, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct sim_if *si = ifp->io_ctx;
	uint16_t i = 0;

	while (i < n && si->rx_n > 0) {
		pkts[i++] = si->rxq[si->rx_head];
		si->rx_head = (si->rx_head + 1) % SIM_RXQ;
		si->rx_n--;
	}
	return i;
}

static uint16_t sim_tx(struct dps_iface *ifp, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct sim_if *si = ifp->io_ctx;
	struct dps_sim *sim = si->sim;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct sim_txf *f;

		if (si->tx_n == SIM_TXQ)
			break;
		f = &si->txq[(si->tx_head + si->tx_n) % SIM_TXQ];
		f->m = pkts[i];
		f->ts = sim->st->vclock_ns;
		f->seq = sim->tx_seq++;
		si->tx_n++;
		sim->tx_total++;
	}
	return i;
}

/* Process until nothing moves at the current time. */
static void sim_run(struct dps_sim *sim)
{
	struct dps_stack *st = sim->st;
	struct dps_worker *w = st->workers[0];
	unsigned n;

	do {
		n = dps_worker_poll(w, st->vclock_ns);
		n += dps_control_poll(st, st->vclock_ns);
	} while (n > 0);
}

struct dps_sim *dps_sim_create(const char *name, uint64_t start_ns)
{
	struct dps_stack_conf c = { .n_workers = 1, .socket_id = SOCKET_ID_ANY,
				    .virtual_clock = true, .n_mbufs = 32767 };
	char sname[32];
	struct dps_sim *sim;

	if (name == NULL || strlen(name) > 12) {
		errno = EINVAL;
		return NULL;
	}
	if (dps_sim_global_init() != 0) {
		errno = EIO;
		return NULL;
	}
	sim = calloc(1, sizeof(*sim));
	if (sim == NULL)
		return NULL;
	snprintf(sname, sizeof(sname), "s%s", name);
	c.name = sname;
	sim->st = dps_stack_create(&c);
	if (sim->st == NULL) {
		errno = rte_errno ? rte_errno : ENOMEM;
		free(sim);
		return NULL;
	}
	sim->st->vclock_ns = start_ns;
	sim->next_tick = start_ns + SIM_TICK_NS;
	return sim;
}

void dps_sim_destroy(struct dps_sim *sim)
{
	unsigned i;

	if (sim == NULL)
		return;
	for (i = 0; i < DPS_MAX_IFACES; i++) {
		struct sim_if *si = sim->ifs[i];

		if (si == NULL)
			continue;
		while (si->rx_n > 0) {
			rte_pktmbuf_free(si->rxq[si->rx_head]);
			si->rx_head = (si->rx_head + 1) % SIM_RXQ;
			si->rx_n--;
		}
		while (si->tx_n > 0) {
			rte_pktmbuf_free(si->txq[si->tx_head].m);
			si->tx_head = (si->tx_head + 1) % SIM_TXQ;
			si->tx_n--;
		}
	}
	/* frames still in the stack's rings are freed with it */
	dps_stack_destroy(sim->st);
	for (i = 0; i < DPS_MAX_IFACES; i++)
		free(sim->ifs[i]);
	free(sim);
}

int dps_sim_add_if(struct dps_sim *sim, const char *name, const uint8_t mac[6],
		   const char *addr, const char *gateway, uint16_t mtu)
{
	struct rte_ether_addr ea;
	struct sim_if *si;
	char cmd[160], out[256];
	int idx;

	if (sim == NULL || name == NULL || mac == NULL)
		return -EINVAL;
	memcpy(ea.addr_bytes, mac, 6);
	if (!rte_is_unicast_ether_addr(&ea))
		return -EINVAL;
	si = calloc(1, sizeof(*si));
	if (si == NULL)
		return -ENOMEM;
	si->sim = sim;
	idx = dps_iface_add(sim->st, name, &ea, mtu ? mtu : 1500, DPS_PORT_NONE, sim_rx, sim_tx, si);
	if (idx < 0) {
		free(si);
		return idx;
	}
	si->ifindex = idx;
	sim->ifs[idx] = si;
	snprintf(cmd, sizeof(cmd), "set interface state %s up", name);
	dps_sim_cli(sim, cmd, out, sizeof(out));
	if (addr != NULL) {
		snprintf(cmd, sizeof(cmd), "set interface ip address %s %s", name, addr);
		if (dps_sim_cli(sim, cmd, out, sizeof(out)) != 0)
			return -EINVAL;
	}
	if (gateway != NULL) {
		snprintf(cmd, sizeof(cmd), "ip route add 0.0.0.0/0 via %s %s", gateway, name);
		if (dps_sim_cli(sim, cmd, out, sizeof(out)) != 0)
			return -EINVAL;
	}
	return idx;
}

int dps_sim_inject(struct dps_sim *sim, int ifindex, const void *frame, size_t len)
{
	struct sim_if *si;
	struct rte_mbuf *m;
	void *p;

	if (sim == NULL || ifindex < 0 || ifindex >= DPS_MAX_IFACES || sim->ifs[ifindex] == NULL ||
	    frame == NULL)
		return -EINVAL;
	if (len > SIM_FRAME_MAX)
		return -E2BIG;
	si = sim->ifs[ifindex];
	if (si->rx_n == SIM_RXQ)
		return -ENOBUFS;
	m = rte_pktmbuf_alloc(sim->st->pool);
	if (m == NULL)
		return -ENOBUFS;
	for (size_t off = 0; off < len;) {
		struct rte_mbuf *last = rte_pktmbuf_lastseg(m);
		size_t chunk = RTE_MIN(len - off, (size_t)rte_pktmbuf_tailroom(last));

		if (chunk == 0) {
			/* jumbo frame: chain another segment */
			struct rte_mbuf *n = rte_pktmbuf_alloc(sim->st->pool);

			if (n == NULL || rte_pktmbuf_chain(m, n) != 0) {
				rte_pktmbuf_free(n);
				rte_pktmbuf_free(m);
				return -ENOBUFS;
			}
			continue;
		}
		p = rte_pktmbuf_append(m, (uint16_t)chunk);
		memcpy(p, (const uint8_t *)frame + off, chunk);
		off += chunk;
	}
	si->rxq[(si->rx_head + si->rx_n) % SIM_RXQ] = m;
	si->rx_n++;
	sim_run(sim);
	return 0;
}

/* The interface whose oldest frame was sent first. */
static struct sim_if *oldest_tx(const struct dps_sim *sim)
{
	struct sim_if *best = NULL;
	unsigned i;

	for (i = 0; i < DPS_MAX_IFACES; i++) {
		struct sim_if *si = sim->ifs[i];

		if (si == NULL || si->tx_n == 0)
			continue;
		if (best == NULL || si->txq[si->tx_head].seq < best->txq[best->tx_head].seq)
			best = si;
	}
	return best;
}

ssize_t sim_take(struct sim_if *si, void *buf, size_t cap, uint64_t *ts_ns)
{
	struct sim_txf *f = &si->txq[si->tx_head];
	uint32_t len = f->m->pkt_len;
	size_t n = RTE_MIN((size_t)len, cap);

	if (n > 0) {
		const void *p = rte_pktmbuf_read(f->m, 0, (uint32_t)n, buf);

		if (p != buf)
			memcpy(buf, p, n);
	}
	if (ts_ns != NULL)
		*ts_ns = f->ts;
	rte_pktmbuf_free(f->m);
	si->tx_head = (si->tx_head + 1) % SIM_TXQ;
	si->tx_n--;
	return (ssize_t)len;
}

ssize_t dps_sim_collect(struct dps_sim *sim, int *ifindex, void *buf, size_t cap, uint64_t *ts_ns)
{
	struct sim_if *si = oldest_tx(sim);

	if (si == NULL)
		return 0;
	if (ifindex != NULL)
		*ifindex = si->ifindex;
	return sim_take(si, buf, cap, ts_ns);
}

unsigned dps_sim_pending(const struct dps_sim *sim)
{
	unsigned i, n = 0;

	for (i = 0; i < DPS_MAX_IFACES; i++)
		if (sim->ifs[i] != NULL)
			n += sim->ifs[i]->tx_n;
	return n;
}

uint64_t dps_sim_now(const struct dps_sim *sim)
{
	return sim->st->vclock_ns;
}

uint64_t dps_sim_next_deadline(const struct dps_sim *sim)
{
	uint64_t d = sim->next_tick;

	uint64_t t = dps_wheel_next_deadline(&sim->st->workers[0]->wheel);

	if (sim->st->fib->next_timer_ns < d)
		d = sim->st->fib->next_timer_ns;
	return t < d ? t : d;
}

int dps_sim_set_time(struct dps_sim *sim, uint64_t t_ns)
{
	struct dps_stack *st = sim->st;

	if (t_ns < st->vclock_ns)
		return -EINVAL;
	for (uint64_t last = UINT64_MAX;;) {
		uint64_t d = dps_sim_next_deadline(sim);

		if (d > t_ns || (d == last && d <= st->vclock_ns))
			break;   /* nothing due, or a deadline that runs nothing */
		last = d;
		if (d > st->vclock_ns)
			st->vclock_ns = d;
		if (d >= sim->next_tick) {
			st->workers[0]->now = st->vclock_ns;
			dps_net_worker_tick(st->workers[0]);
			sim->next_tick = st->vclock_ns + SIM_TICK_NS;
		}
		/* neighbour timers run from dps_control_poll() */
		sim_run(sim);
		if (st->fib->next_timer_ns <= st->vclock_ns)
			st->fib->next_timer_ns = st->vclock_ns + 1;   /* never spin */
	}
	st->vclock_ns = t_ns;
	sim_run(sim);
	return 0;
}

int dps_sim_advance(struct dps_sim *sim, uint64_t delta_ns)
{
	return dps_sim_set_time(sim, sim->st->vclock_ns + delta_ns);
}

int dps_sim_cli(struct dps_sim *sim, const char *cmd, char *out, size_t outlen)
{
	struct dps_out o;
	int ret;

	dps_out_init(&o);
	ret = dps_ctl_exec(sim->st, cmd, &o);
	if (out != NULL && outlen > 0)
		snprintf(out, outlen, "%s", o.buf ? o.buf : "");
	dps_out_free(&o);
	sim_run(sim);
	return ret;
}

/* Case-insensitive equality. */
static bool name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

/* 0: a drop counter, 1: a TCP counter, -1: unknown; *idx its index. */
static int counter_find(const char *name, unsigned *idx)
{
	unsigned e;

	if (name == NULL)
		return -1;
	for (e = 0; e < DPS_ERR__MAX; e++)
		if (name_eq(dps_err_name(e), name)) {
			*idx = e;
			return 0;
		}
	if (strncasecmp(name, "tcp_", 4) == 0)
		for (e = 0; e < DPS_TCP_STAT__MAX; e++)
			if (name_eq(dps_tcp_stat_name(e), name + 4)) {
				*idx = e;
				return 1;
			}
	return -1;
}

uint64_t dps_sim_counter(const struct dps_sim *sim, const char *name)
{
	uint64_t tcp[DPS_TCP_STAT__MAX];
	unsigned i;

	switch (counter_find(name, &i)) {
	case 0:
		return dps_err_get(sim->st, i);
	case 1:
		dps_tcp_stats_get(sim->st, tcp);
		return tcp[i];
	default:
		return 0;
	}
}

int dps_sim_counter_exists(const struct dps_sim *sim, const char *name)
{
	unsigned i;

	(void)sim;
	return counter_find(name, &i) >= 0;
}

/* ---- TCP tunables: the table of `set tcp` (tcp/tcp_params.c) ---- */

int dps_sim_tcp_param(struct dps_sim *sim, const char *name, const char *value)
{
	char err[128];

	if (sim == NULL)
		return -EINVAL;
	return dps_tcp_param_set(&sim->st->params.tcp, name, value, err, sizeof(err));
}

int dps_sim_tcp_param_get(const struct dps_sim *sim, const char *name, char *out, size_t outlen)
{
	if (sim == NULL)
		return -EINVAL;
	return dps_tcp_param_get(&sim->st->params.tcp, name, out, outlen);
}

/* ---- sockets: thin wrappers over session.h on worker 0 ---- */

/* The worker the socket calls run on, its clock set to the virtual now
 * (a call may stamp what it sends, or start timers). */
static struct dps_worker *sock_worker(struct dps_sim *sim)
{
	struct dps_worker *w = sim->st->workers[0];

	w->now = sim->st->vclock_ns;
	return w;
}

/* After a call: run to idle, so its frames are out at this time. */
static ssize_t sock_done(struct dps_sim *sim, ssize_t ret)
{
	sim_run(sim);
	return ret;
}

int dps_sim_sockaddr(struct sockaddr_in *sa, const char *ip, uint16_t port)
{
	if (sa == NULL)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (ip == NULL)
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

/* struct sockaddr -> host-order address and port. */
static int addr_in(const struct sockaddr *addr, socklen_t len, uint32_t *ip, uint16_t *port)
{
	struct sockaddr_in sin;

	if (addr == NULL || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	if (addr->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	if (len < (socklen_t)sizeof(sin))
		return -EINVAL;
	memcpy(&sin, addr, sizeof(sin));
	*ip = ntohl(sin.sin_addr.s_addr);
	*port = ntohs(sin.sin_port);
	return 0;
}

/* Host-order address and port -> addr/len as accept(2) fills them. */
static void addr_out(struct sockaddr *addr, socklen_t *len, uint32_t ip, uint16_t port)
{
	struct sockaddr_in sin;

	if (addr == NULL || len == NULL)
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(ip);
	sin.sin_port = htons(port);
	memcpy(addr, &sin, RTE_MIN((size_t)*len, sizeof(sin)));
	*len = sizeof(sin);
}

int dps_sim_socket(struct dps_sim *sim, int type)
{
	if (sim == NULL)
		return -EINVAL;
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	return (int)sock_done(sim, dps_sock_socket(sock_worker(sim), type));
}

/* bind() and connect(): a call on an address. */
static int addr_call(struct dps_sim *sim, int sd, const struct sockaddr *addr, socklen_t len,
		     int (*fn)(struct dps_worker *, int, uint32_t, uint16_t))
{
	uint32_t ip;
	uint16_t port;
	int ret;

	if (sim == NULL)
		return -EINVAL;
	ret = addr_in(addr, len, &ip, &port);
	if (ret != 0)
		return ret;
	return (int)sock_done(sim, fn(sock_worker(sim), sd, ip, port));
}

int dps_sim_bind(struct dps_sim *sim, int sd, const struct sockaddr *addr, socklen_t len)
{
	return addr_call(sim, sd, addr, len, dps_sock_bind);
}

int dps_sim_listen(struct dps_sim *sim, int sd, int backlog)
{
	if (sim == NULL)
		return -EINVAL;
	return (int)sock_done(sim, dps_sock_listen(sock_worker(sim), sd, backlog));
}

int dps_sim_accept(struct dps_sim *sim, int sd, struct sockaddr *addr, socklen_t *len)
{
	uint32_t ip = 0;
	uint16_t port = 0;
	int ret;

	if (sim == NULL)
		return -EINVAL;
	ret = (int)sock_done(sim, dps_sock_accept(sock_worker(sim), sd, &ip, &port));
	if (ret >= 0)
		addr_out(addr, len, ip, port);
	return ret;
}

int dps_sim_connect(struct dps_sim *sim, int sd, const struct sockaddr *addr, socklen_t len)
{
	return addr_call(sim, sd, addr, len, dps_sock_connect);
}

ssize_t dps_sim_send(struct dps_sim *sim, int sd, const void *buf, size_t len, int flags)
{
	if (sim == NULL)
		return -EINVAL;
	return sock_done(sim, dps_sock_send(sock_worker(sim), sd, buf, len, flags));
}

ssize_t dps_sim_sendto(struct dps_sim *sim, int sd, const void *buf, size_t len, int flags,
		       const struct sockaddr *addr, socklen_t alen)
{
	uint32_t ip = 0;
	uint16_t port = 0;
	int ret;

	if (sim == NULL)
		return -EINVAL;
	if (addr != NULL) {
		ret = addr_in(addr, alen, &ip, &port);
		if (ret != 0)
			return ret;
	}
	return sock_done(sim, dps_sock_sendto(sock_worker(sim), sd, buf, len, flags, ip, port));
}

ssize_t dps_sim_recv(struct dps_sim *sim, int sd, void *buf, size_t len, int flags)
{
	if (sim == NULL)
		return -EINVAL;
	return sock_done(sim, dps_sock_recv(sock_worker(sim), sd, buf, len, flags));
}

ssize_t dps_sim_recvfrom(struct dps_sim *sim, int sd, void *buf, size_t len, int flags,
			 struct sockaddr *addr, socklen_t *alen)
{
	uint32_t ip = 0;
	uint16_t port = 0;
	ssize_t ret;

	if (sim == NULL)
		return -EINVAL;
	ret = sock_done(sim, dps_sock_recvfrom(sock_worker(sim), sd, buf, len, flags, &ip, &port));
	if (ret >= 0)
		addr_out(addr, alen, ip, port);
	return ret;
}

int dps_sim_shutdown(struct dps_sim *sim, int sd, int how)
{
	if (sim == NULL)
		return -EINVAL;
	return (int)sock_done(sim, dps_sock_shutdown(sock_worker(sim), sd, how));
}

int dps_sim_close(struct dps_sim *sim, int sd)
{
	if (sim == NULL)
		return -EINVAL;
	return (int)sock_done(sim, dps_sock_close(sock_worker(sim), sd));
}

int dps_sim_setsockopt(struct dps_sim *sim, int sd, int level, int opt, const void *val,
		       socklen_t len)
{
	if (sim == NULL)
		return -EINVAL;
	return (int)sock_done(sim, dps_sock_setsockopt(sock_worker(sim), sd, level, opt, val, len));
}

int dps_sim_getsockopt(struct dps_sim *sim, int sd, int level, int opt, void *val,
		       socklen_t *len)
{
	if (sim == NULL)
		return -EINVAL;
	return (int)sock_done(sim, dps_sock_getsockopt(sock_worker(sim), sd, level, opt, val, len));
}

static int sock_name(struct dps_sim *sim, int sd, bool peer, struct sockaddr *addr,
		     socklen_t *len)
{
	uint32_t ip = 0;
	uint16_t port = 0;
	int ret;

	if (sim == NULL || addr == NULL || len == NULL)
		return -EINVAL;
	ret = dps_sock_name(sock_worker(sim), sd, peer, &ip, &port);
	if (ret == 0)
		addr_out(addr, len, ip, port);
	return ret;
}

int dps_sim_getsockname(struct dps_sim *sim, int sd, struct sockaddr *addr, socklen_t *len)
{
	return sock_name(sim, sd, false, addr, len);
}

int dps_sim_getpeername(struct dps_sim *sim, int sd, struct sockaddr *addr, socklen_t *len)
{
	return sock_name(sim, sd, true, addr, len);
}

int dps_sim_poll(struct dps_sim *sim, struct pollfd *fds, nfds_t nfds)
{
	struct dps_worker *w;
	int ready = 0;
	nfds_t i;

	if (sim == NULL || (fds == NULL && nfds > 0))
		return -EINVAL;
	w = sock_worker(sim);
	for (i = 0; i < nfds; i++) {
		unsigned ev;

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		ev = dps_sock_poll(w, fds[i].fd);
		/* as poll(2): errors, hang-up and a bad fd are always reported */
		ev &= (unsigned)(uint16_t)fds[i].events | POLLERR | POLLHUP | POLLNVAL;
		fds[i].revents = (short)ev;
		if (ev != 0)
			ready++;
	}
	return ready;
}

unsigned dps_sim_sock_count(struct dps_sim *sim)
{
	return dps_session_count(sim->st->workers[0]);
}

static void info_out(const struct dps_sock_info *in, struct dps_sim_sock_info *out)
{
	socklen_t len = sizeof(out->local);

	memset(out, 0, sizeof(*out));
	out->sd = in->sd;
	out->type = in->type;
	snprintf(out->state, sizeof(out->state), "%s", in->state ? in->state : "");
	addr_out((struct sockaddr *)&out->local, &len, in->laddr, in->lport);
	len = sizeof(out->peer);
	addr_out((struct sockaddr *)&out->peer, &len, in->raddr, in->rport);
	out->rx_queued = in->rx_queued;
	out->tx_queued = in->tx_queued;
	out->srtt_us = in->srtt_us;
	out->rto_ms = in->rto_ms;
	out->cwnd = in->cwnd;
	out->ssthresh = in->ssthresh;
	out->snd_wnd = in->snd_wnd;
	out->rcv_wnd = in->rcv_wnd;
	out->mss = in->mss;
	out->retrans = in->retrans;
	out->rx_bytes = in->rx_bytes;
	out->tx_bytes = in->tx_bytes;
	snprintf(out->cc, sizeof(out->cc), "%s", in->cc ? in->cc : "");
}

struct list_arg {
	int sd;                        /* one socket; -1: all */
	struct dps_sim_sock_info *out;
	unsigned max, n;
};

static int list_cb(const struct dps_sock_info *in, void *arg)
{
	struct list_arg *a = arg;

	if (a->sd >= 0) {
		if (in->sd != a->sd)
			return 0;
		info_out(in, a->out);
		a->n = 1;
		return 1;
	}
	if (a->n < a->max)
		info_out(in, &a->out[a->n]);
	a->n++;
	return 0;
}

int dps_sim_sock_info(struct dps_sim *sim, int sd, struct dps_sim_sock_info *out)
{
	struct list_arg a = { .sd = sd, .out = out };

	if (sim == NULL || out == NULL)
		return -EINVAL;
	if (sd < 0)
		return -EBADF;
	dps_session_walk(sock_worker(sim), list_cb, &a);
	return a.n == 1 ? 0 : -EBADF;
}

unsigned dps_sim_sock_list(struct dps_sim *sim, struct dps_sim_sock_info *out, unsigned max)
{
	struct list_arg a = { .sd = -1, .out = out, .max = out != NULL ? max : 0 };

	if (sim == NULL)
		return 0;
	dps_session_walk(sock_worker(sim), list_cb, &a);
	return a.n;
}
