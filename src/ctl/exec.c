/*
 * The command executor: match a line's words against the command table,
 * parse every argument, and only then call the handler, so that a command
 * with any wrong word fails before it changes anything.
 *
 * Keywords may be shortened to a unique prefix ("sh int"); an exact
 * keyword wins over a longer one it prefixes. Where an argument could
 * stand in the same place as a keyword, only the full keyword counts, so
 * an interface name is never read as an abbreviation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_internal.h"
#include "port/capture.h"

#define CTL_MAX_LINE 4096

int ctl_err(struct dps_out *out, const char *fmt, ...)
{
	va_list ap;

	dps_out_reset(out);
	dps_out_printf(out, "error: ");
	va_start(ap, fmt);
	dps_out_vprintf(out, fmt, ap);
	va_end(ap);
	dps_out_printf(out, "\n");
	return -1;
}

const struct ctl_val *ctl_arg(const struct ctl_args *a, const char *name)
{
	for (unsigned i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return &a->v[i];
	return NULL;
}

/* ---- syntax strings ---- */

static const struct {
	const char *name;
	enum ctl_type type;
	const char *shown;     /* how help and messages show it */
} ctl_types[] = {
	{ "iface",     CTL_T_IFACE,     "<interface>" },
	{ "iface_any", CTL_T_IFACE_ANY, "<interface|any>" },
	{ "ip4",       CTL_T_IP4,       "<a.b.c.d>" },
	{ "net",       CTL_T_NET,       "<a.b.c.d/len>" },
	{ "ifaddr",    CTL_T_IFADDR,    "<a.b.c.d/len>" },
	{ "updown",    CTL_T_UPDOWN,    "up|down" },
	{ "num",       CTL_T_NUM,       NULL },
	{ "file",      CTL_T_FILE,      "<file>" },
	{ "word",      CTL_T_WORD,      NULL },
};

static int compile_arg(const char *tok, size_t len, struct ctl_node *nd)
{
	char spec[64], *name, *type, *range;

	if (len < 3 || len >= sizeof(spec) || tok[len - 1] != '>')
		return -EINVAL;
	memcpy(spec, tok + 1, len - 2);
	spec[len - 2] = '\0';
	name = spec;
	type = strchr(spec, ':');
	if (type == NULL)
		return -EINVAL;
	*type++ = '\0';
	range = strchr(type, ':');
	if (range != NULL)
		*range++ = '\0';
	if (strlen(name) == 0 || strlen(name) >= sizeof(nd->text))
		return -EINVAL;
	strcpy(nd->text, name);
	nd->literal = false;
	for (size_t i = 0; i < RTE_DIM(ctl_types); i++) {
		if (strcmp(type, ctl_types[i].name) != 0)
			continue;
		nd->type = ctl_types[i].type;
		nd->min = 0;
		nd->max = UINT64_MAX;
		nd->ranged = false;
		if (range != NULL) {
			char *end;

			if (nd->type != CTL_T_NUM)
				return -EINVAL;
			nd->min = strtoull(range, &end, 10);
			if (strncmp(end, "..", 2) != 0)
				return -EINVAL;
			nd->max = strtoull(end + 2, &end, 10);
			if (*end != '\0' || nd->min > nd->max)
				return -EINVAL;
			nd->ranged = true;
		}
		return 0;
	}
	return -EINVAL;
}

int ctl_syntax_compile(const char *syntax, struct ctl_node *nodes, unsigned max)
{
	const char *p = syntax;
	unsigned n = 0;
	uint8_t groups = 0;
	bool in_group = false;

	while (*p != '\0') {
		const char *tok;
		size_t len;
		bool close = false;
		struct ctl_node *nd;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (n == max)
			return -EINVAL;
		nd = &nodes[n];
		memset(nd, 0, sizeof(*nd));
		tok = p;
		while (*p != '\0' && *p != ' ')
			p++;
		len = (size_t)(p - tok);
		if (*tok == '[') {
			if (in_group)
				return -EINVAL;   /* groups do not nest */
			in_group = true;
			groups++;
			tok++, len--;
		}
		if (len > 0 && tok[len - 1] == ']') {
			if (!in_group)
				return -EINVAL;
			close = true;
			len--;
		}
		if (len == 0)
			return -EINVAL;
		nd->group = in_group ? groups : 0;
		if (*tok == '<') {
			if (compile_arg(tok, len, nd) < 0)
				return -EINVAL;
		} else {
			if (len >= sizeof(nd->text) || strcspn(tok, "<>[]") < len)
				return -EINVAL;
			memcpy(nd->text, tok, len);
			nd->text[len] = '\0';
			nd->literal = true;
		}
		if (close)
			in_group = false;
		n++;
	}
	return in_group ? -EINVAL : (int)n;
}

/* How help and messages show one node. */
static const char *node_shown(const struct ctl_node *nd, char *buf, size_t len)
{
	if (nd->literal)
		return nd->text;
	/* a short range says more than a name ("<68..9000>"); a huge one says less */
	if (nd->type == CTL_T_NUM && nd->ranged && nd->max < 1000000) {
		snprintf(buf, len, "<%" PRIu64 "..%" PRIu64 ">", nd->min, nd->max);
		return buf;
	}
	for (size_t i = 0; i < RTE_DIM(ctl_types); i++)
		if (ctl_types[i].type == nd->type && ctl_types[i].shown != NULL)
			return ctl_types[i].shown;
	snprintf(buf, len, "<%s>", nd->text);
	return buf;
}

static void render_nodes(const struct ctl_node *nodes, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++) {
		char tmp[48];
		bool open = nodes[i].group && (i == 0 || nodes[i - 1].group != nodes[i].group);
		bool close = nodes[i].group && (i == n - 1 || nodes[i + 1].group != nodes[i].group);

		used += (size_t)snprintf(buf + used, len - used, "%s%s%s%s", i ? " " : "",
					 open ? "[" : "", node_shown(&nodes[i], tmp, sizeof(tmp)),
					 close ? "]" : "");
	}
}

void ctl_syntax_render(const char *syntax, char *buf, size_t len)
{
	struct ctl_node nodes[CTL_MAX_NODES];
	int n = ctl_syntax_compile(syntax, nodes, CTL_MAX_NODES);

	if (n < 0)
		snprintf(buf, len, "%s", syntax);
	else
		render_nodes(nodes, n, buf, len);
}

/* ---- matching ---- */

struct cand {
	const struct ctl_cmd *cmd;
	struct ctl_node nodes[CTL_MAX_NODES];
	int n;
	int path;      /* leading mandatory keywords */
	bool alive;
};

static bool is_prefix(const char *word, const char *kw)
{
	return strncmp(word, kw, strlen(word)) == 0;
}

/* The words typed so far, for messages ("after 'show ip'"). */
static const char *words_upto(char **w, int n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", w[i]);
	return buf;
}

/* Is kw one of the items of the list "a, b, c"? */
static bool list_has(const char *list, const char *kw)
{
	size_t n = strlen(kw);

	for (const char *p = list; (p = strstr(p, kw)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* "a, b, c": the keywords (and argument) alive candidates accept at pos. */
static void expected_at(struct cand *c, unsigned nc, int pos, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < nc && used < len; i++) {
		char tmp[48];
		const char *s;

		if (!c[i].alive || c[i].n <= pos)
			continue;
		s = node_shown(&c[i].nodes[pos], tmp, sizeof(tmp));
		if (!list_has(buf, s))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", s);
	}
}

enum keep { KEEP_ENDED, KEEP_EXACT, KEEP_PREFIX };

/*
 * Keep the candidates whose keywords end before pos (KEEP_ENDED), or whose
 * keyword at pos is word (KEEP_EXACT) or starts with it (KEEP_PREFIX).
 */
static void keep_only(struct cand *c, unsigned nc, int pos, enum keep how, const char *word)
{
	for (unsigned i = 0; i < nc; i++) {
		bool kw = c[i].path > pos;

		if (how == KEEP_ENDED ? kw :
		    !kw || (how == KEEP_EXACT ? strcmp(c[i].nodes[pos].text, word) != 0 :
						!is_prefix(word, c[i].nodes[pos].text)))
			c[i].alive = false;
	}
}

/*
 * Narrow the candidates down by the leading keywords. Returns the one
 * command left, or NULL with the error in out.
 */
static struct cand *match_path(struct cand *c, unsigned nc, char **w, int nw,
			       struct dps_out *out)
{
	char typed[256], exp[512], q[80];
	int pos;

	for (pos = 0;; pos++) {
		bool any_kw = false, any_arg = false, exact = false;
		const char *only = NULL;
		unsigned nprefix = 0;

		for (unsigned i = 0; i < nc; i++) {
			if (!c[i].alive)
				continue;
			if (c[i].path > pos)
				any_kw = true;
			else if (c[i].n > pos)
				any_arg = true;
		}
		if (!any_kw)
			break;
		if (pos >= nw) {
			bool complete = false;

			for (unsigned i = 0; i < nc; i++)
				complete |= c[i].alive && c[i].path <= pos;
			if (!complete) {
				expected_at(c, nc, pos, exp, sizeof(exp));
				ctl_err(out, "incomplete command '%s' (expected: %s)",
					words_upto(w, nw, typed, sizeof(typed)), exp);
				return NULL;
			}
			keep_only(c, nc, pos, KEEP_ENDED, NULL);
			break;
		}
		for (unsigned i = 0; i < nc; i++) {
			if (!c[i].alive || c[i].path <= pos)
				continue;
			if (strcmp(c[i].nodes[pos].text, w[pos]) == 0)
				exact = true;
			else if (is_prefix(w[pos], c[i].nodes[pos].text) &&
				 (only == NULL || strcmp(only, c[i].nodes[pos].text) != 0)) {
				only = c[i].nodes[pos].text;
				nprefix++;
			}
		}
		if (exact) {
			keep_only(c, nc, pos, KEEP_EXACT, w[pos]);
			continue;
		}
		if (nprefix > 0 && !any_arg) {
			if (nprefix > 1) {
				/* the distinct keywords the word could stand for */
				size_t used = 0;

				exp[0] = '\0';
				for (unsigned i = 0; i < nc && used < sizeof(exp); i++) {
					const char *kw = c[i].nodes[pos].text;

					if (!c[i].alive || c[i].path <= pos || !is_prefix(w[pos], kw) ||
					    list_has(exp, kw))
						continue;
					used += (size_t)snprintf(exp + used, sizeof(exp) - used, "%s%s",
								 used ? ", " : "", kw);
				}
				ctl_err(out, "ambiguous %s '%s': could be %s",
					pos == 0 ? "command" : "word", w[pos], exp);
				return NULL;
			}
			keep_only(c, nc, pos, KEEP_PREFIX, w[pos]);
			continue;
		}
		if (!any_arg) {
			if (pos == 0) {
				ctl_err(out, "unknown command %s (try 'help')",
					ctl_quote(w[0], q, sizeof(q)));
			} else {
				expected_at(c, nc, pos, exp, sizeof(exp));
				ctl_err(out, "unknown word %s after '%s' (expected: %s)",
					ctl_quote(w[pos], q, sizeof(q)),
					words_upto(w, pos, typed, sizeof(typed)), exp);
			}
			return NULL;
		}
		/* the word is an argument of the commands whose keywords ended here */
		keep_only(c, nc, pos, KEEP_ENDED, NULL);
		break;
	}
	for (unsigned i = 0; i < nc; i++)
		if (c[i].alive)
			return &c[i];
	return NULL;   /* not reached: some candidate always stays alive */
}

static int parse_arg(struct dps_stack *st, const struct ctl_node *nd, const char *word,
		     struct ctl_val *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->name = nd->text;
	v->word = word;
	switch (nd->type) {
	case CTL_T_IFACE:
		return ctl_parse_iface(st, word, &v->ifindex, err, errlen);
	case CTL_T_IFACE_ANY:
		if (strcmp(word, "any") == 0) {
			v->ifindex = DPS_CAPTURE_ALL;
			return 0;
		}
		return ctl_parse_iface(st, word, &v->ifindex, err, errlen);
	case CTL_T_IP4:
		return ctl_parse_ip4(word, &v->ip, err, errlen);
	case CTL_T_NET:
		return ctl_parse_net(word, &v->ip, &v->plen, err, errlen);
	case CTL_T_IFADDR:
		return ctl_parse_ifaddr(word, &v->ip, &v->plen, err, errlen);
	case CTL_T_UPDOWN:
		return ctl_parse_updown(word, &v->up, err, errlen);
	case CTL_T_NUM:
		return ctl_parse_num(nd->text, word, nd->min, nd->max, &v->num, err, errlen);
	case CTL_T_FILE:
	case CTL_T_WORD:
		return 0;
	}
	return -EINVAL;
}

/* Does some optional group from node j on take an argument first? */
static bool later_opt_arg(const struct cand *c, int j)
{
	for (; j < c->n && c->nodes[j].group; j++)
		if (!c->nodes[j].literal &&
		    (j == 0 || c->nodes[j - 1].group != c->nodes[j].group))
			return true;
	return false;
}

/* Parse the words after the command's keywords against the rest of its syntax. */
static int parse_args(struct dps_stack *st, const struct cand *c, char **w, int nw,
		      struct ctl_args *a, struct dps_out *out)
{
	char usage[256], typed[256], err[CTL_ERRLEN], tmp[48], q[80];
	int i = c->path, j = c->path;

	render_nodes(c->nodes, c->n, usage, sizeof(usage));
	a->n = 0;
	while (j < c->n) {
		const struct ctl_node *nd = &c->nodes[j];

		if (nd->group) {
			/* an optional group: take it if the next word starts it */
			bool take = false;
			int end = j;

			while (end < c->n && c->nodes[end].group == nd->group)
				end++;
			if (i < nw) {
				if (!nd->literal)
					take = true;
				else if (strcmp(w[i], nd->text) == 0)
					take = true;
				else if (is_prefix(w[i], nd->text) && !later_opt_arg(c, end))
					take = true;
			}
			if (!take) {
				j = end;
				continue;
			}
		}
		if (i >= nw) {
			return ctl_err(out, "missing %s after '%s' (usage: %s)",
				       node_shown(nd, tmp, sizeof(tmp)),
				       words_upto(w, nw, typed, sizeof(typed)), usage);
		}
		if (nd->literal) {
			if (strcmp(w[i], nd->text) != 0 && !is_prefix(w[i], nd->text))
				return ctl_err(out, "expected '%s' instead of %s (usage: %s)",
					       nd->text, ctl_quote(w[i], q, sizeof(q)), usage);
		} else if (parse_arg(st, nd, w[i], &a->v[a->n++], err, sizeof(err)) < 0) {
			return ctl_err(out, "%s", err);
		}
		i++, j++;
	}
	if (i < nw)
		return ctl_err(out, "unexpected %s after '%s' (usage: %s)",
			       ctl_quote(w[i], q, sizeof(q)), words_upto(w, i, typed, sizeof(typed)),
			       usage);
	return 0;
}

static unsigned compile_all(struct cand *c)
{
	unsigned nc = 0;

	for (unsigned i = 0; i < ctl_n_cmds; i++) {
		int n = ctl_syntax_compile(ctl_cmds[i].syntax, c[nc].nodes, CTL_MAX_NODES);

		/* a broken syntax string is a bug the unit test catches; skip it here */
		if (n <= 0)
			continue;
		c[nc].cmd = &ctl_cmds[i];
		c[nc].n = n;
		c[nc].path = 0;
		while (c[nc].path < n && c[nc].nodes[c[nc].path].literal &&
		       c[nc].nodes[c[nc].path].group == 0)
			c[nc].path++;
		c[nc].alive = true;
		nc++;
	}
	return nc;
}

int dps_ctl_exec(struct dps_stack *st, const char *line, struct dps_out *out)
{
	char buf[CTL_MAX_LINE + 1], err[CTL_ERRLEN];
	char *w[CTL_MAX_WORDS];
	struct cand *cands, *c;
	struct ctl_args args;
	size_t len = strlen(line);
	unsigned nc;
	int nw, rc;

	if (len > CTL_MAX_LINE)
		return ctl_err(out, "command too long (%zu bytes, at most %d)", len, CTL_MAX_LINE);
	if (!ctl_text_ok(line, len))
		return ctl_err(out, "command contains control characters or is not valid UTF-8");
	memcpy(buf, line, len + 1);
	nw = ctl_tokenize(buf, w, CTL_MAX_WORDS, err, sizeof(err));
	if (nw < 0)
		return ctl_err(out, "%s", err);
	if (nw == 0)
		return 0;

	cands = malloc(ctl_n_cmds * sizeof(*cands));
	if (cands == NULL)
		return ctl_err(out, "out of memory");
	nc = compile_all(cands);
	c = match_path(cands, nc, w, nw, out);
	rc = -1;
	if (c != NULL && parse_args(st, c, w, nw, &args, out) == 0)
		rc = c->cmd->fn(st, &args, out) == 0 ? 0 : -1;
	free(cands);
	return rc;
}

int dps_ctl_exec_file(struct dps_stack *st, const char *path, struct dps_out *out)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	int rc = 0;

	if (f == NULL)
		return ctl_err(out, "cannot open %s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct dps_out one;

		lineno++;
		/* getline keeps NUL bytes; a C string would silently cut them off */
		if (memchr(line, '\0', (size_t)n) != NULL) {
			dps_out_reset(out);
			dps_out_printf(out, "%s:%u: error: line contains a NUL byte\n", path, lineno);
			rc = -1;
			break;
		}
		dps_out_init(&one);
		if (dps_ctl_exec(st, line, &one) < 0) {
			dps_out_reset(out);
			dps_out_printf(out, "%s:%u: %s", path, lineno, dps_out_str(&one));
			dps_out_free(&one);
			rc = -1;
			break;
		}
		dps_out_printf(out, "%s", dps_out_str(&one));
		dps_out_free(&one);
	}
	if (rc == 0 && ferror(f))
		rc = ctl_err(out, "reading %s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	return rc;
}

/* ---- help ---- */

/* Does command i have a keyword starting with topic (or is there no topic)? */
static bool help_match(unsigned i, const struct ctl_val *topic)
{
	struct ctl_node nodes[CTL_MAX_NODES];
	int n;

	if (topic == NULL)
		return true;
	n = ctl_syntax_compile(ctl_cmds[i].syntax, nodes, CTL_MAX_NODES);
	for (int k = 0; k < n; k++)
		if (nodes[k].literal && is_prefix(topic->word, nodes[k].text))
			return true;
	return false;
}

int cmd_help(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct ctl_val *topic = ctl_arg(a, "topic");
	char shown[192];
	int width = 0;

	/* two passes: the first finds the column width */
	for (unsigned i = 0; i < ctl_n_cmds; i++) {
		if (!help_match(i, topic))
			continue;
		ctl_syntax_render(ctl_cmds[i].syntax, shown, sizeof(shown));
		if ((int)strlen(shown) > width)
			width = (int)strlen(shown);
	}
	if (width == 0)
		return ctl_err(out, "no command has a word starting with '%s' (try 'help')",
			       topic->word);
	for (unsigned i = 0; i < ctl_n_cmds; i++) {
		if (!help_match(i, topic))
			continue;
		ctl_syntax_render(ctl_cmds[i].syntax, shown, sizeof(shown));
		dps_out_printf(out, "%-*s  %s\n", width, shown, ctl_cmds[i].help);
	}
	if (topic == NULL)
		dps_out_printf(out, "\nKeywords may be shortened to a unique prefix: 'sh int' is "
			       "'show interfaces'.\n");
	return 0;
}
