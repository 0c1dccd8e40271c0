/*
 * mysql.h - the MySQL client/server protocol: packets and connections (mysql stage, a transport
 * beside http/).
 *
 * packet.c is the codec: logical packets out of a byte stream (pieces of 16 MiB joined, a size
 * limit, sequence ids), the handshake, the client's handshake response and SSL request, and the
 * server's replies (OK, ERR, EOF, column definitions, text rows, auth switch). It knows no
 * socket and no statement.
 *
 * server.c runs connections on the HTTP server's libuv loop (sl_http_server_loop): accept,
 * greeting, TLS when the client asks (the SSL request, then the same memory-BIO TLS as HTTPS),
 * the client's answer (an auth switch to mysql_native_password when it chose another plugin),
 * then one command at a time. Connection state stays on the loop thread; only the handler's
 * login and command calls run on libuv's worker pool, one at a time per connection, and the
 * connection does not read meanwhile. A command's reply may stream: the worker hands whole
 * packets over in pieces (sl_my_flush) within a window of SL_MY_WINDOW unsent bytes. An idle
 * connection holds no thread.
 *
 *   socket -> [TLS] -> sl_my_frame -> greeting state machine -> login (worker) -> OK | ERR
 *                                  -> command (worker) -> reply packets -> [TLS] -> socket
 *
 * Nothing here knows a statement: proto/mysql.c is the adapter (users, the executor).
 *
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef SL_MYSQL_H
#define SL_MYSQL_H

#include <stdint.h>

#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/status.h"

/* ---- protocol constants ------------------------------------------------------------------ */

#define SL_MY_PIECE 0xffffffu      /* the largest payload of one physical packet */

/* Capability flags (protocol::CapabilityFlags). */
#define SL_MY_CLIENT_LONG_PASSWORD 0x00000001u
#define SL_MY_CLIENT_FOUND_ROWS 0x00000002u
#define SL_MY_CLIENT_LONG_FLAG 0x00000004u
#define SL_MY_CLIENT_CONNECT_WITH_DB 0x00000008u
#define SL_MY_CLIENT_PROTOCOL_41 0x00000200u
#define SL_MY_CLIENT_SSL 0x00000800u
#define SL_MY_CLIENT_TRANSACTIONS 0x00002000u
#define SL_MY_CLIENT_SECURE_CONNECTION 0x00008000u
#define SL_MY_CLIENT_MULTI_STATEMENTS 0x00010000u
#define SL_MY_CLIENT_MULTI_RESULTS 0x00020000u
#define SL_MY_CLIENT_PLUGIN_AUTH 0x00080000u
#define SL_MY_CLIENT_CONNECT_ATTRS 0x00100000u
#define SL_MY_CLIENT_PLUGIN_AUTH_LENENC 0x00200000u
#define SL_MY_CLIENT_DEPRECATE_EOF 0x01000000u

/* Server status flags. */
#define SL_MY_STATUS_AUTOCOMMIT 0x0002u

/* Commands (the first byte of a command packet). */
enum {
    SL_MY_COM_QUIT = 0x01,
    SL_MY_COM_INIT_DB = 0x02,
    SL_MY_COM_QUERY = 0x03,
    SL_MY_COM_FIELD_LIST = 0x04,
    SL_MY_COM_STATISTICS = 0x09,
    SL_MY_COM_PING = 0x0e,
    SL_MY_COM_STMT_PREPARE = 0x16,
    SL_MY_COM_RESET_CONNECTION = 0x1f,
};

/* Column types (protocol::ColumnType) and column flags. */
enum {
    SL_MY_TYPE_TINY = 1,
    SL_MY_TYPE_SHORT = 2,
    SL_MY_TYPE_LONG = 3,
    SL_MY_TYPE_FLOAT = 4,
    SL_MY_TYPE_DOUBLE = 5,
    SL_MY_TYPE_NULL = 6,
    SL_MY_TYPE_LONGLONG = 8,
    SL_MY_TYPE_DATE = 10,
    SL_MY_TYPE_DATETIME = 12,
    SL_MY_TYPE_NEWDECIMAL = 246,
    SL_MY_TYPE_BLOB = 252,
    SL_MY_TYPE_VAR_STRING = 253,
    SL_MY_TYPE_STRING = 254,
};
#define SL_MY_FLAG_NOT_NULL 0x0001u
#define SL_MY_FLAG_BINARY 0x0080u
#define SL_MY_FLAG_NUM 0x8000u

#define SL_MY_CHARSET_UTF8MB4 45   /* utf8mb4_general_ci */
#define SL_MY_CHARSET_BINARY 63

/* ---- reading (packet.c) ------------------------------------------------------------------ */

/* One logical packet: its payload and the sequence id of its first piece. */
typedef struct sl_my_packet {
    const uint8_t *p;
    size_t n;
    uint8_t seq;
    uint8_t next_seq;              /* the sequence id the reply starts with */
} sl_my_packet;

/* The logical packet at the front of p[0..n). A payload of exactly 0xffffff bytes continues in
 * the next piece (sequence ids consecutive) until a shorter one. SL_OK fills *pkt and *used
 * (bytes consumed); the payload is borrowed from p when it is one piece, else joined into
 * scratch (cleared first). SL_AGAIN: more bytes are needed (nothing consumed). SL_TOO_LARGE:
 * the pieces seen already announce more than max payload bytes (checked before they arrive, so
 * a client cannot make the caller buffer more than max). SL_INVALID: a continuation piece out of
 * sequence. SL_NOMEM when scratch cannot grow. */
sl_code sl_my_frame(const uint8_t *p, size_t n, size_t max, sl_buf *scratch, sl_my_packet *pkt,
                    size_t *used);

/* A length-encoded integer at *p (advanced past it) before end. False when truncated or the
 * 0xfb (NULL) / 0xff prefix. */
bool sl_my_get_lenenc(const uint8_t **p, const uint8_t *end, uint64_t *out);

/* The client's HandshakeResponse41 (or the 32-byte SSLRequest before TLS). Slices borrow from
 * the packet. */
typedef struct sl_my_hello {
    uint32_t caps;                 /* the client's capability flags */
    uint32_t max_packet;
    uint8_t charset;
    bool ssl_request;              /* the SSLRequest: nothing else follows; TLS starts */
    sl_slice user;
    sl_slice auth;                 /* the answer to the scramble (may be empty) */
    sl_slice db;                   /* CONNECT_WITH_DB; p == NULL when none */
    sl_slice plugin;               /* PLUGIN_AUTH; p == NULL when none */
} sl_my_hello;

/* Parse a handshake response. SL_INVALID (with the reason in err) when truncated, a string is
 * not terminated, or the client does not speak protocol 4.1 (CLIENT_PROTOCOL_41 and
 * SECURE_CONNECTION are required). Connection attributes are skipped after a bounds check. */
sl_code sl_my_parse_hello(const uint8_t *p, size_t n, sl_my_hello *out, sl_err *err);

/* ---- writing (packet.c) ------------------------------------------------------------------- */

/* Where a streamed reply's pieces go: the bytes of whole packets, in order. SL_OK when taken;
 * SL_NETWORK when the client is gone (the reply cannot go on); SL_NOMEM. */
typedef sl_code (*sl_my_flush_fn)(void *arg, const char *p, size_t n);

/* Packets being written: bytes with their 4-byte headers, sequence ids counted from seq. A
 * payload longer than 0xffffff is split into pieces when it ends. Out of memory is sticky
 * (b.oom): the caller checks it once at the end. With a flush function (a command's reply on
 * a connection), sl_my_flush hands the whole packets written so far over and empties b, the
 * sequence ids going on: a reply of any size is sent in pieces. */
typedef struct sl_my_out {
    sl_buf b;
    uint8_t seq;                   /* the next packet's sequence id */
    size_t start;                  /* where the open packet's header is; SIZE_MAX: none open */
    uint32_t caps;                 /* the client's capabilities (EOF or OK after rows, ...) */
    sl_my_flush_fn flush;          /* NULL: the reply is built whole in b */
    void *flush_arg;
    bool sent;                     /* a piece was handed over: what is sent stays sent */
    uint8_t sent_seq;              /* the sequence id after the last packet handed over */
} sl_my_out;

void sl_my_out_init(sl_my_out *o, uint8_t seq, uint32_t caps);
void sl_my_out_free(sl_my_out *o);
/* Hand the packets in b to o->flush and empty b (capacity kept). SL_OK without a flush
 * function or with nothing written (nothing happens); SL_INTERNAL while a packet is open;
 * SL_NOMEM when b ran out of memory; else what flush returned (b is emptied on SL_OK only). */
sl_code sl_my_flush(sl_my_out *o);
/* After a failure: what b holds that is not whole packets is dropped, so that a reply packet
 * (ERR) can follow what was sent. When b ran out of memory it is emptied and the sequence ids
 * go back to the last piece handed over (or to seq when none was). */
void sl_my_out_recover(sl_my_out *o, uint8_t seq);
/* Open a packet (header reserved), and close it (header written, pieces split). */
void sl_my_begin(sl_my_out *o);
void sl_my_end(sl_my_out *o);
/* Parts of the open packet: little-endian integers, length-encoded integers and strings, raw
 * bytes, NUL-terminated strings. */
void sl_my_put_int(sl_my_out *o, uint64_t v, int bytes);
void sl_my_put_lenenc(sl_my_out *o, uint64_t v);
void sl_my_put_lenstr(sl_my_out *o, const char *p, size_t n);
void sl_my_put_raw(sl_my_out *o, const void *p, size_t n);
void sl_my_put_cstr(sl_my_out *o, const char *s);

/* The server greeting, Handshake v10: protocol 10, version, connection id, the 20-byte
 * scramble (+ its NUL), capabilities, charset utf8mb4, status, "mysql_native_password". */
void sl_my_greeting(sl_my_out *o, const char *version, uint32_t conn_id,
                    const uint8_t scramble[20], uint32_t caps, uint16_t status);
/* An AuthSwitchRequest to mysql_native_password with the scramble. */
void sl_my_auth_switch(sl_my_out *o, const uint8_t scramble[20]);
/* OK: affected rows, last insert id, status, warnings, and an info text (may be NULL). */
void sl_my_ok(sl_my_out *o, uint64_t affected, uint64_t last_id, uint16_t status,
              uint16_t warnings, const char *info);
/* ERR: error number, SQLSTATE (5 characters; NULL: "HY000") and message (cut to 512 bytes). */
void sl_my_err(sl_my_out *o, int errno_, const char *sqlstate, const char *msg);
/* EOF: warnings and status (only for clients without DEPRECATE_EOF: callers use
 * sl_my_rows_end / sl_my_meta_end, which pick the form). */
void sl_my_eof(sl_my_out *o, uint16_t warnings, uint16_t status);

/* One column of a result set (ColumnDefinition41). */
typedef struct sl_my_col {
    sl_slice schema, table, name;  /* table and its original are the same, as are the names */
    uint16_t charset;
    uint32_t length;               /* the display width */
    uint8_t type;                  /* SL_MY_TYPE_* */
    uint16_t flags;
    uint8_t decimals;
    bool field_list;               /* for COM_FIELD_LIST: an empty default-value field follows */
} sl_my_col;

/* A result set: the column count, the definitions, then (after sl_my_meta_end) rows of text
 * cells, then sl_my_rows_end. */
void sl_my_meta(sl_my_out *o, const sl_my_col *cols, size_t n);
void sl_my_col_def(sl_my_out *o, const sl_my_col *c);  /* one definition (COM_FIELD_LIST) */
void sl_my_meta_end(sl_my_out *o, uint16_t status);    /* EOF, unless DEPRECATE_EOF */
void sl_my_row_begin(sl_my_out *o);
void sl_my_cell(sl_my_out *o, const char *p, size_t n); /* p == NULL: NULL */
void sl_my_rows_end(sl_my_out *o, uint16_t warnings, uint16_t status);

/* ---- connections (server.c) ---------------------------------------------------------------- */

typedef struct sl_mysql_server sl_mysql_server;
typedef struct sl_mysql_conn sl_mysql_conn;

/* What a connection shows its handler. */
struct sl_mysql_conn {
    void *app;                     /* given to sl_mysql_server_new */
    void *ctx;                     /* the handler's state (freed in close) */
    uint32_t id;                   /* CONNECTION_ID() */
    uint8_t scramble[20];          /* sent in the greeting (and an auth switch) */
    uint32_t caps;                 /* the client's capabilities */
    bool tls;                      /* the connection is encrypted */
    char peer_ip[64];
    sl_arena_t arena;              /* reset after each login and command */
};

typedef struct sl_mysql_handler {
    /* Worker: the client's handshake response (the answer is for c->scramble). Write OK or ERR
     * into out; return false to close after the reply. */
    bool (*login)(sl_mysql_conn *c, const sl_my_hello *h, sl_my_out *out);
    /* Worker: one command packet (its first byte the command). Write the reply into out (its
     * sequence ids start at 1); return false to close after it (COM_QUIT writes nothing). out
     * has a flush function: a long reply is handed over in pieces with sl_my_flush (each
     * waits while SL_MY_WINDOW bytes handed over are not yet written to the client; SL_NETWORK
     * when the client is gone or took nothing for write_timeout_ms); what is in out when this
     * returns goes after them. A reply that is never flushed goes out as one write. */
    bool (*command)(sl_mysql_conn *c, const uint8_t *p, size_t n, sl_my_out *out);
    /* Loop thread, once, when the connection is gone (no call in flight): free c->ctx. */
    void (*close)(sl_mysql_conn *c);
} sl_mysql_handler;

typedef struct sl_mysql_config {
    const char *version;           /* the server version of the greeting */
    size_t max_packet;             /* the largest command accepted (bytes) */
    uint32_t max_connections;      /* more are refused with ERR 1040 */
    uint32_t max_connections_per_client; /* of them from one peer address (ERR 1040 too) */
    uint32_t handshake_timeout_ms; /* the client must log in within this */
    uint32_t idle_timeout_ms;      /* a connection without a command this long is closed */
    uint32_t write_timeout_ms;     /* a streamed reply's client taking no byte this long is
                                      gone (MySQL's net_write_timeout) */
} sl_mysql_config;

/* The bytes of a streamed reply handed over and not yet written to the socket, at most (one
 * piece past it when the window is empty). */
#define SL_MY_WINDOW (1u << 20)

/* A MySQL server on http's loop, following its shutdown. handler and app are kept. NULL with
 * err on failure. Free with sl_mysql_server_free after sl_http_server_free (which closes every
 * connection and runs the loop to the end). */
struct sl_http_server;
sl_mysql_server *sl_mysql_server_new(struct sl_http_server *http, const sl_mysql_config *cfg,
                                     const sl_mysql_handler *handler, void *app, sl_err *err);
/* Listen on host:port (0: any free port, *bound_port receives it). tls: an SSL_CTX* offered to
 * clients that ask (NULL: no TLS). */
sl_code sl_mysql_listen(sl_mysql_server *s, const char *host, int port, void *tls,
                        int *bound_port, sl_err *err);
void sl_mysql_server_free(sl_mysql_server *s);

#endif
