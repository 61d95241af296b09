/* Socket lifecycle: AT#SOCKETCREATE, AT#TCPCONNECT, AT#SOCKETCLOSE. */
#include "addr.h"
#include "handlers.h"
#include "timeutil.h"

/* The note's Max Response Time of AT#TCPCONNECT; a loopback connect that
 * takes longer (a listener with a full backlog) fails like a real one. */
#define CONNECT_TIMEOUT_US (10 * 1000000LL)
/* How long AT#SOCKETCLOSE waits for bytes still queued for the peer. */
#define CLOSE_DRAIN_US (10 * 1000000LL)

static const char *type_name(const struct msock *s)
{
	return s->p.tcp ? "TCP" : "UDP";
}

static int socketcreate_set(struct modem *m, const struct at_command *c)
{
	struct sock_params p = {0};
	int rc, sid;

	if ((rc = check_params(c, 7, 8)) || (rc = check_cid(m, c, 0)) || (rc = check_link(m)))
		return rc;
	if (!at_param_int(c, 1, 0, 1, &p.ipver))
		return 2102;
	if (at_param_is(c, 2, "TCP"))
		p.tcp = true;
	else if (!at_param_is(c, 2, "UDP"))
		return 2140;
	/* <udp_port> is there for TCP too, and ignored (docs/PROTOCOL.md §6); empty is any port. */
	if (!at_param_present(c, 3)) {
		p.udp_port = 0;
	} else if (!at_param_int(c, 3, 0, 65535, &p.udp_port)) {
		if (!p.tcp)
			return 2141;
		p.udp_port = 0;
	} else if (p.tcp && p.udp_port == 0 && m->opt->refuse_port_zero) {
		return 2141;
	}
	if (!at_param_int(c, 4, 0, 65535, &p.send_timeout) ||
	    !at_param_int(c, 5, 0, 65535, &p.recv_timeout) || !at_param_int(c, 6, 0, 2, &p.urc))
		return 50;
	/* No TLS here: only "no security profile" (absent or 0). */
	if (at_param_present(c, 7) && !(at_param_int(c, 7, 0, 0, &p.sec)))
		return 2161;
	rc = sock_create(&m->socks, &p, &sid);
	if (rc)
		return rc;
	reply_info(m, "#SOCKETCREATE: %d", modem_sid(m, sid));
	return 0;
}

int cmd_socketcreate(struct modem *m, const struct at_command *c)
{
	switch (c->form) {
	case AT_SET:
		return socketcreate_set(m, c);
	case AT_READ:
		for (int i = 0; i < FM_MAX_SOCKETS; i++) {
			const struct msock *s = socktab_get(&m->socks, i);

			if (s)
				reply_info(m, "#SOCKETCREATE: %d,%d,%d,%s,%ld,%ld,%ld,%ld,%ld",
					   modem_cid(m), modem_sid(m, i), sock_list_status(s),
					   type_name(s), s->p.udp_port, s->p.send_timeout,
					   s->p.recv_timeout, s->p.urc, s->p.sec);
		}
		return 0;
	case AT_TEST:
		reply_info(m,
			   "#SOCKETCREATE: (%d),(0,1),(\"TCP\",\"UDP\"),(0-65535),"
			   "(0-65535),(0-65535),(0-2),(0)",
			   modem_cid(m));
		return 0;
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}

/* Waits for the pending AT#TCPCONNECT. */
static void wait_connect(struct modem *m, int64_t now)
{
	struct pending_command *pc = &m->cmd;
	struct msock *s = &m->socks.s[pc->wait_sid];

	if (s->link == TCP_IDLE) {
		/* Refused or unreachable; over the air the refusal, too,
		 * takes its round trip. */
		if (!air_active(m) || now >= pc->not_before)
			command_finish(m, 2152);
	} else if (air_active(m) && pc->not_before > pc->deadline && now >= pc->deadline) {
		/* The RRC setup and round trip outlast the modem's timer. */
		sock_disconnect(s);
		command_finish(m, 2152);
	} else if (s->link != TCP_CONNECTING) {
		/* Connected (or already closed again by the peer: still the
		 * connect worked). --connect-delay holds the answer back. */
		if (now >= pc->not_before)
			command_finish(m, 0);
	} else if (now >= pc->deadline) {
		sock_disconnect(s);
		command_finish(m, 2152);
	}
}

static int tcpconnect_set(struct modem *m, const struct at_command *c)
{
	struct pending_command *pc = &m->cmd;
	struct sockaddr_storage to;
	socklen_t tolen;
	struct msock *s = NULL;
	char addr[64];
	long port;
	int64_t now = now_us();
	int rc, family;

	if ((rc = check_params(c, 4, 4)) || (rc = check_cid(m, c, 0)) || (rc = check_link(m)) ||
	    (rc = get_socket(m, c, 1, true, &s)))
		return rc;
	if (sock_tcp_status(s) == 5)
		return 2157;
	if (!at_param_copy(c, 2, addr, sizeof(addr)))
		return 2103;
	if (!at_param_int(c, 3, 1, 65535, &port))
		return 2141;
	family = addr_parse(addr, (unsigned)port, &to, &tolen);
	if (!family || family != (s->p.ipver ? AF_INET6 : AF_INET))
		return 2103;
	/* The fake modem's one hard rule: nothing leaves the machine. */
	if (!addr_is_loopback(&to))
		return 2152;
	/* --refuse-connects: a connect that would work fails while the radio
	 * "wakes"; the maker's application retries (docs/PROTOCOL.md §6). */
	if (m->connects_refused < (unsigned long)m->opt->refuse_connects) {
		m->connects_refused++;
		m->stats.connects_refused_injected++;
		return 2152;
	}
	/* A link the peer closed and that has been read empty may be
	 * connected again: drop its old host socket first. */
	sock_disconnect(s);
	if (sock_connect(s, &to, tolen))
		return 2152;
	pc->wait_sid = socket_slot(m, s);
	pc->not_before = now + m->opt->connect_delay_ms * 1000;
	if (air_active(m)) {
		int64_t answered = air_round_trip(m);

		if (answered > pc->not_before)
			pc->not_before = answered;
	}
	pc->deadline = now + CONNECT_TIMEOUT_US;
	command_wait(m, wait_connect);
	return FM_PENDING;
}

int cmd_tcpconnect(struct modem *m, const struct at_command *c)
{
	switch (c->form) {
	case AT_SET:
		return tcpconnect_set(m, c);
	case AT_READ:
		for (int i = 0; i < FM_MAX_SOCKETS; i++) {
			const struct msock *s = socktab_get(&m->socks, i);

			if (s && s->p.tcp)
				reply_info(m, "#TCPCONNECT: %d,%d,%d", modem_cid(m), modem_sid(m, i),
					   sock_tcp_status(s));
		}
		return 0;
	case AT_TEST:
		reply_info(m,
			   "#TCPCONNECT: (%d)," SID_RANGE_FMT ",\"<ip_address>\","
			   "(1-65535)",
			   modem_cid(m), SID_RANGE(m));
		return 0;
	case AT_EXEC:
		break;
	}
	return CMD_UNSUPPORTED;
}

/* Waits until the bytes queued for a TCP peer are gone, then closes. */
static void wait_close(struct modem *m, int64_t now)
{
	struct pending_command *pc = &m->cmd;
	struct msock *s = &m->socks.s[pc->wait_sid];

	if ((s->tx.len || air_holds_uplink(m, pc->wait_sid)) && s->fd >= 0 && now < pc->deadline)
		return;
	sock_close(&m->socks, pc->wait_sid);
	command_finish(m, 0);
}

int cmd_socketclose(struct modem *m, const struct at_command *c)
{
	struct msock *s;
	int sid;
	int rc;

	if (c->form == AT_TEST) {
		reply_info(m, "#SOCKETCLOSE: (%d)," SID_RANGE_FMT, modem_cid(m), SID_RANGE(m));
		return 0;
	}
	if (c->form != AT_SET)
		return CMD_UNSUPPORTED;
	if ((rc = check_params(c, 2, 2)) || (rc = check_cid(m, c, 0)))
		return rc;
	/* Unknown id: 2104, whether out of range or just not open. */
	if (!param_sid(m, c, 1, &sid) || !(s = socktab_get(&m->socks, sid)))
		return 2104;
	if ((s->tx.len || air_holds_uplink(m, sid)) && s->fd >= 0) {
		/* Bytes the program sent before closing must still arrive
		 * (over the air: UDP datagrams too). */
		m->cmd.wait_sid = sid;
		m->cmd.deadline = now_us() + CLOSE_DRAIN_US;
		command_wait(m, wait_close);
		return FM_PENDING;
	}
	sock_close(&m->socks, sid);
	return 0;
}
