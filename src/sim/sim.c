/*
 * Simulated interfaces and the virtual clock (include/dpstack/sim.h).
 * A dps_sim wraps one stack instance whose interfaces have no port: their
 * rx function reads frames the caller injected, their tx function queues
 * frames for the caller to collect. Every call processes until the stack is
 * idle at the current virtual time, so runs are deterministic.
 */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "sim/sim_internal.h"

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

uint64_t dps_sim_counter(const struct dps_sim *sim, const char *name)
{
	unsigned e;

	for (e = 0; e < DPS_ERR__MAX; e++) {
		const char *n = dps_err_name(e);
		size_t i;

		for (i = 0; n[i] != '\0' && name[i] != '\0'; i++)
			if (tolower((unsigned char)n[i]) != tolower((unsigned char)name[i]))
				break;
		if (n[i] == '\0' && name[i] == '\0')
			return dps_err_get(sim->st, e);
	}
	return 0;
}
