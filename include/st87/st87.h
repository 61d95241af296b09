/*
 * libst87: driver core for the ST87MXX NB-IoT modem's embedded TCP/UDP stack.
 *
 * Return values
 * -------------
 * Every function that can fail returns 0 (or a count, or an id) on success and
 * a negative errno on failure. Where the modem answered "+CME ERROR: <n>",
 * st87_modem_last_cme() gives <n> and the errno is the one st87_cme_errno()
 * maps it to. st87_last_error() gives a one-line, human-readable account of
 * the most recent failure in the calling thread ("port busy (pid 42)",
 * "+CME ERROR: 2150 (tcpip socket creation error)", ...).
 *
 * No call blocks past its deadline: each AT command has the "Max Response
 * Time" of the vendor's note plus a margin (st87_modem_options.margin_ms).
 *
 * Threads: a struct st87_modem is not thread-safe; use it from one thread.
 */
#ifndef ST87_ST87_H
#define ST87_ST87_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ST87_DEFAULT_CID 5
#define ST87_DEFAULT_BAUD 115200
/** The hold time of the maker's driver (AT#SLEEPMODE=1,10,...): the modem sleeps 10 s after the last command. */
#define ST87_DEFAULT_SLEEP_HOLD_MS 10000
/** Payload of one AT#IPSENDTCP / AT#IPSENDUDP that every firmware takes (the note's limit). */
#define ST87_NOTE_SEND 512
/** Largest payload of one send any firmware is known to take; sends are never larger. */
#define ST87_MAX_SEND 1600
/** First size tried when neither configured nor learned (the maker's drivers send 1024). */
#define ST87_PROBE_SEND 1024
/** Largest #IPREAD block the driver accepts; larger claims are a protocol error. */
#define ST87_MAX_READ 4096
/** Longest command line the AT engine writes. */
#define ST87_MAX_LINE 2048
/** Longest line the AT engine accepts from the modem (the maker's drivers take 2100-byte certificate lines). */
#define ST87_MAX_RESPONSE_LINE 4096
#define ST87_ADDR_LEN 64 /* holds any IPv4 or IPv6 address text */

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/** Text of a CME error code from section 7 of the note, or NULL if unknown. */
const char *st87_cme_text(int cme);

/**
 * errno a socket call should report for CME code @p cme: for example 2150
 * (socket creation error) -> EMFILE, 2152 (error while connecting) ->
 * ECONNREFUSED, 2106 (network is down) -> ENETDOWN. Unknown codes -> EIO.
 */
int st87_cme_errno(int cme);

/** Like strerror(), with the driver's own wording for its errnos. */
const char *st87_strerror(int negative_errno);

/** One line describing the calling thread's most recent failure ("" if none). */
const char *st87_last_error(void);

/* ------------------------------------------------------------------------ */
/* Logging                                                                  */
/* ------------------------------------------------------------------------ */

enum st87_log_level {
	ST87_LOG_NONE = 0,
	ST87_LOG_ERROR = 1,
	ST87_LOG_WARN = 2,
	ST87_LOG_INFO = 3,
	ST87_LOG_DEBUG = 4,
};

/** Messages at or below @p level go to stderr, one line each, prefixed "st87: ". Default: ERROR. */
void st87_log_set_level(enum st87_log_level level);
enum st87_log_level st87_log_get_level(void);
/** Replaces "st87" in the prefix of every message, e.g. with the program's name. @p name must stay valid. */
void st87_log_set_name(const char *name);
/**
 * Parses "none", "error", "warn", "info", "debug" (any case) or 0..4, blanks
 * around it ignored: the values of ST87_LOG. 0, or -EINVAL otherwise.
 */
int st87_log_parse_level(const char *text, enum st87_log_level *level);

/* ------------------------------------------------------------------------ */
/* Serial port                                                              */
/* ------------------------------------------------------------------------ */

struct st87_serial;

/**
 * True when the serial port can be set to @p baud: a standard termios rate
 * of Linux from 1200 to 4000000 (st87_baud_rate_at() lists them). The shim's
 * ST87_BAUD, st87run and st87ctl accept exactly these.
 */
bool st87_baud_supported(int baud);
/** The supported rates, ascending: the rate at @p index, or 0 past the last. */
int st87_baud_rate_at(size_t index);

struct st87_serial_options {
	int baud;    /**< 0 means ST87_DEFAULT_BAUD; else one st87_baud_supported() accepts */
	bool rtscts; /**< hardware flow control; otherwise none */
	int min_fd;  /**< the port's fd is at least this (F_DUPFD); 0: any */
};

/**
 * Opens @p path (8N1, raw) and takes an exclusive lock on it.
 * Pseudo-terminals, which libserialport 0.1.x refuses, are opened with termios.
 * Returns 0 and sets @p out, or:
 *  -ENOENT  no such port;  -EACCES  no permission;
 *  -EBUSY   another process holds the port (st87_last_error() names its pid);
 *  -EINVAL  bad baud rate or @p path is not a serial port;  -EIO  other failure.
 */
int st87_serial_open(const char *path, const struct st87_serial_options *options,
		     struct st87_serial **out);
void st87_serial_close(struct st87_serial *serial);
/** The port's file descriptor, for poll(). */
int st87_serial_fd(const struct st87_serial *serial);
const char *st87_serial_path(const struct st87_serial *serial);
/** Writes all @p len bytes within @p timeout_ms. 0, -ETIMEDOUT or -EIO. */
int st87_serial_write_all(struct st87_serial *serial, const void *data, size_t len, int timeout_ms);
/** Reads what is there, waiting up to @p timeout_ms. Bytes read, 0 on timeout, -EIO. */
ssize_t st87_serial_read(struct st87_serial *serial, void *buf, size_t len, int timeout_ms);

struct st87_port_info {
	char path[256];
	char description[128];
	int usb_vid; /**< -1 when not a USB port */
	int usb_pid;
	bool looks_like_modem; /**< USB id or description matches a known ST87 adapter */
};

/** Fills up to @p max entries; returns the number of ports found (may exceed @p max) or -errno. */
int st87_serial_list(struct st87_port_info *ports, size_t max);

/**
 * Resolves "auto" to the one port that looks like the modem.
 * 0 and fills @p path; -ENODEV none; -EEXIST more than one (named in st87_last_error()).
 */
int st87_serial_find_modem(char *path, size_t path_len);

/* ------------------------------------------------------------------------ */
/* AT engine: one command in flight, over any byte transport                */
/* ------------------------------------------------------------------------ */

struct st87_at;

struct st87_at_transport {
	void *context;
	/** Write all bytes before the deadline; 0 or negative errno. */
	int (*write_all)(void *context, const void *data, size_t len, int timeout_ms);
	/** Bytes read, 0 on timeout, negative errno on failure. */
	ssize_t (*read)(void *context, void *buf, size_t len, int timeout_ms);
};

/**
 * Called for every line that is not part of the command in flight: URCs,
 * stray lines, boot messages. Returning a negative errno aborts the command
 * in flight (if any) with that errno; returning 0 lets it go on.
 */
typedef int (*st87_urc_fn)(void *user, const char *line);

/** Observes the traffic: @p out true for host-to-modem. Binary blocks come as one call. */
typedef void (*st87_trace_fn)(void *user, bool out, const char *data, size_t len, bool binary);

/**
 * How a binary payload follows its command line (docs/PROTOCOL.md §7).
 * Firmware that follows the note takes line and data in one go and answers
 * once; the maker's firmware answers the line with OK, then takes the data
 * and answers again.
 */
enum st87_send_handshake {
	ST87_SEND_DETECT = 0, /**< line alone; an OK within detect_ms means two-step, silence one-step */
	ST87_SEND_ONE_STEP,
	ST87_SEND_TWO_STEP,
	/**
	 * One-step firmware, a length it has not taken yet: the line alone, and
	 * the data only after detect_ms without a refusal, since a one-step modem
	 * that refuses a length reads the bytes after the line as AT commands.
	 * A command's mode, never a modem's (an option naming it means one-step).
	 */
	ST87_SEND_ANSWER_FIRST,
};

struct st87_at_command {
	const char *text; /**< without the trailing <CR> */
	/**
	 * How the trace and error messages show @c text when it carries a
	 * payload (a hex send: "AT#IPSENDTCP=5,0,2,[hex 5 bytes]"), or NULL to
	 * show @c text: a program's bytes never reach a trace or a log.
	 */
	const char *shown_text;
	const void *payload; /**< binary bytes sent after "<CR><LF>", or NULL */
	size_t payload_len;
	enum st87_send_handshake handshake; /**< for a payload */
	int detect_ms;           /**< DETECT, ANSWER_FIRST: how long to wait for the line's own answer */
	const char *info_prefix; /**< e.g. "#SOCKETCREATE:"; NULL: no information lines */
	bool (*is_info)(const char *line); /**< extra matcher for prefix-less lines (ping) */
	bool binary_block; /**< the info line "<prefix> ...,<len>" is followed by <len> raw bytes */
	int timeout_ms;
	/** Called with each information line as it arrives (before the final result), or NULL. */
	void (*on_info)(void *user, const char *line);
	void *info_user;
	/**
	 * Lines that are not the command's own (possible URCs) still go to the
	 * URC callback, and are kept among the reply's lines too: a raw command
	 * shows all the modem said without hiding its news from the driver.
	 */
	bool urcs_in_reply;
};

struct st87_at_reply {
	int result;     /**< 0 OK, or negative errno */
	int cme;        /**< the +CME ERROR code, or -1 */
	size_t n_lines; /**< information lines, prefix included (and URCs, with urcs_in_reply) */
	char *lines[32];
	const uint8_t
		*block; /**< the binary block (binary_block commands), valid until the next command */
	size_t block_len;
	bool answered; /**< a final result code came (false: deadline, transport, or a URC aborted it) */
	/** What a payload command turned out to be; ST87_SEND_DETECT when it failed before that showed. */
	enum st87_send_handshake handshake;
	bool payload_sent; /**< the payload went out (false: the modem refused the line first) */
	/** "+CME ERROR" with no code (iLabs' firmware): an error (-EIO, cme -1), not an unknown command. */
	bool cme_without_code;
};

/** 0 and sets @p out; -ENOMEM. */
int st87_at_new(const struct st87_at_transport *transport, st87_urc_fn on_urc, void *user,
		struct st87_at **out);
void st87_at_free(struct st87_at *at);
void st87_at_set_trace(struct st87_at *at, st87_trace_fn trace, void *user);

/**
 * Sends @p command and waits for its final result code.
 * Returns 0 on OK, or:
 *  -ETIMEDOUT  no final result before the deadline;
 *  (a payload with ST87_SEND_TWO_STEP or a detected two-step answer: the
 *  line's OK only lets the data go; the data's final result is the result)
 *  -EIO        "ERROR", or the transport failed (reply->cme < 0);
 *  -EPROTO     a malformed or oversized response (line, block header, block);
 *  a URC callback's errno when it aborted the command;
 *  for "+CME ERROR: n": -st87_cme_errno(n), reply->cme = n.
 * @p reply is filled in all cases; its lines stay valid until the next command.
 */
int st87_at_run(struct st87_at *at, const struct st87_at_command *command, struct st87_at_reply *reply);

/**
 * Reads what the modem sent while no command is in flight and hands the
 * lines to the URC callback, waiting up to @p timeout_ms for the first byte.
 * Returns the number of reads that brought bytes (0: nothing came), or a
 * negative errno from the transport.
 */
int st87_at_poll(struct st87_at *at, int timeout_ms);

/**
 * After a command's deadline passed without its final result: sends a
 * query (AT+CMEE?) and drops every final result that comes before the
 * query's information line, the late answer among them (a modem takes its
 * input in order), so it is never taken for the next command's. Returns
 * true when the query was answered within @p timeout_ms (the modem still
 * answers: only the late command failed), false otherwise (the input was
 * resynchronised; the modem may be lost).
 */
bool st87_at_settle_late_answer(struct st87_at *at, int timeout_ms);

/* ------------------------------------------------------------------------ */
/* Modem: one typed function per command of the note                        */
/* ------------------------------------------------------------------------ */

struct st87_modem;

enum st87_event_kind {
	ST87_EVENT_DATA,        /**< #IPRECV: socket has data (or its peer closed) */
	ST87_EVENT_PEER_CLOSED, /**< #SOCKETCLOSED: read what is left, then EOF */
	ST87_EVENT_LINK_DOWN,   /**< PDN deactivated or modem rebooted: every socket is gone */
	ST87_EVENT_LINK_UP,     /**< +CGEV: ME PDN ACT / #IPCFG / "IP Network is Up" */
};

typedef void (*st87_event_fn)(void *user, enum st87_event_kind kind, int socket_id);

struct st87_modem_options {
	const char *port; /**< path; "auto" looks for the modem */
	int baud;         /**< 0: ST87_DEFAULT_BAUD */
	bool rtscts;
	int cid;       /**< 0: ST87_DEFAULT_CID */
	bool hex_send; /**< send payloads as hex text (data type 2) instead of binary */
	size_t max_send; /**< largest send to try, up to ST87_MAX_SEND; 0: ST87_PROBE_SEND, shrunk on the modem's length errors */
	enum st87_send_handshake handshake; /**< ST87_SEND_DETECT (0): learned on the first binary send */
	int margin_ms;                      /**< added to every deadline; 0: 1000 */
	/** Every command's deadline as a percentage of the table's (modem_internal.h); 0: 100. */
	int deadline_percent;
	/**
	 * How long the modem stays awake after a command before it may sleep
	 * (the <hold> of AT#SLEEPMODE, docs/PROTOCOL.md §11). A command after
	 * about this much quiet, or after a #SLEEP line, is preceded by the wake
	 * probe (AT until it answers: a sleeping modem may drop the first
	 * command); a modem that is awake gets no probe. 0: ST87_DEFAULT_SLEEP_HOLD_MS;
	 * negative: the modem never sleeps unless it says #SLEEP.
	 */
	int sleep_hold_ms;
	/**
	 * With sleep_hold_ms 0: ask the modem instead (AT#SLEEPMODE? in the
	 * first start-up): its hold when it sleeps, never when it does not;
	 * ST87_DEFAULT_SLEEP_HOLD_MS when the firmware has no such command.
	 */
	bool ask_sleep_hold;
	const char *trace_path; /**< append the AT traffic to this file, or NULL */
	int min_fd;             /**< see st87_serial_options.min_fd */
	st87_event_fn on_event; /**< may be NULL */
	/**
	 * Sees every line that is not part of a command (URCs, boot lines)
	 * before the driver acts on it, except those in the reply of
	 * st87_modem_raw(), which its caller sees there; may be NULL. Its
	 * return value is ignored.
	 */
	st87_urc_fn on_unsolicited;
	void *user; /**< passed to on_event and on_unsolicited */
};

/**
 * Opens the port and checks that a modem answers "AT" (a few tries).
 * Does not bring the IP link up; see st87_modem_start().
 * Errors: those of st87_serial_open(); -ETIMEDOUT no answer; -ENODEV/-EEXIST for "auto".
 */
int st87_modem_open(const struct st87_modem_options *options, struct st87_modem **out);
void st87_modem_close(struct st87_modem *modem);
int st87_modem_fd(const struct st87_modem *modem);
/** The port's path, with "auto" resolved. */
const char *st87_modem_path(const struct st87_modem *modem);
struct st87_at *st87_modem_at(struct st87_modem *modem);
int st87_modem_cid(const struct st87_modem *modem);
/** CME code of the last failed command, or -1. */
int st87_modem_last_cme(const struct st87_modem *modem);

/**
 * Start-up (docs/PROTOCOL.md §3): ATE0, AT+CMEE=1, then the IP link:
 * up already, or wait for auto-IP up to @p link_timeout_ms, or configure it
 * from AT+CGPADDR. With @p reclaim, closes modem sockets left open by an
 * earlier host process. 0, or -ENETDOWN (no link), -ETIMEDOUT, -EIO.
 */
int st87_modem_start(struct st87_modem *modem, int link_timeout_ms, bool reclaim);
struct st87_ipcfg;
/**
 * Closes the modem sockets of our context that the modem lists
 * (AT#SOCKETCREATE?) and no socket of this session holds: left by a dead
 * process, or kept by the modem through a link loss. Returns how many it
 * closed, or -errno. For an unexpected 2150 (every socket taken).
 */
int st87_modem_reclaim_sockets(struct st87_modem *modem);

/** The IP link as st87_modem_start() last read it (AT#IPCFG?): addresses for getsockname(). */
const struct st87_ipcfg *st87_modem_link(const struct st87_modem *modem);
/** True once a reboot or link loss was seen (every socket is gone) and st87_modem_start() is due again. */
bool st87_modem_needs_start(const struct st87_modem *modem);
/**
 * True once a command's deadline passed without an answer or the port
 * failed: the modem (or the line) is gone, only closing and reopening helps.
 * A command the modem answered with an error never sets it: that error is
 * the command's (or its socket's) alone.
 */
bool st87_modem_unresponsive(const struct st87_modem *modem);
/** How binary sends go on this modem: ST87_SEND_DETECT until the first one showed it. */
enum st87_send_handshake st87_modem_send_handshake(const struct st87_modem *modem);
/** The largest send the driver tries now (what was configured or probed, less what the modem refused). */
size_t st87_modem_send_limit(const struct st87_modem *modem);
/**
 * The largest datagram st87_send_udp() tries now: what was configured or
 * probed (the note's 512 on one-step firmware), below the smallest length
 * the modem refused. Larger ones fail with -EMSGSIZE without a command.
 */
size_t st87_modem_datagram_limit(const struct st87_modem *modem);

/** Room for this many distinct +CME ERROR codes in struct st87_modem_counters; later ones count together. */
#define ST87_CME_KINDS 16

/** What this session did, counted since st87_modem_open(): for metrics. */
struct st87_modem_counters {
	unsigned long long commands;   /**< command lines sent (the wake probe's AT lines not counted) */
	unsigned long long cme_errors; /**< answered +CME ERROR: <n>, every code */
	struct {
		int code;
		unsigned long long count; /**< 0: the entry is unused */
	} cme[ST87_CME_KINDS];            /**< by code, in the order they first came */
	unsigned long long cme_other;     /**< codes that found no free entry */
	unsigned long long restarts;      /**< the modem restarted */
	unsigned long long link_losses;   /**< the IP link was lost (a restart not counted again) */
};
/** Copies the session's counters into @p out. */
void st87_modem_counters(const struct st87_modem *modem, struct st87_modem_counters *out);
/**
 * True when a command now would go after the wake probe: the modem said
 * #SLEEP, or it has been quiet for about its hold time. A caller that wants
 * nothing from a sleeping modem (a metrics poll) asks first.
 */
bool st87_modem_may_be_asleep(const struct st87_modem *modem);

/** Handles pending URCs (see st87_at_poll()). */
int st87_modem_poll(struct st87_modem *modem, int timeout_ms);

/**
 * Sends a raw command line (for the CLI). The reply's lines are every line
 * until the final result, in order. Those that do not start with the
 * command's name ("#IPCFG:" for "AT#IPCFG?") are also handled as URCs, as
 * during any command: an #IPRECV, #SOCKETCLOSED, restart or link loss among
 * them reaches on_event and the modem's state.
 * @p timeout_ms is the deadline; the modem's margin is added.
 * Returns what st87_at_run() returns, and -ENETRESET when the modem
 * restarted during the command.
 */
int st87_modem_raw(struct st87_modem *modem, const char *text, int timeout_ms,
		   struct st87_at_reply *reply);

/* AT#IPCFG */
struct st87_ipcfg {
	int cid;
	int status; /**< 0 down, 1 active, 2 deleted */
	char ipv4[ST87_ADDR_LEN];
	char ipv6[ST87_ADDR_LEN];
};
/** AT#IPCFG?: 0 and fills @p out for the modem's cid; -ENOENT if not listed. */
int st87_ipcfg_read(struct st87_modem *modem, struct st87_ipcfg *out);
/** AT#IPCFG=<cid>,<mode>,<address>[,<prefix_len>] (@p prefix_len < 0: omitted). */
int st87_ipcfg_set(struct st87_modem *modem, int mode, const char *address, int prefix_len);
/** AT#IPDEL=<cid>. */
int st87_ipdel(struct st87_modem *modem);

/** Room for AT#IPPARAMS's fields after the fourth, as the modem gives them. */
#define ST87_IPPARAMS_MORE_LEN 256

/* AT#IPPARAMS */
struct st87_ipparams {
	int auto_ip;
	int preferred_ip_version; /**< 0 IPv4, 1 IPv6 */
	int max_ipstack_periodicity;
	int auto_ip_timeout;
	/**
	 * The fields after the fourth as the modem gave them, quotes and all
	 * ("" when it gave four): the maker's firmware has up to nine (NB-sent
	 * counting, DNS servers). st87_ipparams_set() writes them back as they
	 * are, so a change of the first four never wipes a DNS server.
	 */
	char more[ST87_IPPARAMS_MORE_LEN];
};
/** AT#IPPARAMS?: 0 and fills @p out; -EPROTO a malformed answer or one too long to write back. */
int st87_ipparams_read(struct st87_modem *modem, struct st87_ipparams *out);
/** AT#IPPARAMS= with the four fields, then @p params->more when not empty. */
int st87_ipparams_set(struct st87_modem *modem, const struct st87_ipparams *params);

/* AT#SLEEPMODE (the maker's firmware; docs/PROTOCOL.md §11) */
struct st87_sleepmode {
	bool sleeps; /**< any mode but 0: the modem sleeps after hold_s without a command */
	int hold_s;  /**< -1 when the answer gave no hold time */
};
/**
 * AT#SLEEPMODE?: whether the modem sleeps, and after how long. 0 and fills
 * @p out; -ENOSYS the firmware has no AT#SLEEPMODE (504, or a bare ERROR);
 * -EPROTO a malformed answer; other errnos as for any command.
 */
int st87_sleepmode_read(struct st87_modem *modem, struct st87_sleepmode *out);

/* AT+CGPADDR=<cid> */
int st87_cgpaddr(struct st87_modem *modem, char ipv4[ST87_ADDR_LEN], char ipv6[ST87_ADDR_LEN]);

/**
 * AT#DNS=<cid>,<ipver>,<name>: the modem's resolver (the network's) looks
 * @p name up; @p ip_version 0 IPv4, 1 IPv6. 0 and fills @p address, or
 * -ENOENT not found (2171), -ENOSYS the firmware has no AT#DNS (504, remembered
 * for the session), -EINVAL a name the command line cannot carry, other errnos
 * as for any command.
 */
int st87_dns_resolve(struct st87_modem *modem, const char *name, int ip_version,
		     char address[ST87_ADDR_LEN]);
/**
 * st87_dns_resolve(), and the answer's TTL in seconds in @p ttl_s where the
 * firmware gives one ("#DNS: <ip>,<ttl>"), else -1. -EHOSTUNREACH when the
 * modem has no DNS server configured (2112).
 */
int st87_dns_resolve_ttl(struct st87_modem *modem, const char *name, int ip_version,
			 char address[ST87_ADDR_LEN], int *ttl_s);

/* AT#IPPING */
struct st87_ping_reply {
	int seq;
	int result; /**< 0 OK, 1 no answer, 2 bad sequence, 3 transmission failed */
	int bytes;
	int time_ms;
};
struct st87_ping_summary {
	int sent, received, lost, min_ms, max_ms, avg_ms;
};
typedef void (*st87_ping_fn)(void *user, const struct st87_ping_reply *reply);
/**
 * Pings @p address: @p timeout_s 1..120, @p size 1..450, @p count 1..20
 * (-EINVAL outside, nothing sent). @p on_reply gets each reply as its line
 * arrives. 0 once the summary came; -EPROTO without one.
 */
int st87_ipping(struct st87_modem *modem, const char *address, int timeout_s, int size, int count,
		st87_ping_fn on_reply, void *user, struct st87_ping_summary *summary);

/* Sockets */
enum st87_proto { ST87_TCP, ST87_UDP };

/**
 * AT#SOCKETCREATE with #IPRECV notifications on; @p udp_port is the local
 * port of a UDP socket (0: any; above 49407 the modem chooses). Returns the modem's socket id (>= 0, any
 * value the modem gives), or -EMFILE when every socket of that kind is taken (CME 2150),
 * -EADDRINUSE (2151/2159), other negative errnos.
 */
int st87_socket_create(struct st87_modem *modem, int ip_version, enum st87_proto proto, int udp_port);

struct st87_socket_info {
	int cid, socket_id, status;
	char type[8];
	int udp_port;
};
/** AT#SOCKETCREATE?: number of sockets in use (may exceed @p max), or -errno. */
int st87_socket_list(struct st87_modem *modem, struct st87_socket_info *sockets, size_t max);

/**
 * AT#TCPCONNECT: 0 once the link is up; -ECONNREFUSED (2152), -EISCONN (2157), -ETIMEDOUT.
 * A refusal (2152) is tried twice more, after 500 ms and 1000 ms: a radio
 * still waking refuses too. A refused connection fails after about 1.5 s.
 */
int st87_tcp_connect(struct st87_modem *modem, int socket_id, const char *address, int port);
/** AT#TCPCONNECT?: the link status of @p socket_id (3 not connected, 4 connecting, 5 connected, 6 closing); 3 if not listed. */
int st87_tcp_status(struct st87_modem *modem, int socket_id);

/**
 * AT#IPSENDTCP, in chunks of at most st87_modem_send_limit() bytes (a
 * length error on a chunk shrinks the limit, never below a length the modem
 * took, and sends again; the first send learns the handshake; on one-step
 * firmware a chunk longer than any the modem took goes after a wait for the
 * line's refusal). Returns @p len, or a
 * negative errno when any chunk failed (-EPIPE: link down; -ENETRESET: the
 * modem restarted); chunks sent before the failure are not counted.
 */
ssize_t st87_send_tcp(struct st87_modem *modem, int socket_id, const void *data, size_t len);
/**
 * AT#IPSENDUDP of one datagram (at most st87_modem_datagram_limit() bytes,
 * else -EMSGSIZE; -EMSGSIZE too when the modem refuses its length, which
 * lowers that limit). Returns @p len.
 */
ssize_t st87_send_udp(struct st87_modem *modem, int socket_id, const char *address, int port, int rai,
		      const void *data, size_t len);
/**
 * AT#IPREAD: copies up to @p cap bytes. Returns the count, 0 when the
 * modem's buffer is empty ("#IPREAD: <cid>,<sid>,0" or a bare OK) (for TCP, st87_tcp_status() tells whether the peer
 * closed: a modem may not announce it). TCP bytes that did not fit are kept
 * and returned first by the next call; the rest of a UDP datagram is
 * discarded (like recv()).
 */
ssize_t st87_read(struct st87_modem *modem, int socket_id, void *buf, size_t cap);
/** AT#SOCKETCLOSE. 0, or -EBADF (2104 unknown id). */
int st87_socket_close(struct st87_modem *modem, int socket_id);

/* ------------------------------------------------------------------------ */
/* Radio: the 3GPP TS 27.007 queries (src/core/radio.c)                     */
/* ------------------------------------------------------------------------ */
/*
 * Each query returns 0 and fills its record, or:
 *  -ENOSYS  the firmware does not know the command (504, or a bare ERROR);
 *  -EPROTO  an answer it cannot read;
 *  other errnos as for any command.
 * None changes a setting, but for st87_cereg_read() with @p with_cell, which
 * puts the presentation back as it found it.
 */

/** Room for an IMEI, a TAC, a cell id or a timer's bits, NUL included. */
#define ST87_RADIO_FIELD_LEN 64
/** Room for a firmware revision, NUL included. */
#define ST87_REVISION_LEN 128

/* AT+CESQ */
struct st87_cesq {
	int rsrq; /**< the 27.007 index: 0..34 (extended -30..46), 255 not known */
	int rsrp; /**< 0..97 (extended -17..127), 255 not known */
	bool rsrq_known, rsrp_known;
	/** The low end of the index's range: RSRQ in dB (index 0, "below -19.5", is -20). */
	double rsrq_db;
	/** The low end of the index's range: RSRP in dBm, index - 141 (index 0, "below -140", is -141). */
	int rsrp_dbm;
};
/** AT+CESQ: the E-UTRAN signal (RSRP, RSRQ). */
int st87_cesq_read(struct st87_modem *modem, struct st87_cesq *out);

/* AT+CSQ */
struct st87_csq {
	int rssi; /**< 0..31, 99 not known */
	int ber;  /**< 0..7, 99 not known */
	bool rssi_known;
	int rssi_dbm; /**< -113 + 2 * rssi (0: -113 or less, 31: -51 or more) */
};
/** AT+CSQ: the received signal strength. */
int st87_csq_read(struct st87_modem *modem, struct st87_csq *out);

/* AT+CEREG? */
struct st87_cereg {
	int n;    /**< the presentation the modem had (and has again after @p with_cell) */
	int stat; /**< 0 not registered, 1 home network, 2 searching, 3 denied, 4 unknown, 5 roaming, ... */
	char tac[ST87_RADIO_FIELD_LEN];          /**< tracking area code, hex; "" when not given */
	char ci[ST87_RADIO_FIELD_LEN];           /**< E-UTRAN cell id, hex; "" when not given */
	int act;                                 /**< access technology (9: NB-S1), -1 when not given */
	char active_time[ST87_RADIO_FIELD_LEN];  /**< T3324 the network gave (GPRS Timer 2 bits), "" */
	char periodic_tau[ST87_RADIO_FIELD_LEN]; /**< T3412 extended (GPRS Timer 3 bits), "" */
	long active_time_s;                      /**< in seconds; -1 when not given or deactivated */
	long periodic_tau_s;                     /**< in seconds; -1 when not given or deactivated */
};
/**
 * AT+CEREG?: the registration. With @p with_cell, a modem whose presentation
 * shows no cell is set to 5 for the read (2 where it refuses 5) and put back
 * to the mode it had; a modem that refuses both is read as it is. An error
 * putting it back is the result (the read is filled in).
 */
int st87_cereg_read(struct st87_modem *modem, bool with_cell, struct st87_cereg *out);

/* AT+CSCON? */
struct st87_cscon {
	int n;          /**< URC presentation */
	bool connected; /**< <mode> 1: the radio (RRC) is connected; 0: idle */
	int state;      /**< <state>, -1 when not given */
};
/** AT+CSCON?: whether the radio is connected or idle. */
int st87_cscon_read(struct st87_modem *modem, struct st87_cscon *out);
/**
 * AT+CSCON=1: the modem says "+CSCON: <mode>" at each change of the radio's
 * state, and the session counts the connected time from those lines (see
 * st87_modem_rrc_connected_ms()). Asked once per restart: 0 when they are on,
 * -ENOSYS when the firmware does not know the command (not sent again this
 * session), or the command's error.
 */
int st87_cscon_urcs_on(struct st87_modem *modem);
/**
 * The milliseconds the radio was connected in this session, by the
 * +CSCON: URCs since st87_cscon_urcs_on(), into @p connected_ms. Returns
 * true while those URCs are on (false after a restart, until asked again).
 */
bool st87_modem_rrc_connected_ms(const struct st87_modem *modem, long long *connected_ms);

/** AT+CGSN: the IMEI (the answer's line, or the value of "+CGSN: <sn>"). */
int st87_cgsn_read(struct st87_modem *modem, char imei[ST87_RADIO_FIELD_LEN]);
/** AT+CGMR: the firmware revision, as the modem words it. */
int st87_cgmr_read(struct st87_modem *modem, char revision[ST87_REVISION_LEN]);

/* AT+CPSMS? */
struct st87_cpsms {
	int mode;                                /**< 1: PSM asked for */
	char periodic_tau[ST87_RADIO_FIELD_LEN]; /**< requested T3412 extended, GPRS Timer 3 bits, or "" */
	char active_time[ST87_RADIO_FIELD_LEN]; /**< requested T3324, GPRS Timer 2 bits, or "" */
	long periodic_tau_s, active_time_s;     /**< in seconds; -1 when not given or deactivated */
};
/** AT+CPSMS?: the power saving mode the host asked for. */
int st87_cpsms_read(struct st87_modem *modem, struct st87_cpsms *out);

/* AT+CEDRXS? */
struct st87_cedrxs {
	bool requested; /**< a line came: eDRX asked for on some access technology */
	int act_type;   /**< 5: E-UTRAN NB-S1 (preferred when several come), 4: WB-S1 */
	char value[ST87_RADIO_FIELD_LEN]; /**< the requested eDRX value's four bits (24.008 10.5.5.32) */
};
/** AT+CEDRXS?: the eDRX the host asked for. */
int st87_cedrxs_read(struct st87_modem *modem, struct st87_cedrxs *out);

/** The queries st87_radio_read() makes, in its order. */
enum st87_radio_query {
	ST87_RADIO_CGSN,
	ST87_RADIO_CGMR,
	ST87_RADIO_CESQ,
	ST87_RADIO_CSQ,
	ST87_RADIO_CEREG,
	ST87_RADIO_CSCON,
	ST87_RADIO_CPSMS,
	ST87_RADIO_CEDRXS,
	ST87_RADIO_QUERIES
};

/** Room for a query's st87_last_error(). */
#define ST87_RADIO_WHY_LEN 160

/** All the radio queries at once: what st87ctl status shows, through st87d too. */
struct st87_radio {
	int err[ST87_RADIO_QUERIES]; /**< each query's result: 0, -ENOSYS (unknown command), ... */
	char why[ST87_RADIO_QUERIES][ST87_RADIO_WHY_LEN]; /**< st87_last_error() of a failed query */
	char imei[ST87_RADIO_FIELD_LEN];
	char revision[ST87_REVISION_LEN];
	struct st87_cesq cesq;
	struct st87_csq csq;
	struct st87_cereg cereg;
	struct st87_cscon cscon;
	struct st87_cpsms cpsms;
	struct st87_cedrxs cedrxs;
};
/** Runs every query (AT+CEREG? with its cell); each result in @p out->err. */
void st87_radio_read(struct st87_modem *modem, struct st87_radio *out);
/** "AT+CESQ" for ST87_RADIO_CESQ, ...; NULL past the last. */
const char *st87_radio_query_name(enum st87_radio_query query);

#ifdef __cplusplus
}
#endif
#endif
