/*
 * Control plane: the word parsers on good and malformed input, command
 * matching and its messages, that a failing command changes nothing, and
 * the control socket (single instance, bounded lines, garbage, timeouts).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "app/service.h"
#include "ctl/ctl_internal.h"
#include "tcp/tcp.h"
#include "port/capture.h"

static struct dps_stack *st;
static char tmpdir[64];

/* ---- fixture: EAL without hugepages, a stack with two fake interfaces ---- */

static uint16_t fake_tx(struct dps_iface *ifp, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static uint16_t fake_rx(struct dps_iface *ifp, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return 0;
}

static int group_setup(void **state)
{
	char prefix[32];
	char *argv[] = { "test_ctl", "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
			 prefix, "--log-level=7", "--no-telemetry", NULL };
	struct dps_stack_conf conf = { .name = "ctl", .n_workers = 1, .n_mbufs = 2047 };
	struct rte_ether_addr mac0 = { { 0x02, 0, 0, 0, 0, 1 } };
	struct rte_ether_addr mac1 = { { 0x02, 0, 0, 0, 0, 2 } };

	snprintf(prefix, sizeof(prefix), "test_ctl_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	st = dps_stack_create(&conf);
	if (st == NULL)
		return -1;
	if (dps_iface_add(st, "net_tap0", &mac0, 1500, DPS_PORT_NONE, fake_rx, fake_tx, NULL) != 0 ||
	    dps_iface_add(st, "net_memif0", &mac1, 1500, DPS_PORT_NONE, fake_rx, fake_tx, NULL) != 1)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ctl.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	dps_services_fini(st);
	dps_stack_destroy(st);
	rte_eal_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- helpers ---- */

/* Run a command; returns its status and leaves the answer in a static buffer. */
static char answer[65536];

static int run(const char *line)
{
	struct dps_out out;
	int rc;

	dps_out_init(&out);
	rc = dps_ctl_exec(st, line, &out);
	snprintf(answer, sizeof(answer), "%s", dps_out_str(&out));
	dps_out_free(&out);
	return rc;
}

/* The command must fail with one line "error: ...<want>...". */
static void expect_error(const char *line, const char *want)
{
	char *nl;

	if (run(line) != -1)
		fail_msg("'%s' succeeded: %s", line, answer);
	if (strncmp(answer, "error: ", 7) != 0)
		fail_msg("'%s': answer does not start with 'error: ': %s", line, answer);
	nl = strchr(answer, '\n');
	if (nl == NULL || nl[1] != '\0')
		fail_msg("'%s': error is not exactly one line: %s", line, answer);
	if (want != NULL && strstr(answer, want) == NULL)
		fail_msg("'%s': expected '%s' in: %s", line, want, answer);
}

static void expect_ok(const char *line, const char *want)
{
	if (run(line) != 0)
		fail_msg("'%s' failed: %s", line, answer);
	if (want != NULL && strstr(answer, want) == NULL)
		fail_msg("'%s': expected '%s' in: %s", line, want, answer);
}

/* ---- tokenizer and text ---- */

static void test_tokenize(void **state)
{
	char err[CTL_ERRLEN], *w[CTL_MAX_WORDS], line[1024];

	strcpy(line, "  show \t interfaces  \r\n");
	assert_int_equal(ctl_tokenize(line, w, CTL_MAX_WORDS, err, sizeof(err)), 2);
	assert_string_equal(w[0], "show");
	assert_string_equal(w[1], "interfaces");

	strcpy(line, "");
	assert_int_equal(ctl_tokenize(line, w, CTL_MAX_WORDS, err, sizeof(err)), 0);
	strcpy(line, "   # only a comment");
	assert_int_equal(ctl_tokenize(line, w, CTL_MAX_WORDS, err, sizeof(err)), 0);
	strcpy(line, "show errors # why");
	assert_int_equal(ctl_tokenize(line, w, CTL_MAX_WORDS, err, sizeof(err)), 2);
	/* '#' inside a word is part of it (file names) */
	strcpy(line, "pcap start any /tmp/a#b");
	assert_int_equal(ctl_tokenize(line, w, CTL_MAX_WORDS, err, sizeof(err)), 4);
	assert_string_equal(w[3], "/tmp/a#b");

	line[0] = '\0';
	for (int i = 0; i < CTL_MAX_WORDS + 1; i++)
		strcat(line, "x ");
	assert_int_equal(ctl_tokenize(line, w, CTL_MAX_WORDS, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "too many words"));

	memset(line, 'a', CTL_MAX_WORD_LEN + 1);
	line[CTL_MAX_WORD_LEN + 1] = '\0';
	assert_int_equal(ctl_tokenize(line, w, CTL_MAX_WORDS, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long"));
	line[CTL_MAX_WORD_LEN] = '\0';
	assert_int_equal(ctl_tokenize(line, w, CTL_MAX_WORDS, err, sizeof(err)), 1);
}

static void test_text_ok(void **state)
{
	static const char *good[] = { "show interfaces", "a\tb\r\n", "caf\xc3\xa9",
				      "\xe2\x82\xac", "\xf0\x9f\x98\x80", "" };
	static const char *bad[] = {
		"\x01", "a\x7f", "\xff", "\xc0\xaf",   /* overlong '/' */
		"\xe2\x82", "\xed\xa0\x80",            /* truncated, surrogate */
		"\xf4\x90\x80\x80", "\x80", "\xc2\x85", /* > U+10FFFF, continuation, C1 */
		"\x1b[31m",
	};

	for (size_t i = 0; i < RTE_DIM(good); i++)
		assert_true(ctl_text_ok(good[i], strlen(good[i])));
	for (size_t i = 0; i < RTE_DIM(bad); i++)
		if (ctl_text_ok(bad[i], strlen(bad[i])))
			fail_msg("bad text %zu accepted", i);
}

/* ---- argument parsers ---- */

static void test_parse_ip4(void **state)
{
	static const struct { const char *s; uint32_t ip; } good[] = {
		{ "0.0.0.0", 0 }, { "255.255.255.255", UINT32_MAX },
		{ "10.1.2.3", 0x0a010203 }, { "192.168.100.254", 0xc0a864fe },
	};
	static const struct { const char *s, *why; } bad[] = {
		{ "", "empty" },
		{ "256.0.0.1", "above 255" },
		{ "1.2.3", "expected 4 octets, got 3" },
		{ "1.2.3.4.5", "more than 4 octets" },
		{ "1.2.3.4x", "unexpected 'x'" },
		{ "1.2.3.4/24", "unexpected '/'" },
		{ " 1.2.3.4", "not a digit" },
		{ "x1.2.3.4", "not a digit" },
		{ "01.2.3.4", "leading zero" },
		{ "1..2.3", "octet 2 is empty" },
		{ "1.2.3.", "octet 4 is empty" },
		{ "1234.1.1.1", "more than 3 digits" },
		{ "-1.2.3.4", "not a digit" },
		{ "0x1.2.3.4", "unexpected 'x'" },
		{ "1.2.3.999", "above 255" },
	};
	char err[CTL_ERRLEN];
	uint32_t ip;

	for (size_t i = 0; i < RTE_DIM(good); i++) {
		assert_int_equal(ctl_parse_ip4(good[i].s, &ip, err, sizeof(err)), 0);
		assert_int_equal(ip, good[i].ip);
	}
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		ip = 0x12345678;
		if (ctl_parse_ip4(bad[i].s, &ip, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i].s);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("'%s': expected '%s' in '%s'", bad[i].s, bad[i].why, err);
		assert_int_equal(ip, 0x12345678);   /* untouched on error */
	}
}

static void test_parse_prefix(void **state)
{
	static const struct { const char *s, *why; } bad[] = {
		{ "", "empty prefix" },
		{ "10.0.0.1/33", "length 33 is above 32" },
		{ "10.0.0.0/-1", "'-1' is not a number" },
		{ "10.0.0.0/", "missing length" },
		{ "10.0.0.0", "missing /len" },
		{ "10.0.0.0/8x", "not a number" },
		{ "10.0.0.0/008", "not a number" },
		{ "10.0.0.0x/8", "unexpected 'x'" },
		{ "/24", "octet 1 is empty" },
		{ "10.0.0/8", "expected 4 octets, got 3" },
		{ "300.0.0.0/8", "above 255" },
	};
	char err[CTL_ERRLEN];
	uint32_t ip;
	uint8_t plen;

	assert_int_equal(ctl_parse_prefix("10.0.0.0/8", &ip, &plen, err, sizeof(err)), 0);
	assert_int_equal(ip, 0x0a000000);
	assert_int_equal(plen, 8);
	assert_int_equal(ctl_parse_prefix("0.0.0.0/0", &ip, &plen, err, sizeof(err)), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(ctl_parse_prefix("1.2.3.4/32", &ip, &plen, err, sizeof(err)), 0);
	assert_int_equal(plen, 32);
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		if (ctl_parse_prefix(bad[i].s, &ip, &plen, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i].s);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("'%s': expected '%s' in '%s'", bad[i].s, bad[i].why, err);
	}
}

static void test_parse_net_and_ifaddr(void **state)
{
	char err[CTL_ERRLEN];
	uint32_t ip;
	uint8_t plen;

	/* a route's prefix: host bits must be zero, and the error names the network */
	assert_int_equal(ctl_parse_net("10.0.0.0/24", &ip, &plen, err, sizeof(err)), 0);
	assert_int_equal(ctl_parse_net("0.0.0.0/0", &ip, &plen, err, sizeof(err)), 0);
	assert_int_equal(ctl_parse_net("10.1.2.3/32", &ip, &plen, err, sizeof(err)), 0);
	assert_int_equal(ctl_parse_net("10.0.0.1/24", &ip, &plen, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "host bits"));
	assert_non_null(strstr(err, "10.0.0.0/24"));
	assert_int_equal(ctl_parse_net("192.168.1.77/20", &ip, &plen, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "192.168.0.0/20"));
	assert_int_equal(ctl_parse_net("1.2.3.4/0", &ip, &plen, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "0.0.0.0/0"));

	/* an interface address: a host inside its network */
	assert_int_equal(ctl_parse_ifaddr("10.0.0.1/24", &ip, &plen, err, sizeof(err)), 0);
	assert_int_equal(ip, 0x0a000001);
	assert_int_equal(plen, 24);
	assert_int_equal(ctl_parse_ifaddr("10.0.0.0/31", &ip, &plen, err, sizeof(err)), 0);
	assert_int_equal(ctl_parse_ifaddr("10.0.0.7/32", &ip, &plen, err, sizeof(err)), 0);
	assert_int_equal(ctl_parse_ifaddr("10.0.0.0/24", &ip, &plen, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "network address"));
	assert_int_equal(ctl_parse_ifaddr("10.0.0.255/24", &ip, &plen, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "broadcast address"));
	assert_int_equal(ctl_parse_ifaddr("127.0.0.1/8", &ip, &plen, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "loopback"));
	assert_int_equal(ctl_parse_ifaddr("224.0.0.1/24", &ip, &plen, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "multicast"));
	assert_int_equal(ctl_parse_ifaddr("0.0.0.1/8", &ip, &plen, err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_parse_ifaddr("10.0.0.1/0", &ip, &plen, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "prefix length 0"));
	assert_int_equal(ctl_parse_ifaddr("10.0.0.1/33", &ip, &plen, err, sizeof(err)), -EINVAL);
}

static void test_parse_num(void **state)
{
	static const struct { const char *s, *why; } bad[] = {
		{ "", "not a number" }, { "abc", "not a number" }, { "-1", "not a number" },
		{ "+5", "not a number" }, { "0x10", "not a number" }, { "1500 ", "not a number" },
		{ "67", "out of range 68..9000" }, { "9001", "out of range" },
		{ "99999999999999999999999", "out of range" },
	};
	char err[CTL_ERRLEN];
	uint64_t v;

	assert_int_equal(ctl_parse_num("mtu", "1500", 68, 9000, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(ctl_parse_num("mtu", "68", 68, 9000, &v, err, sizeof(err)), 0);
	assert_int_equal(ctl_parse_num("mtu", "9000", 68, 9000, &v, err, sizeof(err)), 0);
	assert_int_equal(ctl_parse_num("n", "18446744073709551615", 0, UINT64_MAX, &v, err,
				       sizeof(err)), 0);
	assert_true(v == UINT64_MAX);
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		if (ctl_parse_num("mtu", bad[i].s, 68, 9000, &v, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i].s);
		if (strstr(err, bad[i].why) == NULL || strstr(err, "mtu") == NULL)
			fail_msg("'%s': expected 'mtu ... %s' in '%s'", bad[i].s, bad[i].why, err);
	}
}

static void test_parse_updown_iface(void **state)
{
	char err[CTL_ERRLEN];
	bool up;
	int idx;

	assert_int_equal(ctl_parse_updown("up", &up, err, sizeof(err)), 0);
	assert_true(up);
	assert_int_equal(ctl_parse_updown("down", &up, err, sizeof(err)), 0);
	assert_false(up);
	assert_int_equal(ctl_parse_updown("UP", &up, err, sizeof(err)), -EINVAL);
	assert_int_equal(ctl_parse_updown("", &up, err, sizeof(err)), -EINVAL);

	assert_int_equal(ctl_parse_iface(st, "net_memif0", &idx, err, sizeof(err)), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(ctl_parse_iface(st, "foo", &idx, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "unknown interface 'foo' (have: net_tap0, net_memif0)");
	assert_int_equal(ctl_parse_iface(st, "net_tap", &idx, err, sizeof(err)), -ENOENT);
}

/* ---- the command table ---- */

static void test_table(void **state)
{
	for (unsigned i = 0; i < ctl_n_cmds; i++) {
		struct ctl_node nodes[CTL_MAX_NODES];
		char a[192], b[192];

		if (ctl_syntax_compile(ctl_cmds[i].syntax, nodes, CTL_MAX_NODES) <= 0)
			fail_msg("syntax does not compile: %s", ctl_cmds[i].syntax);
		assert_non_null(ctl_cmds[i].fn);
		assert_true(strlen(ctl_cmds[i].help) > 0);
		ctl_syntax_render(ctl_cmds[i].syntax, a, sizeof(a));
		for (unsigned j = 0; j < i; j++) {
			ctl_syntax_render(ctl_cmds[j].syntax, b, sizeof(b));
			if (strcmp(a, b) == 0)
				fail_msg("two commands read the same: %s", a);
		}
	}
	/* the compiler catches syntax mistakes */
	struct ctl_node n[CTL_MAX_NODES];

	assert_true(ctl_syntax_compile("a [b", n, CTL_MAX_NODES) < 0);
	assert_true(ctl_syntax_compile("a <x:nosuchtype>", n, CTL_MAX_NODES) < 0);
	assert_true(ctl_syntax_compile("a <x:num:9..1>", n, CTL_MAX_NODES) < 0);
	assert_true(ctl_syntax_compile("a [[b]]", n, CTL_MAX_NODES) < 0);
	assert_int_equal(ctl_syntax_compile("a <x:num:1..5> [b <c:ip4>]", n, CTL_MAX_NODES), 4);
	assert_int_equal(n[3].group, 1);
	assert_int_equal(n[1].max, 5);
}

static void test_help_covers_all(void **state)
{
	expect_ok("help", NULL);
	for (unsigned i = 0; i < ctl_n_cmds; i++) {
		char shown[192];

		ctl_syntax_render(ctl_cmds[i].syntax, shown, sizeof(shown));
		if (strstr(answer, shown) == NULL)
			fail_msg("help lacks '%s'", shown);
		if (strstr(answer, ctl_cmds[i].help) == NULL)
			fail_msg("help lacks the description of '%s'", shown);
	}
	assert_non_null(strstr(answer, "ip route add <a.b.c.d/len> via <a.b.c.d> [<interface>]"));
	assert_non_null(strstr(answer, "set interface mtu <interface> <68..9000>"));
	expect_ok("help route", "ip route del");
	assert_null(strstr(answer, "show errors"));
	expect_error("help zzz", "no command");
}

/* ---- matching and messages ---- */

static void test_exec_bad_commands(void **state)
{
	expect_ok("", NULL);
	assert_string_equal(answer, "");
	expect_ok("   # a comment", NULL);
	assert_string_equal(answer, "");

	expect_error("xyz", NULL);
	assert_string_equal(answer, "error: unknown command 'xyz' (try 'help')\n");
	expect_error("s", "ambiguous command 's': could be show, set");
	expect_error("show", "incomplete command 'show' (expected: interfaces, errors, ip,");
	expect_error("show ip", "expected: arp, fib");
	expect_error("show bogus", "unknown word 'bogus' after 'show'");
	expect_error("show errors extra", "unexpected 'extra' after 'show errors'");
	expect_error("show interfaces foo", "unknown interface 'foo' (have: net_tap0, net_memif0)");
	expect_error("show interfaces net_tap0 net_memif0", "unexpected 'net_memif0'");
	expect_error("set interface ip address net_tap0", "missing <a.b.c.d/len>");
	expect_error("set interface ip address", "missing <interface>");
	expect_error("set interface state net_tap0 sideways", "expected 'up' or 'down'");
	expect_error("set interface mtu net_tap0 9001", "mtu '9001' is out of range 68..9000");
	expect_error("set interface mtu net_tap0 abc", "mtu 'abc' is not a number");
	expect_error("ip route add 10.1.0.0/16", "missing via");
	expect_error("ip route add 10.1.0.0/16 by 10.0.0.2", "expected 'via' instead of 'by'");
	expect_error("ip route add 10.1.0.0/16 via", "missing <a.b.c.d> after");
	expect_error("ip route add 10.1.0.1/16 via 10.0.0.2", "the network is 10.1.0.0/16");
	expect_error("ip route add 10.1.0.0/33 via 10.0.0.2", "above 32");
	expect_error("ip route add 10.1.0.0/16 via 1.2.3", "expected 4 octets");
	expect_error("pcap start bogus /tmp/x.pcapng", "unknown interface 'bogus'");
	expect_error("pcap start any /tmp/x.pcapng max 0", "out of range");
	expect_error("pcap start any", "missing <file>");
	expect_error("pcap", "incomplete command 'pcap' (expected: start, stop)");

	/* overlong lines and words, control characters, bad UTF-8 */
	char line[5000];

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	expect_error(line, "command too long");
	line[300] = '\0';
	expect_error(line, "too long");
	expect_error("show\x01 errors", "control characters");
	expect_error("show \xff", "UTF-8");

	/* a long unknown word is shortened in the message */
	line[200] = '\0';
	expect_error(line, "...' (try 'help')");
	assert_true(strlen(answer) < 120);
}

static void test_exec_abbreviations(void **state)
{
	expect_ok("sh int", "net_tap0");
	assert_non_null(strstr(answer, "net_memif0"));
	expect_ok("sh int net_memif0", "net_memif0");
	assert_null(strstr(answer, "net_tap0"));
	expect_ok("sh err", NULL);
	expect_ok("sh ver", "dpstack");
	expect_ok("show v", "DPDK");
	/* "pcap st" could be start or stop */
	expect_error("pcap st", "ambiguous word 'st': could be start, stop");
	expect_error("sh i", "ambiguous word 'i': could be interfaces, ip");
	/* where an interface name may stand, a keyword must be spelled out */
	expect_error("set interface ip address de net_tap0 10.0.0.1/24", "unknown interface 'de'");
}

/* ---- commands that change state: check the effect, and no effect on failure ---- */

static void test_exec_interface(void **state)
{
	struct dps_iface *tap = dps_iface_get(st, 0);

	expect_ok("set interface ip address net_tap0 10.0.0.1/24", NULL);
	assert_int_equal(tap->naddr, 1);
	assert_int_equal(tap->addr[0].ip, 0x0a000001);
	assert_int_equal(tap->addr[0].plen, 24);
	expect_ok("show interfaces net_tap0", "inet 10.0.0.1/24");
	assert_non_null(strstr(answer, "mtu 1500"));
	assert_non_null(strstr(answer, "02:00:00:00:00:01"));
	assert_non_null(strstr(answer, "rx 0 packets"));

	/* failures leave the interface as it was */
	expect_error("set interface ip address net_tap0 10.0.0.1/24", "already an address of net_tap0");
	expect_error("set interface ip address net_memif0 10.0.0.5/24", "already on net_tap0");
	expect_error("set interface ip address net_tap0 10.0.0.255/24", "broadcast");
	expect_error("set interface ip address del net_tap0 10.0.0.9/24",
		     "net_tap0 has no address 10.0.0.9/24 (has: 10.0.0.1/24)");
	expect_error("set interface ip address del net_memif0 10.0.0.1/24", "it has none");
	assert_int_equal(tap->naddr, 1);

	expect_ok("set interface ip address net_memif0 10.0.1.1/24", NULL);
	expect_ok("show ip fib", "10.0.0.0/24");
	assert_non_null(strstr(answer, "10.0.1.0/24"));

	expect_ok("set interface state net_tap0 up", NULL);
	assert_int_equal(tap->admin_up, 1);
	expect_ok("set int state net_tap0 down", NULL);
	assert_int_equal(tap->admin_up, 0);
	expect_ok("set int state net_tap0 up", NULL);
	expect_ok("show interfaces net_tap0", "admin up");

	expect_ok("set interface mtu net_tap0 1400", NULL);
	assert_int_equal(tap->mtu, 1400);
	expect_error("set interface mtu net_tap0 67", NULL);
	assert_int_equal(tap->mtu, 1400);
	expect_ok("set interface mtu net_tap0 1500", NULL);
}

/* Does show ip fib list a static route to prefix? */
static bool fib_has(const char *prefix)
{
	char *line, *save = NULL;

	if (run("show ip fib") != 0)
		return false;
	for (line = strtok_r(answer, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, prefix, strlen(prefix)) == 0 && line[strlen(prefix)] == ' ' &&
		    strstr(line, "static") != NULL)
			return true;
	return false;
}

static void test_exec_routes(void **state)
{
	/* needs test_exec_interface's addresses */
	expect_error("ip route add 10.2.0.0/16 via 10.9.0.2", "not on any connected network");
	expect_error("ip route add 10.2.0.0/16 via 10.0.1.2 net_tap0", "not on a network of net_tap0");
	expect_error("ip route add 10.2.0.0/16 via 10.0.0.1", "our own address on net_tap0");
	expect_error("ip route add 10.2.0.0/16 via 224.0.0.1", "not a unicast");
	assert_false(fib_has("10.2.0.0/16"));

	expect_ok("ip route add 10.2.0.0/16 via 10.0.0.2", NULL);
	assert_true(fib_has("10.2.0.0/16"));
	expect_ok("show ip fib", "10.0.0.2");
	expect_error("ip route add 10.2.0.0/16 via 10.0.0.3", "already exists");
	expect_error("ip route del 10.2.0.0/16 via 10.0.0.3", "no static route to 10.2.0.0/16 via 10.0.0.3");
	expect_error("ip route del 10.2.0.0/16 net_memif0", "on net_memif0");
	expect_error("ip route del 10.3.0.0/16", "no static route");
	assert_true(fib_has("10.2.0.0/16"));
	expect_ok("ip route del 10.2.0.0/16 via 10.0.0.2 net_tap0", NULL);
	assert_false(fib_has("10.2.0.0/16"));

	expect_ok("ip r a 0.0.0.0/0 via 10.0.1.254 net_memif0", NULL);
	assert_true(fib_has("0.0.0.0/0"));
	expect_ok("ip route del 0.0.0.0/0", NULL);
	assert_false(fib_has("0.0.0.0/0"));
}

static void test_exec_show(void **state)
{
	expect_ok("show errors", NULL);
	expect_ok("clear counters", NULL);
	expect_ok("show errors", "no errors");
	st->ctl_err[DPS_ERR_IP4_BAD_CHECKSUM] += 3;
	expect_ok("show errors", "ip4_bad_checksum");
	assert_non_null(strstr(answer, "IPv4 header checksum wrong"));
	assert_non_null(strstr(answer, "3"));
	expect_ok("clear counters", NULL);
	expect_ok("show errors", "no errors");
	expect_ok("show ip arp", NULL);
	expect_ok("show workers", "Worker");
	expect_ok("show version", "dpstack ");
}

/* TCP tunables: each bad value is refused with its reason and changes
 * nothing; good ones show up in show tcp params and in the stack. */
static void test_exec_set_tcp(void **state)
{
	struct dps_tcp_params before;

	expect_ok("show tcp params", "msl_ms");
	assert_non_null(strstr(answer, "30000"));
	assert_non_null(strstr(answer, "cubic"));
	before = st->params.tcp;
	expect_error("set tcp msl_ms", NULL);
	expect_error("set tcp nosuch 1", "no TCP parameter 'nosuch'");
	expect_error("set tcp msl_ms -1", "whole number");
	expect_error("set tcp msl_ms 0", "from 1 to");
	expect_error("set tcp msl_ms 12x", "whole number");
	expect_error("set tcp msl_ms 99999999999999999999", "whole number");
	expect_error("set tcp syncookies 3", "from 0 to 2");
	expect_error("set tcp cc reno2", "no congestion control 'reno2'");
	assert_memory_equal(&before, &st->params.tcp, sizeof(before));
	expect_ok("set tcp msl_ms 500", NULL);
	expect_ok("set tcp cc newreno", NULL);
	expect_ok("set tcp syncookies 2", NULL);
	assert_int_equal(st->params.tcp.msl_ms, 500);
	assert_string_equal(st->params.tcp.cc, "newreno");
	assert_int_equal(st->params.tcp.syncookies, 2);
	expect_ok("show tcp params", "newreno");
	st->params.tcp = before;
}

static void test_exec_pcap(void **state)
{
	char cmd[256], path[128];

	expect_ok("show pcap", "no capture running");
	expect_error("pcap stop", "no capture is running");
	snprintf(path, sizeof(path), "%s/cap.pcapng", tmpdir);
	snprintf(cmd, sizeof(cmd), "pcap start net_tap0 %s max 10", path);
	expect_ok(cmd, path);
	expect_ok("show pcap", "capturing net_tap0");
	expect_error(cmd, "already running");
	expect_ok("pcap stop", "capture stopped");
	expect_ok("show pcap", "no capture running");
	assert_int_equal(access(path, F_OK), 0);

	snprintf(cmd, sizeof(cmd), "pcap start any %s/no/such/dir/x.pcapng", tmpdir);
	expect_error(cmd, NULL);
	expect_ok("show pcap", "no capture running");
}

/*
 * Built-in services and transport views (more end to end in test_service):
 * the syntax, the errors, that a failing start changes nothing.
 */
static void test_exec_services(void **state)
{
	char cmd[256];

	expect_ok("show services", "no services");
	expect_ok("show sessions", "worker 0: 0 sockets\ntotal 0\n");
	expect_ok("show tcp stats", "all TCP counters are zero");
	expect_ok("show tcp stats all", "rto_events");
	expect_ok("show memory", "In use");
	assert_non_null(strstr(answer, "worker 0: 0 sockets"));

	snprintf(cmd, sizeof(cmd), "service start http port 8080 root %s/none", tmpdir);
	expect_error(cmd, "No such file or directory");
	expect_error("service start http port 8080 root /dev/null", "not a directory");
	expect_error("service start http root /tmp port 80", "unknown word 'root' after 'service start http'");
	expect_error("service start source port 19", "missing bytes");
	expect_error("service start source port 19 bytes 0", "out of range");
	expect_error("service start echo udp port 99999", "out of range");
	expect_error("service start echo tcp udp port 7", "expected 'port' instead of 'udp'");
	expect_error("service stop nothing", "no service 'nothing' is running (none is)");
	expect_ok("show services", "no services");
	expect_ok("show sessions", "total 0\n");

	snprintf(cmd, sizeof(cmd), "service start http port 8080 root %s", tmpdir);
	expect_ok(cmd, NULL);
	assert_string_equal(answer, "");
	expect_ok("serv sta echo udp port 7", NULL);   /* abbreviated keywords */
	expect_error("service start discard udp port 7", "port 7/udp is in use by service echo 7/udp");
	expect_ok("show services", "http     tcp    8080");
	assert_non_null(strstr(answer, "echo     udp       7        -"));
	expect_ok("show sessions", "total 2: LISTEN 1, UDP 1");
	assert_non_null(strstr(answer, "0.0.0.0:8080"));
	expect_ok("show memory", "services: 2");
	expect_error("service stop 7/tcp", "no service '7/tcp' is running (running: http 8080/tcp, echo 7/udp)");
	expect_ok("service stop 7", NULL);
	expect_ok("service stop http", NULL);
	expect_ok("show services", "no services");
	expect_ok("show sessions", "total 0\n");
}

static void test_exec_file(void **state)
{
	char path[128];
	struct dps_out out;
	FILE *f;

	snprintf(path, sizeof(path), "%s/startup.conf", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# startup\n\nset interface mtu net_memif0 1400   # jumbo later\n"
		   "set interface mtu net_memif0 99999\nset interface mtu net_memif0 1300\n");
	fclose(f);
	dps_out_init(&out);
	assert_int_equal(dps_ctl_exec_file(st, path, &out), -1);
	/* stopped at line 4: line 3 applied, line 5 not */
	assert_non_null(strstr(dps_out_str(&out), ":4: error: mtu '99999'"));
	assert_int_equal(strncmp(dps_out_str(&out), path, strlen(path)), 0);
	assert_int_equal(dps_iface_get(st, 1)->mtu, 1400);
	dps_out_free(&out);

	dps_out_init(&out);
	assert_int_equal(dps_ctl_exec_file(st, "/nonexistent/startup.conf", &out), -1);
	assert_non_null(strstr(dps_out_str(&out), "error: cannot open /nonexistent/startup.conf"));
	dps_out_free(&out);
	expect_ok("set interface mtu net_memif0 1500", NULL);
}

/* ---- the control socket ---- */

static void set_sun(struct sockaddr_un *sa, const char *path)
{
	assert_true(strlen(path) < sizeof(sa->sun_path));
	memcpy(sa->sun_path, path, strlen(path) + 1);
}

static int client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	set_sun(&sa, path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Serve until the client's answer is complete (server closed); returns it. */
static const char *client_answer(int fd, int max_ms)
{
	static char buf[65536];
	size_t len = 0;

	for (int t = 0; t < max_ms; t += 10) {
		ssize_t n;

		dps_ctl_server_poll(st, 10);
		while ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0)
			len += (size_t)n;
		if (n == 0) {
			buf[len] = '\0';
			close(fd);
			return buf;
		}
	}
	close(fd);
	return NULL;
}

static const char *ask(const char *path, const void *req, size_t len)
{
	int fd = client_connect(path);

	assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	return client_answer(fd, 2000);
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_server(void **state)
{
	char path[128], lock[140], err[256], big[6000];
	const char *a;
	struct stat sb;
	pid_t pid;
	int status, idle;
	uint64_t t0;

	/* the parent directory is created */
	snprintf(path, sizeof(path), "%s/run/dpstack/ctl.sock", tmpdir);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	assert_int_equal(dps_ctl_server_open(path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));

	/*
	 * A second daemon is refused, naming our pid. It must be a fresh
	 * process (a forked copy would share our open server), so run this
	 * program again in its "--try-open" mode.
	 */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, STDOUT_FILENO);
		execl("/proc/self/exe", "test_ctl", "--try-open", path, (char *)NULL);
		_exit(99);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	a = ask(path, "show version\n", 13);
	assert_non_null(a);
	assert_int_equal(strncmp(a, "ok\ndpstack ", 11), 0);
	a = ask(path, "sh int net_tap0\r\n", 17);
	assert_non_null(a);
	assert_int_equal(strncmp(a, "ok\nnet_tap0", 11), 0);
	a = ask(path, "xyz\n", 4);
	assert_string_equal(a, "error\nerror: unknown command 'xyz' (try 'help')\n");
	/* no newline, then the client shuts down its side: the line still runs */
	{
		int fd = client_connect(path);

		assert_int_equal(send(fd, "help", 4, 0), 4);
		shutdown(fd, SHUT_WR);
		a = client_answer(fd, 2000);
		assert_non_null(a);
		assert_int_equal(strncmp(a, "ok\n", 3), 0);
		assert_non_null(strstr(a, "show interfaces"));
	}
	/* garbage */
	a = ask(path, "\xff\xfe\x00\x01\n", 5);
	assert_non_null(a);
	assert_int_equal(strncmp(a, "error\nerror: ", 13), 0);
	a = ask(path, "show \xc3\x28\n", 8);
	assert_non_null(a);
	assert_non_null(strstr(a, "UTF-8"));
	a = ask(path, "show\0 errors\n", 13);
	assert_non_null(strstr(a, "NUL"));
	memset(big, 'a', sizeof(big));
	a = ask(path, big, sizeof(big));
	assert_non_null(a);
	assert_non_null(strstr(a, "error\nerror: command too long"));

	/* a silent client is dropped after the timeout and does not stall others */
	ctl_server_set_timeout(300);
	idle = client_connect(path);
	t0 = ms_now();
	dps_ctl_server_poll(st, 50);
	assert_true(ms_now() - t0 < 200);   /* poll returns within its timeout */
	a = ask(path, "show version\n", 13);
	assert_non_null(a);
	assert_int_equal(strncmp(a, "ok\n", 3), 0);
	a = client_answer(idle, 2000);
	assert_non_null(a);
	assert_non_null(strstr(a, "timed out"));
	ctl_server_set_timeout(5000);

	/* more clients than slots: the extra ones are told, the others served */
	{
		int fds[20];

		/* one at a time, so that the listen backlog never fills */
		for (int i = 0; i < 20; i++) {
			fds[i] = client_connect(path);
			dps_ctl_server_poll(st, 0);
		}
		for (int i = 0; i < 20; i++)
			assert_int_equal(send(fds[i], "show version\n", 13, MSG_NOSIGNAL) >= 0 ||
					 errno == EPIPE || errno == ECONNRESET, 1);
		unsigned ok = 0, busy = 0;

		for (int i = 0; i < 20; i++) {
			a = client_answer(fds[i], 1000);
			if (a != NULL && strncmp(a, "ok\n", 3) == 0)
				ok++;
			else if (a != NULL && strstr(a, "too many"))
				busy++;
		}
		assert_true(ok >= 16);
		assert_int_equal(ok + busy, 20);
	}

	/* close removes the socket and the lock file */
	dps_ctl_server_close();
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(lock, F_OK), -1);

	/* a stale socket left by a crash is replaced */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		set_sun(&sa, path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);   /* the file stays, nobody listens */
		assert_int_equal(dps_ctl_server_open(path, err, sizeof(err)), 0);
		dps_ctl_server_close();

		/* but a live listener that does not use our lock is not robbed */
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(fd, 1), 0);
		assert_int_equal(dps_ctl_server_open(path, err, sizeof(err)), -EADDRINUSE);
		assert_non_null(strstr(err, "already serving"));
		assert_int_equal(access(lock, F_OK), -1);
		close(fd);
		unlink(path);
	}

	/* a path that is not a socket is left alone */
	{
		int fd = open(path, O_CREAT | O_WRONLY, 0600);

		close(fd);
		assert_int_equal(dps_ctl_server_open(path, err, sizeof(err)), -EEXIST);
		assert_non_null(strstr(err, "not a socket"));
		unlink(path);
	}
	memset(big, 'x', 200);
	big[0] = '/';
	big[200] = '\0';
	assert_int_equal(dps_ctl_server_open(big, err, sizeof(err)), -ENAMETOOLONG);
}

/*
 * Random lines from the commands' own words, argument-like words and junk
 * (no "pcap": it would write files): every answer is a success or exactly
 * one error line, and nothing crashes (run under ASan+UBSan by make test).
 */
static void test_exec_random(void **state)
{
	static const char *const junk[] = {
		"net_tap0", "net_memif0", "any", "up", "down", "10.0.0.1/24", "10.0.0.0/24",
		"10.7.0.0/16", "10.0.0.2", "1.2.3", "256.1.1.1", "0.0.0.0/0", "1500", "67",
		"99999999999999999999", "-1", "via", "del", "max", "#", "\xc3\xa9", "x",
		"s", "i", "", "/", "10.0.0.1/33", "1.2.3.4.5",
	};
	const char *words[256];
	unsigned nwords = 0, seed = (unsigned)time(NULL);
	struct ctl_node nodes[CTL_MAX_NODES];

	for (unsigned i = 0; i < ctl_n_cmds; i++) {
		int n = ctl_syntax_compile(ctl_cmds[i].syntax, nodes, CTL_MAX_NODES);

		for (int k = 0; k < n; k++) {
			/* no pcap (files) and no service (would read any root) */
			bool have = strcmp(nodes[k].text, "pcap") == 0 ||
				    strcmp(nodes[k].text, "service") == 0 || !nodes[k].literal;

			for (unsigned j = 0; j < nwords && !have; j++)
				have = strcmp(words[j], nodes[k].text) == 0;
			if (!have)
				words[nwords++] = strdup(nodes[k].text);
		}
	}
	unsigned nkw = nwords;   /* words[0..nkw) are our copies */

	for (size_t i = 0; i < RTE_DIM(junk); i++)
		words[nwords++] = junk[i];
	srand(seed);
	for (int iter = 0; iter < 20000; iter++) {
		char line[512] = "";
		int n = rand() % 8;
		char *nl;
		int rc;

		for (int k = 0; k < n; k++) {
			strcat(line, words[rand() % (int)nwords]);
			strcat(line, rand() % 16 ? " " : "\t");
		}
		rc = run(line);
		nl = strchr(answer, '\n');
		if (rc == -1 && (strncmp(answer, "error: ", 7) != 0 || nl == NULL || nl[1] != '\0'))
			fail_msg("seed %u: '%s' gave: %s", seed, line, answer);
		if (rc != 0 && rc != -1)
			fail_msg("seed %u: '%s' returned %d", seed, line, rc);
	}
	for (unsigned i = 0; i < nkw; i++)
		free((void *)(uintptr_t)words[i]);
	expect_ok("show interfaces", NULL);
	expect_ok("show ip fib", NULL);
}

/*
 * Child mode of test_server: try to claim the socket another process
 * holds; succeed (exit 0) only if refused with the expected message.
 */
static int try_open(const char *path)
{
	char err[256], want[64];
	int rc = dps_ctl_server_open(path, err, sizeof(err));

	snprintf(want, sizeof(want), "(pid %d)", (int)getppid());
	fprintf(stderr, "second open: %d %s\n", rc, err);
	return rc == -EADDRINUSE && strstr(err, "another dpstackd is already running on") &&
	       strstr(err, path) && strstr(err, want) ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokenize),
		cmocka_unit_test(test_text_ok),
		cmocka_unit_test(test_parse_ip4),
		cmocka_unit_test(test_parse_prefix),
		cmocka_unit_test(test_parse_net_and_ifaddr),
		cmocka_unit_test(test_parse_num),
		cmocka_unit_test(test_parse_updown_iface),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_help_covers_all),
		cmocka_unit_test(test_exec_bad_commands),
		cmocka_unit_test(test_exec_abbreviations),
		cmocka_unit_test(test_exec_interface),
		cmocka_unit_test(test_exec_routes),
		cmocka_unit_test(test_exec_show),
		cmocka_unit_test(test_exec_set_tcp),
		cmocka_unit_test(test_exec_pcap),
		cmocka_unit_test(test_exec_services),
		cmocka_unit_test(test_exec_file),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_exec_random),
	};

	if (argc == 3 && strcmp(argv[1], "--try-open") == 0)
		return try_open(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
