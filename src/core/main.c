/*
 * dpstackd [EAL options] -- [-c startup.conf] [--ctl PATH] [--api PATH]
 *          [--api-secret S] [--poll-mode poll|adaptive]
 *
 * The main lcore serves the control socket, the applications' API socket
 * and the control plane; every other lcore of the EAL core list runs a
 * worker.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pdump.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/stack.h"
#include "core/worker.h"
#include "ctl/ctl.h"
#include "dpsock/dpsock_proto.h"
#include "port/capture.h"
#include "port/port.h"
#include "session/app.h"

#define DEFAULT_CTL "/run/dpstack/ctl.sock"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dpstackd [EAL options] -- [options]\n"
		"  -c, --config FILE        run the commands of a startup file\n"
		"  -s, --ctl PATH           control socket (default " DEFAULT_CTL ")\n"
		"  -a, --api PATH           applications' API socket (default " DPS_API_PATH ",\n"
		"                           or <ctl>-api.sock beside a --ctl <ctl>.sock given)\n"
		"      --api-secret S       applications must present S to attach\n"
		"  -p, --poll-mode MODE     poll (busy, lowest latency) or adaptive (default)\n"
		"  -h, --help               this text\n"
		"Ports come from the EAL: --vdev net_tap0,iface=dps0, --vdev net_af_packet0,iface=eth1,\n"
		"--vdev net_memif0,role=server,socket=/run/memif.sock or -a 0000:3b:00.0.\n");
}

struct opts {
	const char *config;
	const char *ctl;
	const char *api;
	const char *api_secret;
	enum dps_poll_mode poll_mode;
};

/*
 * The API socket when --api is not given: the default one beside the
 * default control socket, else "<ctl>-api.sock" beside the control socket
 * given ("x.sock" -> "x-api.sock"), so that daemons started with their own
 * control sockets (tests, several instances) do not claim the same one.
 */
static const char *api_beside_ctl(const char *ctl)
{
	static char path[PATH_MAX];   /* too long is refused when the socket is made */
	size_t n = strlen(ctl);

	if (strcmp(ctl, DEFAULT_CTL) == 0)
		return DPS_API_PATH;
	if (n > 5 && strcmp(ctl + n - 5, ".sock") == 0)
		n -= 5;
	snprintf(path, sizeof(path), "%.*s-api.sock", (int)n, ctl);
	return path;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ctl", required_argument, NULL, 's' },
		{ "api", required_argument, NULL, 'a' },
		{ "api-secret", required_argument, NULL, 'S' },
		{ "poll-mode", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->ctl = DEFAULT_CTL;
	o->api = NULL;
	o->poll_mode = DPS_POLL_ADAPTIVE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:a:p:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->ctl = optarg;
			break;
		case 'a':
			o->api = optarg;
			break;
		case 'S':
			o->api_secret = optarg;
			break;
		case 'p':
			if (strcmp(optarg, "poll") == 0) {
				o->poll_mode = DPS_POLL_BUSY;
			} else if (strcmp(optarg, "adaptive") == 0) {
				o->poll_mode = DPS_POLL_ADAPTIVE;
			} else {
				fprintf(stderr, "dpstackd: --poll-mode must be 'poll' or 'adaptive', not '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dpstackd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->api == NULL)
		o->api = api_beside_ctl(o->ctl);
	return 0;
}

int main(int argc, char **argv)
{
	struct dps_stack_conf sc = { .name = "dps", .socket_id = SOCKET_ID_ANY };
	struct opts o = { 0 };
	struct dps_stack *st = NULL;
	struct dps_out out;
	char err[256];
	int i, sep = -1, rc = 1, ret;
	unsigned lcore;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	/* our options first: refuse a second daemon before the EAL touches anything */
	if (sep >= 0 && parse_opts(argc - sep, argv + sep, &o) != 0)
		return 1;
	if (sep < 0 && parse_opts(1, argv, &o) != 0)
		return 1;
	if (dps_ctl_server_open(o.ctl, err, sizeof(err)) != 0) {
		fprintf(stderr, "dpstackd: %s\n", err);
		return 1;
	}
	if (dps_app_server_open(o.api, o.api_secret, err, sizeof(err)) != 0) {
		fprintf(stderr, "dpstackd: %s\n", err);
		dps_ctl_server_close();
		return 1;
	}

	ret = rte_eal_init(sep >= 0 ? sep : argc, argv);
	if (ret < 0) {
		fprintf(stderr, "dpstackd: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		dps_app_server_close();
		dps_ctl_server_close();
		return 1;
	}
	dps_log_init();
	dps_clock_init();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (rte_lcore_count() < 2) {
		fprintf(stderr, "dpstackd: need a main lcore and at least one worker lcore (e.g. -l 0,1)\n");
		goto out;
	}
	sc.n_workers = rte_lcore_count() - 1;
	if (sc.n_workers > DPS_MAX_WORKERS)
		sc.n_workers = DPS_MAX_WORKERS;
	sc.socket_id = (int)rte_socket_id();
	st = dps_stack_create(&sc);
	if (st == NULL) {
		fprintf(stderr, "dpstackd: cannot create the stack: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	st->params.poll_mode = o.poll_mode;
	ret = dps_ports_init(st);
	if (ret < 0) {
		fprintf(stderr, "dpstackd: port set-up failed (%s): check the --vdev/-a arguments "
			"and the driver's message above\n", strerror(-ret));
		goto out;
	}
	if (ret == 0)
		DPS_LOG(WARNING, core, "no ports: add some with --vdev or -a");
	if (rte_pdump_init() != 0)
		DPS_LOG(NOTICE, core, "dpdk-dumpcap unavailable (rte_pdump_init: %s); pcap start still works",
			rte_strerror(rte_errno));
	dps_ctl_telemetry_init(st);

	if (o.config != NULL) {
		dps_out_init(&out);
		if (dps_ctl_exec_file(st, o.config, &out) != 0) {
			fprintf(stderr, "dpstackd: %s", out.buf ? out.buf : "startup file failed\n");
			dps_out_free(&out);
			goto out_ports;
		}
		dps_out_free(&out);
	}

	i = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if ((unsigned)i >= st->n_workers)
			break;
		rte_eal_remote_launch(dps_worker_main, st->workers[i++], lcore);
	}
	DPS_LOG(INFO, core, "dpstackd ready: %u interface(s), %u worker(s), control socket %s, "
		"API socket %s", (unsigned)rte_eth_dev_count_avail(), st->n_workers, o.ctl, o.api);

	while (!got_signal) {
		uint64_t now = dps_clock_ns();
		unsigned n = dps_control_poll(st, now);

		n += dps_app_server_poll(st);
		dps_ctl_server_poll(st, n > 0 ? 0 : 1);
	}
	DPS_LOG(INFO, core, "signal %d: shutting down", (int)got_signal);
	rc = 0;

	st->quit = true;
	for (i = 0; i < (int)st->n_workers; i++)
		dps_worker_wake(st->workers[i]);
	rte_eal_mp_wait_lcore();
out_ports:
	dps_capture_stop(st, NULL);
	dps_ports_fini(st);
out:
	dps_ctl_telemetry_fini();
	dps_stack_destroy(st);
	/* after the stack: its sockets give their FIFOs back to the segments */
	dps_app_server_close();
	rte_pdump_uninit();
	dps_ctl_server_close();
	rte_eal_cleanup();
	return rc;
}
