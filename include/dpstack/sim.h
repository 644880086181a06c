/*
 * dpstack simulated network: a dpstack instance with no DPDK port, driven
 * by a virtual clock. A caller (a test, a conformance harness) injects
 * Ethernet frames, collects what the stack transmits, moves time, and -
 * once the transport is in - uses the socket API of the instance.
 *
 * Everything is deterministic: the same calls in the same order give the
 * same frames at the same virtual times.
 *
 * Link with build/libdpstack_sim.so. Functions return 0 or a negative
 * errno unless said otherwise; nothing here blocks or sleeps.
 */
#ifndef DPSTACK_SIM_H
#define DPSTACK_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dps_sim;

/**
 * Start the runtime once per process (DPDK EAL without hugepages or PCI).
 * Called by dps_sim_create() if needed. -EIO if the EAL cannot start.
 */
int dps_sim_global_init(void);

/**
 * A stack instance whose clock starts at start_ns. name: up to 12
 * characters, unique in the process. NULL on failure (errno set).
 */
struct dps_sim *dps_sim_create(const char *name, uint64_t start_ns);
void dps_sim_destroy(struct dps_sim *sim);

/**
 * Add a simulated Ethernet interface, up, with address "a.b.c.d/len" (may
 * be NULL) and an optional default gateway ("a.b.c.d" or NULL). mtu 0 means
 * 1500. Returns the interface index (>= 0) or -EINVAL/-ENOSPC/-EEXIST.
 */
int dps_sim_add_if(struct dps_sim *sim, const char *name, const uint8_t mac[6],
		   const char *addr, const char *gateway, uint16_t mtu);

/**
 * Hand a frame to the stack as if received on ifindex at the current time,
 * and process it (and whatever it triggers at this time). The frame is
 * copied. -E2BIG if longer than 9000 bytes, -ENOBUFS if no buffer.
 */
int dps_sim_inject(struct dps_sim *sim, int ifindex, const void *frame, size_t len);

/**
 * Take the oldest frame the stack transmitted. Returns its length (copied
 * into buf, truncated to cap), 0 if none is waiting. ifindex and ts_ns
 * (virtual transmit time) are filled when not NULL.
 */
ssize_t dps_sim_collect(struct dps_sim *sim, int *ifindex, void *buf, size_t cap,
			uint64_t *ts_ns);
/** Number of transmitted frames waiting to be collected. */
unsigned dps_sim_pending(const struct dps_sim *sim);

/** Current virtual time in ns. */
uint64_t dps_sim_now(const struct dps_sim *sim);
/**
 * Move the clock to t_ns (not backwards: -EINVAL), running every timer due
 * on the way in order, and process until idle.
 */
int dps_sim_set_time(struct dps_sim *sim, uint64_t t_ns);
/** dps_sim_set_time(sim, now + delta_ns). */
int dps_sim_advance(struct dps_sim *sim, uint64_t delta_ns);
/** The earliest time at which the stack has work to do, or UINT64_MAX. */
uint64_t dps_sim_next_deadline(const struct dps_sim *sim);

/**
 * Run one dpstackctl command on the instance ("show errors", "ip route add
 * ..."). The answer (or the one-line error) is copied into out. Returns 0,
 * or -1 when the command failed.
 */
int dps_sim_cli(struct dps_sim *sim, const char *cmd, char *out, size_t outlen);

/** A drop counter by its show-errors name ("ip4_bad_checksum"), or 0. */
uint64_t dps_sim_counter(const struct dps_sim *sim, const char *name);

/* ---- simulated links between instances ---- */

struct dps_sim_link_params {
	double loss;          /* probability a frame is lost */
	double dup;           /* probability a frame is delivered twice */
	double reorder;       /* probability a frame is held back by reorder_ns */
	double corrupt;       /* probability one byte of a frame is flipped */
	uint64_t delay_ns;    /* one-way propagation delay */
	uint64_t jitter_ns;   /* uniform extra delay 0..jitter_ns (may reorder) */
	uint64_t reorder_ns;  /* extra delay of a reordered frame */
	uint64_t rate_bps;    /* serialisation rate, 0 = infinite */
	uint32_t queue_frames;/* frames queued at the sender before tail drop, 0 = 1000 */
};

struct dps_simnet;

/** A set of instances joined by links, driven by one clock. seed makes the
 * random choices of every link; the same seed gives the same run. */
struct dps_simnet *dps_simnet_create(uint64_t seed);
/** Destroys the links, not the instances. */
void dps_simnet_destroy(struct dps_simnet *net);
/**
 * Join interface ifa of a and ifb of b with a link whose two directions
 * both follow p (NULL: a perfect link). Instances joined must share the
 * same clock start. -EBUSY if an interface is already linked.
 */
int dps_simnet_link(struct dps_simnet *net, struct dps_sim *a, int ifa,
		    struct dps_sim *b, int ifb, const struct dps_sim_link_params *p);
/**
 * Run every instance and link until t_ns: deliver frames in time order,
 * run timers. Returns the number of frames delivered.
 */
uint64_t dps_simnet_run_until(struct dps_simnet *net, uint64_t t_ns);

struct dps_simnet_stats {
	uint64_t sent, delivered, lost, duplicated, reordered, corrupted, queue_drops;
};
void dps_simnet_stats(const struct dps_simnet *net, struct dps_simnet_stats *out);

#ifdef __cplusplus
}
#endif

#endif
