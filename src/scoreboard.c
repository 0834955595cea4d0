/*
 * scoreboard.c - the shared mapping and its counters, and the probe that
 * reads the listening socket's accept queue into it.
 *
 * The probe asks the kernel what the socket itself knows: for a unix
 * socket a sock_diag netlink request for its inode (UNIX_DIAG_RQLEN: the
 * connections waiting and the backlog), for TCP getsockopt(TCP_INFO) on
 * the listening socket (tcpi_unacked, tcpi_sacked).  One system call pair,
 * cheap enough for the master's loop.
 */
#include "config.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "scoreboard.h"

const char *const sb_group_names[SB_GROUPS] = { "health", "auth", "storage", "tables", "openapi",
	"other" };
const double sb_latency_bounds[SB_LATENCY_BUCKETS - 1] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5 };

enum sb_group
scoreboard_group(const char *path)
{
	static const struct {
		const char *prefix;
		enum sb_group group;
	} groups[] = {
		{ "/api/v1/health", SB_HEALTH },
		{ "/api/v1/auth/", SB_AUTH },
		{ "/api/v1/storage/", SB_STORAGE },
		{ "/api/v1/tables/", SB_TABLES },
		{ "/api/v1/openapi.json", SB_OPENAPI },
		{ "/openapi.json", SB_OPENAPI },
	};

	for (size_t i = 0; path != NULL && i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strncmp(path, groups[i].prefix, strlen(groups[i].prefix)) == 0)
			return groups[i].group;
	return SB_OTHER;
}

struct scoreboard *
scoreboard_create(void)
{
	struct scoreboard *sb =
	    mmap(NULL, sizeof(*sb), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (sb == MAP_FAILED) {
		log_err("%s: mmap: %m", __func__);
		return NULL;
	}
	/* Zeroed by mmap: touching it all would make every page resident. */
	sb->start_time = time(NULL);
	sb->listen_queue = sb->max_listen_queue = sb->listen_queue_limit = -1;
	return sb;
}

void
scoreboard_destroy(struct scoreboard *sb)
{
	if (sb != NULL)
		munmap(sb, sizeof(*sb));
}

void
scoreboard_request_begin(struct scoreboard *sb, struct sb_slot *slot)
{
	int active, max;

	__atomic_add_fetch(&sb->accepted, 1, __ATOMIC_RELAXED);
	active = __atomic_add_fetch(&sb->active, 1, __ATOMIC_RELAXED);
	if (sb->workers > 0 && active >= sb->workers)
		__atomic_add_fetch(&sb->max_children_reached, 1, __ATOMIC_RELAXED);
	slot->slow_logged = 0;
	max = __atomic_load_n(&sb->max_active, __ATOMIC_RELAXED);
	while (active > max &&
	    !__atomic_compare_exchange_n(&sb->max_active, &max, active, 0, __ATOMIC_RELAXED,
	        __ATOMIC_RELAXED))
		;
	clock_gettime(CLOCK_REALTIME, &slot->request_start);
	slot->state = WS_READING;
}

void
scoreboard_request_end(struct scoreboard *sb, struct sb_slot *slot, int status, const char *path,
    long long duration_us)
{
	int cls = status >= 200 && status < 600 ? status / 100 - 2 : 3;
	int b = 0;

	if (cls < 0)
		cls = 0;
	while (b < SB_LATENCY_BUCKETS - 1 && (double)duration_us / 1e6 > sb_latency_bounds[b])
		b++;
	__atomic_add_fetch(&sb->requests[scoreboard_group(path)][cls], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sb->latency[b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sb->latency_sum_us, (uint64_t)(duration_us > 0 ? duration_us : 0),
	    __ATOMIC_RELAXED);
	slot->last_status = status;
	slot->last_duration_us = duration_us;
	memcpy(slot->last_method, slot->method, sizeof(slot->method));
	memcpy(slot->last_uri, slot->uri, sizeof(slot->uri));
	slot->requests++;
}

void
scoreboard_request_done(struct scoreboard *sb, struct sb_slot *slot)
{
	__atomic_sub_fetch(&sb->active, 1, __ATOMIC_RELAXED);
	slot->state = WS_IDLE;
}

void
scoreboard_slot_release(struct scoreboard *sb, struct sb_slot *slot)
{
	if (slot->state == WS_READING || slot->state == WS_RUNNING)
		__atomic_sub_fetch(&sb->active, 1, __ATOMIC_RELAXED);
	sb->gone_db_reconnects += slot->db_reconnects;
	sb->gone_schema_reloads += slot->schema_reloads;
	sb->gone_public_cache_hits += slot->public_cache_hits;
	memset(slot, 0, sizeof(*slot));
}

int
scoreboard_queue_probe_open(struct sb_queue_probe *q, int listen_fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct stat st;

	memset(q, 0, sizeof(*q));
	q->listen_fd = listen_fd;
	q->diag_fd = -1;
	if (getsockname(listen_fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
		q->tcp = true;
		return 0;
	}
	if (ss.ss_family != AF_UNIX || fstat(listen_fd, &st) < 0)
		return -1;
	q->ino = st.st_ino;
	q->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (q->diag_fd < 0) {
		log_warn("%s: netlink sock_diag socket: %m; the listen queue is not reported",
		    __func__);
		return -1;
	}
	return 0;
}

void
scoreboard_queue_probe_close(struct sb_queue_probe *q)
{
	if (q->diag_fd >= 0)
		close(q->diag_fd);
	q->diag_fd = -1;
	q->tcp = false;
}

/* The UNIX_DIAG_RQLEN attribute of the answer to request seq, if there. */
static long
queue_unix_answer(const struct sb_queue_probe *q, const void *buf, ssize_t n, long *limit)
{
	for (const struct nlmsghdr *h = buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		const struct unix_diag_msg *m = NLMSG_DATA(h);
		const struct rtattr *a = (const struct rtattr *)(m + 1);
		int alen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));

		if (h->nlmsg_seq != q->seq)
			continue;
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || m->udiag_ino != q->ino)
			return -1; /* NLMSG_ERROR: no unix_diag in this kernel */
		for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			const struct unix_diag_rqlen *rq = RTA_DATA(a);

			if (a->rta_type == UNIX_DIAG_RQLEN && RTA_PAYLOAD(a) >= sizeof(*rq)) {
				*limit = rq->udiag_wqueue;
				return rq->udiag_rqueue;
			}
		}
		return -1;
	}
	return -2; /* not this one: an answer left from before */
}

static long
queue_unix(struct sb_queue_probe *q, long *limit)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} msg;
	union {
		struct nlmsghdr align;
		char buf[512];
	} ans;
	ssize_t n;
	long len = -2;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.nlh.nlmsg_seq = ++q->seq;
	msg.req.sdiag_family = AF_UNIX;
	msg.req.udiag_states = ~0U;
	msg.req.udiag_ino = (uint32_t)q->ino;
	msg.req.udiag_show = UDIAG_SHOW_RQLEN;
	msg.req.udiag_cookie[0] = msg.req.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (send(q->diag_fd, &msg, sizeof(msg), 0) < 0)
		return -1;
	/* The kernel answers within send(): never wait for it. */
	while (len == -2 && (n = recv(q->diag_fd, &ans, sizeof(ans), MSG_DONTWAIT)) > 0)
		len = queue_unix_answer(q, &ans, n, limit);
	return len < 0 ? -1 : len;
}

static long
queue_tcp(const struct sb_queue_probe *q, long *limit)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	/* On a listening socket: the accept queue and the backlog. */
	if (getsockopt(q->listen_fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -1;
	*limit = (long)ti.tcpi_sacked;
	return (long)ti.tcpi_unacked;
}

long
scoreboard_queue_sample(struct scoreboard *sb, struct sb_queue_probe *q)
{
	long limit = -1, len = -1, max;

	if (q->tcp)
		len = queue_tcp(q, &limit);
	else if (q->diag_fd >= 0)
		len = queue_unix(q, &limit);
	if (len < 0)
		return -1;
	__atomic_store_n(&sb->listen_queue, len, __ATOMIC_RELAXED);
	__atomic_store_n(&sb->listen_queue_limit, limit, __ATOMIC_RELAXED);
	max = __atomic_load_n(&sb->max_listen_queue, __ATOMIC_RELAXED);
	while (len > max &&
	    !__atomic_compare_exchange_n(&sb->max_listen_queue, &max, len, 0, __ATOMIC_RELAXED,
	        __ATOMIC_RELAXED))
		;
	return len;
}
