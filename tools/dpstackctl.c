/*
 * dpstackctl: send one command to dpstackd over its control socket and
 * print the answer. libc only, so it runs anywhere dpstackd's socket is.
 *
 * Exit status: 0 the command succeeded, 1 the daemon refused it (the
 * reason is on stderr), 2 no answer (daemon not running, bad usage).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_PATH  "/run/dpstack/ctl.sock"
#define ANSWER_TIMEOUT_S 30

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [-s PATH] <command words...>\n"
		"Send a command to dpstackd and print its answer.\n"
		"  -s PATH   control socket (default $DPSTACK_CTL, else %s)\n"
		"  -h        this help\n"
		"Examples:\n"
		"  %s show interfaces\n"
		"  %s set interface ip address net_tap0 10.0.0.1/24\n"
		"  %s help             (every command the daemon knows)\n"
		"Exit status: 0 ok, 1 the command failed, 2 no answer or bad usage.\n",
		prog, DEFAULT_PATH, prog, prog, prog);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *prog = "dpstackctl";
	const char *path = getenv("DPSTACK_CTL");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = ANSWER_TIMEOUT_S };
	char *line, *ans = NULL, *text;
	size_t len = 0, alen = 0, acap = 0;
	int i, fd, ok;

	if (path == NULL || path[0] == '\0')
		path = DEFAULT_PATH;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout, prog);
			return 0;
		} else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strncmp(argv[i], "-s", 2) == 0 && argv[i][2] != '\0') {
			path = argv[i] + 2;
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", prog, argv[i]);
			usage(stderr, prog);
			return 2;
		}
	}
	if (i == argc) {
		fprintf(stderr, "%s: no command given (try '%s help')\n", prog, prog);
		return 2;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "%s: socket path %s is too long\n", prog, path);
		return 2;
	}
	strcpy(sa.sun_path, path);

	/* the daemon reads one line: join the words with blanks, end with '\n' */
	for (int k = i; k < argc; k++) {
		if (strchr(argv[k], '\n') != NULL) {
			fprintf(stderr, "%s: a command word cannot contain a newline\n", prog);
			return 2;
		}
		len += strlen(argv[k]) + 1;
	}
	line = malloc(len + 1);
	if (line == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 2;
	}
	line[0] = '\0';
	for (int k = i; k < argc; k++) {
		strcat(line, argv[k]);
		strcat(line, k + 1 < argc ? " " : "\n");
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		fprintf(stderr, "%s: cannot connect to %s: %s -- %s\n", prog, path, strerror(e),
			e == EACCES || e == EPERM ? "are you root (or in the socket's group)?" :
			"is dpstackd running?");
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write_all(fd, line, strlen(line)) < 0) {
		fprintf(stderr, "%s: sending to %s: %s\n", prog, path, strerror(errno));
		return 2;
	}
	free(line);
	shutdown(fd, SHUT_WR);

	for (;;) {
		ssize_t n;

		if (acap - alen < 4096) {
			char *nb = realloc(ans, acap * 2 + 4096);

			if (nb == NULL) {
				fprintf(stderr, "%s: out of memory\n", prog);
				return 2;
			}
			ans = nb;
			acap = acap * 2 + 4096;
		}
		n = recv(fd, ans + alen, acap - alen - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: reading the answer from %s: %s\n", prog, path,
				errno == EAGAIN ? "timed out" : strerror(errno));
			return 2;
		}
		if (n == 0)
			break;
		alen += (size_t)n;
	}
	close(fd);
	ans[alen] = '\0';

	/* "ok\n" or "error\n", then the text */
	if (strncmp(ans, "ok\n", 3) == 0) {
		ok = 1;
		text = ans + 3;
	} else if (strncmp(ans, "error\n", 6) == 0) {
		ok = 0;
		text = ans + 6;
	} else {
		fprintf(stderr, "%s: %s closed the connection without a valid answer\n", prog,
			path);
		return 2;
	}
	fputs(text, ok ? stdout : stderr);
	free(ans);
	return ok ? 0 : 1;
}
